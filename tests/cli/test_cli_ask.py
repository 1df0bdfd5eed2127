"""``wenda ask`` and ``wenda.open(...).ask`` with the reader that ships in the package."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.cli.test_cli import wenda

pytest.importorskip("torch")


@pytest.fixture
def index(tmp_path, docs_dir):
    idx = tmp_path / "idx"
    assert wenda("index", str(docs_dir), "--index", str(idx)).returncode == 0
    return idx


def test_ask_json_gives_the_answer_with_its_evidence(index):
    r = wenda("ask", "Which river flows through Paris?", "--index", str(index), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    best = out["answers"][0]
    assert not out["abstained"] and "Seine" in best["text"]
    passage = best["passage"]
    assert (
        passage["source"].endswith("rivers.txt")
        and passage["text"][best["start"] : best["end"]] == best["text"]
    )
    assert best["doc_start"] == passage["start"] + best["start"]
    assert {"retrieve", "read"} <= set(out["timings_ms"])


def test_ask_text_and_interactive_prompt(index):
    r = wenda("ask", "Which river flows through Paris?", "--index", str(index))
    assert r.returncode == 0 and "Seine" in r.stdout and "rivers.txt" in r.stdout
    prompted = subprocess.run(
        [sys.executable, "-m", "wenda", "ask", "--index", str(index), "--json"],
        input="Which river flows through Paris?\nHow many moons does Mars have?\nexit\nnever asked\n",
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert prompted.returncode == 0, prompted.stderr
    lines = [json.loads(line) for line in prompted.stdout.splitlines() if line.startswith("{")]
    assert [x["question"] for x in lines] == [
        "Which river flows through Paris?",
        "How many moons does Mars have?",
    ]


def test_ask_says_when_nothing_matches_and_refuses_bad_input(index, tmp_path):
    r = wenda("ask", "zebra quantum xylophone", "--index", str(index))
    assert r.returncode == 0 and "do not seem to contain an answer" in r.stdout
    r = wenda("ask", "   ", "--index", str(index))
    assert r.returncode == 2 and "error:" in r.stderr and "Traceback" not in r.stderr
    r = wenda("ask", "Which river?", "--index", str(tmp_path / "nowhere"))
    assert r.returncode == 2 and "error:" in r.stderr
    r = wenda("ask", "Which river?", "--index", str(index), "--reader", str(tmp_path / "no-reader"))
    assert r.returncode == 2 and "error:" in r.stderr and "Traceback" not in r.stderr


def test_python_api(index):
    import wenda as api

    with api.open(index) as qa:
        result = qa.ask("Which river flows through Paris?")
        assert "Seine" in result.answers[0].text and not result.abstained
        assert qa.search("Seine", k=1)[0].source.endswith("rivers.txt")
        assert qa.ask("How many moons does Mars have?", passages=3).passages[0].title == "Mars"


def test_the_rank_prior_setting_reaches_the_pipeline(index, monkeypatch):
    import wenda as api
    from wenda import pipeline

    seen = {}
    real = pipeline.ask_many
    monkeypatch.setattr(pipeline, "ask_many", lambda *a, **k: seen.update(k) or real(*a, **k))
    monkeypatch.setenv("WENDA_ASK_RANK_PRIOR", "1.5")
    with api.open(index) as qa:
        result = qa.ask("Which river flows through Paris?")
    assert seen["rank_prior"] == 1.5 and "Seine" in result.answers[0].text
