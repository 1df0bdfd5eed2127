"""``wenda train retriever`` through the real CLI: self-supervised training on an index's passages."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_cli import wenda

pytest.importorskip("torch")

TOPICS = ["paris", "cats", "hamlet", "everest", "tea", "rivers", "volcanoes", "bread"]


@pytest.fixture
def corpus_index(tmp_path):
    """An index of 40 three-sentence documents (one passage each)."""
    root = tmp_path / "corpus"
    root.mkdir()
    for i in range(40):
        t = TOPICS[i % len(TOPICS)]
        (root / f"d{i:02}.txt").write_text(f"The {t} story {i} begins. Many {t} facts follow. Nobody forgets {t} {i}.\n")
    idx = tmp_path / "idx"
    assert wenda("index", str(root), "--index", str(idx)).returncode == 0
    return idx


def test_train_retriever_self_supervised(corpus_index, tmp_path):
    out = tmp_path / "enc"
    settings = ["--set", "embeddings=random", "--set", "epochs=2", "--set", "threads=1", "--set", "batch_size=8"]
    r = wenda(
        "train", "retriever", "--model", "cnn", "--self-supervised", "ict", "--index", str(corpus_index),
        "--out", str(out), "-q", "--json", *settings,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["epoch"] == 2 and report["params"] > 0
    assert {"config.json", "model.safetensors", "vocab.json", "training.json"} <= {p.name for p in out.iterdir()}
    assert json.loads((out / "training.json").read_text())["train_pairs"] == 38


def test_train_retriever_needs_something_to_train_on(corpus_index, tmp_path):
    r = wenda("train", "retriever", "--model", "cnn", "--index", str(corpus_index), "--out", str(tmp_path / "m"))
    assert r.returncode == 2 and "say what to train on" in r.stderr
    r = wenda(
        "train", "retriever", "--model", "cnn", "--self-supervised", "cloze", "--index", str(corpus_index),
        "--out", str(tmp_path / "m"),
    )  # fmt: skip
    assert r.returncode == 2 and "self-supervision is one of" in r.stderr


@pytest.mark.parametrize(("bits", "learned"), [(0, "dense"), (64, "binary")])
def test_index_and_search_with_a_trained_encoder(corpus_index, tmp_path, bits, learned):
    enc = tmp_path / "enc"
    settings = ["--set", "embeddings=random", "--set", "epochs=1", "--set", "threads=1", "--set", f"bits={bits}"]
    r = wenda(
        "train", "retriever", "--model", "cnn", "--self-supervised", "ict", "--index", str(corpus_index),
        "--out", str(enc), "-q", *settings,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    docs = tmp_path / "corpus"
    r = wenda("index", str(docs), "--index", str(corpus_index), "--encoder", str(enc))
    assert r.returncode == 0, r.stderr
    built = json.loads((corpus_index / "wenda.json").read_text())
    assert learned in built["retrievers"] and (corpus_index / "retrievers" / learned / "encoder" / "config.json").exists()
    for name in (learned, "hybrid"):
        r = wenda("search", "Many hamlet facts follow", "--index", str(corpus_index), "-r", name, "--k", "3", "--json")
        assert r.returncode == 0, r.stderr
        hits = json.loads(r.stdout)["hits"]
        assert len(hits) == 3 and hits[0]["retriever"] == (learned if name == learned else f"bm25+tfidf+{learned}")
    # Removing a document removes its passage from the learned index too.
    (docs / "d02.txt").unlink()
    assert wenda("index", str(docs), "--index", str(corpus_index)).returncode == 0
    r = wenda("search", "hamlet story 2", "--index", str(corpus_index), "-r", learned, "--k", "40", "--json")
    assert all(h["source"].endswith("d02.txt") is False for h in json.loads(r.stdout)["hits"])
    assert len(json.loads(r.stdout)["hits"]) == 39


def test_learned_retrievers_need_an_encoder(corpus_index, tmp_path):
    r = wenda("index", str(tmp_path / "corpus"), "--index", str(corpus_index), "-r", "dense")
    assert r.returncode == 2 and "need --encoder" in r.stderr
    r = wenda("search", "hamlet", "--index", str(corpus_index), "-r", "hybrid")
    assert r.returncode != 0 and "hybrid search needs a dense or binary retriever" in r.stderr
    for flags, message in [
        (["--backend", "qdrant"], "needs --qdrant-url"),
        (["--backend", "qdrant", "--qdrant-url", "localhost:6333"], "http(s)://host:port"),
        (["--backend", "qdrant", "--qdrant-url", "http://127.0.0.1:9", "-r", "tfidf"], "no Qdrant form"),
        (["--qdrant-url", "http://127.0.0.1:9"], "goes with --backend qdrant"),
        (["--backend", "elastic"], "embedded or qdrant"),
    ]:
        r = wenda("index", str(tmp_path / "corpus"), "--index", str(tmp_path / "q"), *flags)
        assert r.returncode == 2 and message in r.stderr, (flags, r.stderr)
    r = wenda("index", str(tmp_path / "corpus"), "--index", str(tmp_path / "q"), "--backend", "qdrant",
              "--qdrant-url", "http://127.0.0.1:9")  # fmt: skip
    assert r.returncode != 0 and "Qdrant at http://127.0.0.1:9" in r.stderr and "Traceback" not in r.stderr
