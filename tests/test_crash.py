"""kill -9 during `wenda index`, then re-run: the result equals a clean build, nothing lost or doubled."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wenda.collection import Collection

TOPICS = [
    "river",
    "mountain",
    "city",
    "engine",
    "planet",
    "tea",
    "music",
    "war",
    "empire",
    "ocean",
    "forest",
    "language",
]


def _make_corpus(root: Path, n_files: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    root.mkdir()
    for i in range(n_files):
        sentences = [
            f"The {rng.choice(TOPICS)} number {i} is near the {rng.choice(TOPICS)} of {rng.choice(TOPICS)}."
            for _ in range(rng.randint(5, 60))
        ]
        (root / f"doc{i:04d}.txt").write_text(" ".join(sentences))
    (root / "records.jsonl").write_text(
        "\n".join(f'{{"id": {j}, "text": "record {j} about {TOPICS[j % 12]}"}}' for j in range(200))
    )


def _index(corpus: Path, index: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "wenda", "index", str(corpus), "--index", str(index)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={"WENDA_BATCH_FILES": "16", "PATH": "/usr/bin:/bin", "HOME": str(index.parent)},
    )


def _state(index: Path) -> dict:
    with Collection.open(index) as col:
        passages = col.store.conn.execute(
            "SELECT d.source, p.start, p.end FROM passages p JOIN documents d ON d.id = p.doc_id"
        ).fetchall()
        docs = col.store.conn.execute("SELECT source, title, text FROM documents").fetchall()
        results = {}
        for r in col.meta["retrievers"]:
            assert len(col.retriever(r)) == len(passages)
            for q in ("river city", "tea ocean empire", "record 17", "engine number 3"):
                results[(r, q)] = [(h.source, h.start, h.score) for h in col.search(q, k=10, retriever=r)]
    assert len(passages) == len(set(passages)), "duplicate passages"
    return {"docs": sorted(docs), "passages": sorted(passages), "results": results}


def _kill_and_finish(corpus: Path, index: Path, delays: list[float]) -> int:
    killed = 0
    for delay in delays:
        proc = _index(corpus, index)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
    done = _index(corpus, index)
    assert done.wait() == 0, done.stderr.read().decode()
    return killed


@pytest.mark.parametrize("seed", [1, 2])
def test_sigkill_at_random_moments_then_resume_equals_clean_build(tmp_path, seed):
    corpus = tmp_path / "corpus"
    _make_corpus(corpus, 2000)
    clean = tmp_path / "clean"
    t0 = time.monotonic()
    assert _index(corpus, clean).wait() == 0
    took = time.monotonic() - t0  # kill moments scale with this machine's speed
    rng = random.Random(seed)
    delays = [rng.uniform(0.15, 0.9) * took for _ in range(3)]
    killed = _kill_and_finish(corpus, tmp_path / "killed", delays)
    for attempt in range(3):  # a busy machine can make the clean run slower than the killed ones
        if killed:
            break
        shutil.rmtree(tmp_path / "killed")
        killed = _kill_and_finish(corpus, tmp_path / "killed", [d / 2 ** (attempt + 1) for d in delays])
    assert killed >= 1, "the run finished before any kill: make the corpus larger"
    assert _state(tmp_path / "killed") == _state(clean)
