"""Tests for wenda.index.qdrant: the learned retrievers with their vectors in Qdrant (qdrant-client's
in-process mode) answer exactly as with the embedded stores, through adds and deletes."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

pytest.importorskip("qdrant_client")
torch = pytest.importorskip("torch")

from wenda.collection import Collection  # noqa: E402
from wenda.errors import IndexError_  # noqa: E402
from wenda.index.qdrant import QdrantVectors, client  # noqa: E402

from .corpora import QUERIES, random_encoder, write_docs  # noqa: E402


@pytest.fixture(scope="module")
def encoders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("enc")
    return {"dense": random_encoder(root, 0), "binary": random_encoder(root, 64)}


def _collection(root: Path, encoders: dict[str, Path], qdrant: str | None) -> Collection:
    extra = {"qdrant": qdrant} if qdrant else {}
    params = {name: {"encoder": str(enc), **extra} for name, enc in encoders.items()}
    return Collection.open_or_create(root, ["dense", "binary"], params=params)


TOL = 1e-3  # Qdrant scores in float32 with its own summation order: the last digits may differ


def _answers(col: Collection) -> dict:
    """Each query's top-10 hits as (score, passage id), per retriever."""
    return {
        (r, q): [(h.score, h.passage_id) for h in col.search(q, k=10, retriever=r)]
        for r in ("dense", "binary")
        for q in QUERIES
    }


def _assert_same(got: dict, want: dict) -> None:
    """The same top-10 scores (to TOL), and the same passages with the same scores above the 10th:
    passages that tie (the documents repeat the same topic words under other numbers) may come in
    either order, and which of those tied at the cut-off make the top 10 is not specified."""
    assert got.keys() == want.keys()
    for key in want:
        g, w = got[key], want[key]
        assert [s for s, _ in g] == pytest.approx([s for s, _ in w], abs=TOL), key
        cut = w[-1][0] if w else 0.0
        g_ids, w_ids = dict((p, s) for s, p in g), dict((p, s) for s, p in w)
        for a, b in ((g_ids, w_ids), (w_ids, g_ids)):
            for pid, score in a.items():
                if score > cut + TOL:
                    assert pid in b and b[pid] == pytest.approx(score, abs=TOL), (key, pid)


def test_qdrant_answers_equal_the_embedded_stores_through_adds_and_deletes(tmp_path, encoders):
    docs = tmp_path / "docs"
    write_docs(docs, 40)
    url = f"memory:{uuid.uuid4().hex}"
    with (
        _collection(tmp_path / "emb", encoders, None) as emb,
        _collection(tmp_path / "qd", encoders, url) as qd,
    ):
        for col in (emb, qd):
            col.add([docs])
        _assert_same(_answers(qd), _answers(emb))
        assert len(qd.retriever("dense")) == len(emb.retriever("dense")) == 40
        write_docs(docs, 10, start=40)
        for i in range(0, 40, 4):
            (docs / f"d{i}.txt").unlink()
        for col in (emb, qd):
            col.add([docs])
        _assert_same(_answers(qd), _answers(emb))
        assert len(qd.retriever("binary")) == 40
    with Collection.open(tmp_path / "qd") as reopened, Collection.open(tmp_path / "emb") as emb:
        _assert_same(_answers(reopened), _answers(emb))  # the record in qdrant.json finds the collection


def _points(client, collection: str) -> dict[int, dict]:
    points, offset = {}, None
    while True:
        page, offset = client.scroll(collection, limit=256, offset=offset, with_payload=True)
        points.update({int(p.id): p.payload for p in page})
        if offset is None:
            return points


