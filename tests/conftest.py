"""Shared fixtures: tiny corpora made in the test, and the real data directory when present."""

from __future__ import annotations

import os
from pathlib import Path

# Tests run tiny models: one torch thread is several times faster than contending for the cores
# (set before anything imports torch; CLI subprocesses inherit it).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest
from hypothesis import settings

_STATUS = pytest.StashKey[int]()

# `pytest --hypothesis-profile=long` runs the property-based tests with many more examples
# (RELIABILITY.md reports such a run); registered here, before the plugin reads the option.
settings.register_profile("long", max_examples=3000, deadline=None)

DATA = Path(os.environ.get("WENDA_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def pytest_sessionfinish(session, exitstatus):
    """Keep the run's result for :func:`pytest_unconfigure`."""
    session.config.stash[_STATUS] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Leave with pytest's own exit status once every plugin has finished, skipping the
    interpreter's teardown: threads that native libraries started (Ray's, torch's, gRPC's) can crash
    it after the run is over (CI once ended "833 passed" with a segmentation fault at exit).
    ``WENDA_TEST_FULL_EXIT=1`` keeps the normal teardown, to look for such crashes."""
    status = config.stash.get(_STATUS, None)
    if status is not None and os.environ.get("WENDA_TEST_FULL_EXIT") != "1":
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared real-data directory, or skip with a clear message when it is absent."""
    if not (DATA / "README.md").exists():
        pytest.skip(f"real data not found at {DATA}; set WENDA_DATA to the shared data folder")
    return DATA


@pytest.fixture
def docs_dir(tmp_path: Path) -> Path:
    """A small folder of documents in several formats."""
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    (root / "rivers.txt").write_text(
        "Rivers\n\nThe Seine flows through Paris. The Danube flows through Vienna and Budapest.\n"
    )
    (root / "sub" / "tea.md").write_text("# Tea\n\nGreen tea is not oxidised. Black tea is fully oxidised.\n")
    (root / "page.html").write_text(
        "<html><head><title>Babbage</title><script>var x = 'hidden';</script></head>"
        "<body><p>Charles Babbage designed the Analytical Engine.</p></body></html>"
    )
    (root / "planets.jsonl").write_text(
        '{"id": "mars", "title": "Mars", "text": "Mars has two moons, Phobos and Deimos."}\n'
        '{"id": "saturn", "title": "Saturn", "text": "Saturn has bright rings of ice."}\n'
    )
    (root / "yangtze.txt").write_text("长江是中国最长的河流，流经上海后注入东海。", encoding="utf-8")
    return root


_QA = [
    ("where is paris", ["paris is the capital of france", "tea grows on hills", "the cat sat"]),
    ("what do cats eat", ["cats eat fish", "rivers run to the sea", "bread is baked"]),
    ("who wrote hamlet", ["hamlet was written by shakespeare", "the sun is hot", "rain falls"]),
    ("how tall is everest", ["everest is the tallest mountain", "ships sail", "birds fly south"]),
    ("when did rome fall", ["rome fell in 476", "cheese is made of milk", "a long road"]),
    ("what is tea", ["tea is a drink made from leaves", "cars need fuel", "snow is cold"]),
]


def _write_wikiqa(root: Path, split: str, questions: list, no_answer: int | None = None) -> None:
    text, ref, filtered = [], [], []
    for qi, (q, cands) in enumerate(questions, 1):
        for si, c in enumerate(cands):
            label = int(si == 0 and qi != no_answer)
            text.append(f"{q} ?\t{c} .\t{label}")
            ref.append(f"{qi} 0 {si} {label}")
            if qi != no_answer:
                filtered.append(ref[-1])
    (root / f"WikiQA-{split}.txt").write_text("\n".join(text) + "\n")
    (root / f"WikiQA-{split}.ref").write_text("\n".join(ref) + "\n")
    if split != "train":
        (root / f"WikiQA-{split}-filtered.ref").write_text("\n".join(filtered) + "\n")


def _trecqa_block(tag: str, text: str) -> str:
    tokens = text.split()
    return f"<{tag}>\n" + "\t".join(tokens) + "\n" + "\t".join("X" * len(tokens)) + f"\n</{tag}>\n"


@pytest.fixture
def qa_data(tmp_path: Path, monkeypatch) -> Path:
    """A tiny WikiQA and TrecQA in the official file formats, set as WENDA_DATA."""
    root = tmp_path / "data"
    wikiqa, trecqa = root / "wikiqa", root / "trecqa"
    wikiqa.mkdir(parents=True)
    trecqa.mkdir()
    _write_wikiqa(wikiqa, "train", _QA)
    _write_wikiqa(wikiqa, "dev", _QA[:3])
    _write_wikiqa(wikiqa, "test", _QA[3:], no_answer=3)
    for split, qs in (("TRAIN", _QA), ("DEV", _QA[:3])):
        body = "".join(
            f"<QApairs id='{i}'>\n"
            + _trecqa_block("question", q)
            + "".join(_trecqa_block("positive" if j == 0 else "negative", c) for j, c in enumerate(cands))
            + "</QApairs>\n"
            for i, (q, cands) in enumerate(qs, 1)
        )
        (trecqa / f"{split}.xml").write_text(body)
    monkeypatch.setenv("WENDA_DATA", str(root))
    return root
