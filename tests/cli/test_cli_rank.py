"""``wenda train ranker``, ``wenda eval ranker`` and ``wenda search --rerank`` through the real CLI."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_cli import wenda

pytest.importorskip("torch")


def test_train_eval_and_rerank(qa_data, tmp_path, docs_dir):
    out = tmp_path / "knrm"
    settings = ["--set", "embeddings=random", "--set", "epochs=2", "--set", "threads=1", "--set", "batch_size=4"]
    r = wenda("train", "ranker", "--model", "knrm", "--dataset", "wikiqa", "--out", str(out), "-q", *settings, "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["epoch"] == 2 and report["params"] > 0
    assert {"config.json", "model.safetensors", "vocab.json", "training.json"} <= {p.name for p in out.iterdir()}

    r = wenda("eval", "ranker", str(out), "--dataset", "wikiqa", "--json")
    assert r.returncode == 0, r.stderr
    results = json.loads(r.stdout)["results"]
    assert results["filtered"]["queries"] == 2 and results["full"]["queries"] == 3
    assert 0 < results["filtered"]["map"] <= 1
    # The full set adds a question with no correct sentence, which trec_eval scores 0.
    assert results["full"]["map"] == pytest.approx(results["filtered"]["map"] * 2 / 3)

    idx = str(tmp_path / "idx")
    assert wenda("index", str(docs_dir), "--index", idx).returncode == 0
    r = wenda("search", "Which river flows through Paris?", "--index", idx, "--rerank", str(out), "--k", "2", "--json")
    assert r.returncode == 0, r.stderr
    hits = json.loads(r.stdout)["hits"]
    assert 1 <= len(hits) <= 2 and hits[0]["retriever"] == "bm25+knrm"


def test_bad_settings_and_model_dirs_are_clear_errors(qa_data, tmp_path):
    r = wenda("train", "ranker", "--model", "knrm", "--out", str(tmp_path / "m"), "--set", "nonsense=1")
    assert r.returncode == 2 and "unknown settings" in r.stderr and "Traceback" not in r.stderr
    r = wenda("train", "ranker", "--model", "nosuch", "--out", str(tmp_path / "m"))
    assert r.returncode == 2 and "unknown rank" in r.stderr
    r = wenda("eval", "ranker", str(tmp_path / "none"))
    assert r.returncode == 2 and "not a wenda model directory" in r.stderr