def test_points_carry_the_passage_text_and_its_provenance(tmp_path, encoders):
    """Every point in Qdrant (dense, binary, bm25-qdrant) carries its passage's text, document id,
    source, title and offsets, which cut that text out of the stored document; replaced and
    deleted passages leave no point behind."""
    docs = tmp_path / "docs"
    write_docs(docs, 12)
    url = f"memory:{uuid.uuid4().hex}"
    params = {name: {"encoder": str(enc), "qdrant": url} for name, enc in encoders.items()}
    params["bm25-qdrant"] = {"qdrant": url}
    with Collection.open_or_create(tmp_path / "qd", ["bm25-qdrant", "dense", "binary"], params=params) as col:
        col.add([docs])
        (docs / "d3.txt").write_text("A replaced note about a lighthouse.")
        (docs / "d4.txt").unlink()
        col.add([docs])
        live = {pid for (pid,) in col.store.conn.execute("SELECT id FROM passages")}
        stores = {"bm25-qdrant": col.retriever("bm25-qdrant")._q, "dense": col.retriever("dense")._store}
        stores["binary"] = col.retriever("binary")._store
        for name, store in stores.items():
            points = _points(store.client, store.collection)
            assert set(points) == live, name
            for pid, payload in points.items():
                doc = col.store.document(payload["doc_id"])
                assert doc["text"][payload["start"] : payload["end"]] == payload["text"], (name, pid)
                assert (payload["source"], payload["title"]) == (doc["source"], doc["title"])
            assert any("lighthouse" in p["text"] for p in points.values())


def test_hybrid_search_over_qdrant_equals_the_embedded_hybrid(tmp_path, encoders):
    """BM25 and dense both in Qdrant, fused as the embedded pair is (RRF): the same passages, scores."""
    docs = tmp_path / "docs"
    write_docs(docs, 30)
    url = f"memory:{uuid.uuid4().hex}"
    emb_params = {"dense": {"encoder": str(encoders["dense"])}}
    qd_params = {"dense": {"encoder": str(encoders["dense"]), "qdrant": url}, "bm25-qdrant": {"qdrant": url}}
    with (
        Collection.open_or_create(tmp_path / "emb", ["bm25", "dense"], params=emb_params) as emb,
        Collection.open_or_create(tmp_path / "qd", ["bm25-qdrant", "dense"], params=qd_params) as qd,
    ):
        for col in (emb, qd):
            col.add([docs])
        for q in QUERIES:
            want = [(h.passage_id, round(h.score, 6)) for h in emb.search(q, 10, "hybrid")]
            assert [(h.passage_id, round(h.score, 6)) for h in qd.search(q, 10, "hybrid")] == want and want


def test_binary_codes_in_qdrant_rank_by_hamming_then_rescore(tmp_path):
    import numpy as np

    store = QdrantVectors.create(tmp_path / "q", f"memory:{uuid.uuid4().hex}", 8, "binary")
    codes = np.array([[1, 1, 1, 1, -1, -1, -1, -1], [1, 1, 1, -1, -1, -1, -1, -1], [-1] * 8], np.float32)
    store.add([10, 11, 12], codes * 0.3)  # stored as signs
    query = np.array([[5, 0.1, 0.1, 0.1, -0.1, -0.1, -0.1, -0.1]], np.float32)
    ids, scores = store.search(query, k=2, candidates=2)  # Hamming: 10 (0), 11 (1), 12 (4)
    assert ids.tolist() == [[10, 11]]
    assert scores[0].tolist() == pytest.approx([5.7, 5.5])  # the continuous query . codes
    far = np.array([[-10, 0.1, 0.1, 0.1, -0.1, -0.1, -0.1, -0.1]], np.float32)  # Hamming 1, 2, 3
    assert store.search(far, k=1, candidates=1)[0].tolist() == [[10]]  # only candidates are re-scored
    assert store.search(far, k=1, candidates=3)[0].tolist() == [[12]]  # <far, -1...> is the best
    assert store.search(far, k=5)[0].tolist() == [[12, 10, 11, -1, -1]]  # -9.3 > -9.5; padded


def test_bad_urls_and_missing_collections_are_clear_errors(tmp_path, encoders):
    with pytest.raises(IndexError_, match="http"):
        client("localhost:6333")
    url = f"memory:{uuid.uuid4().hex}"
    store = QdrantVectors.create(tmp_path / "q", url, 4)
    client(url).delete_collection(store.collection)
    with pytest.raises(IndexError_, match="collection .* is missing"):
        QdrantVectors.open(tmp_path / "q")
    unreachable = QdrantVectors.__new__(QdrantVectors)
    unreachable.meta = {"url": "http://127.0.0.1:9", "collection": "c", "dim": 4, "kind": "float"}
    unreachable.client, unreachable.collection = client("http://127.0.0.1:9"), "c"
    with pytest.raises(IndexError_, match="Qdrant at http://127.0.0.1:9"):
        len(unreachable)
