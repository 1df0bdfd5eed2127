"""Tests for wenda.scale.raymap: indexing with a local Ray (2 workers) gives exactly the index a
run without Ray gives: documents, passages, and the answers of every retriever, dense included."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")
torch = pytest.importorskip("torch")

import wenda.encode  # noqa: E402
from wenda import registry  # noqa: E402
from wenda.collection import Collection  # noqa: E402
from wenda.nn.modeldir import save_model  # noqa: E402
from wenda.testing import minimal_pdf  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402

TOPICS = ["river", "mountain", "city", "engine", "planet", "tea"]


@pytest.fixture(scope="module")
def local_ray():
    from wenda.scale.raymap import connect

    connect("local", 2)
    yield
    ray.shutdown()


def _corpus(root: Path) -> Path:
    docs = root / "docs"
    shutil.rmtree(docs, ignore_errors=True)
    docs.mkdir()
    for i in range(40):
        text = f"Passage {i} tells of the {TOPICS[i % 6]} and the {TOPICS[(i * 5 + 1) % 6]}. " * (1 + i % 30)
        kind = i % 4
        if kind == 3:
            (docs / f"d{i}.pdf").write_bytes(minimal_pdf([text[:300]]))
        else:
            (docs / f"d{i}{['.txt', '.md', '.html'][kind]}").write_text(text)
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    return docs


def _state(col: Collection) -> tuple:
    docs = col.store.conn.execute("SELECT source, title, text FROM documents ORDER BY id").fetchall()
    passages = col.store.conn.execute("SELECT id, doc_id, start, end FROM passages ORDER BY id").fetchall()
    answers = {
        (r, q): [(h.passage_id, round(h.score, 5)) for h in col.search(q, 10, r)]
        for r in col.meta["retrievers"]
        for q in ("river engine", "tea on the planet", "city")
    }
    return docs, passages, answers


def test_indexing_on_ray_equals_indexing_here(tmp_path, local_ray):
    torch.manual_seed(0)
    cnn = registry.get("encode", "cnn")
    save_model(cnn(cnn.Config(), Vocab.build([TOPICS])), "encode", wenda.encode.TOKENIZER, tmp_path / "enc")
    params = {"dense": {"encoder": str(tmp_path / "enc")}}
    states, reports = [], []
    for name, use_ray in (("here", False), ("ray", True)):
        docs = _corpus(tmp_path)  # the same files, written again
        with Collection.open_or_create(tmp_path / name, ["bm25", "tfidf", "dense"], params=params) as col:
            if use_ray:
                col.use_ray("local", 2)
            reports.append(col.add([docs]))
            (docs / "d0.txt").write_text("A changed passage about tea.")  # then an update
            (docs / "d1.md").unlink()
            reports.append(col.add([docs]))
            states.append(_state(col))
    assert states[0] == states[1]
    assert [len(r.failed) for r in reports] == [1, 1, 1, 1]  # broken.pdf, reported each time
    assert reports[0].updated == reports[2].updated == 40
    assert reports[1].updated == reports[3].updated == 1 and reports[3].files_removed == 1
