"""Tests for wenda.index.qdrant_bm25: BM25 with its postings in Qdrant (qdrant-client's in-process
mode) gives exactly the scores and top k of the embedded ``bm25``, through adds, deletes and a
step killed half-way."""

from __future__ import annotations

import random
import uuid

import pytest

pytest.importorskip("qdrant_client")

from wenda.collection import Collection  # noqa: E402
from wenda.errors import IndexError_  # noqa: E402
from wenda.index.base import Op  # noqa: E402
from wenda.index.bm25 import BM25  # noqa: E402
from wenda.index.qdrant_bm25 import QdrantBM25  # noqa: E402

WORDS = "river mountain city engine planet tea harbour violin storm garden bridge copper winter".split()  # noqa: SIM905 - one line, not thirteen


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 60)))


def _queries(rng: random.Random) -> list[str]:
    return [" ".join(rng.sample(WORDS, rng.randint(1, 4))) for _ in range(25)] + ["tea tea river", "unknown"]


def _same(a, b, queries, k=10):
    for q in queries:
        assert a.search(q, k) == b.search(q, k), q  # ids, order and float scores all equal


def test_scores_and_rankings_equal_the_embedded_bm25_through_adds_and_deletes(tmp_path):
    rng = random.Random(7)
    emb = BM25.create(tmp_path / "emb")
    qd = QdrantBM25.create(tmp_path / "qd", qdrant=f"memory:{uuid.uuid4().hex}")
    seq, texts = 0, {}
    for step in range(4):  # the average length drifts: early points carry stale weights
        ops = []
        for _ in range(60 if step == 0 else 25):
            seq += 1
            pid = rng.randint(1, 150)
            if pid in texts and rng.random() < 0.4:
                ops.append(Op(seq, pid, None))
                texts.pop(pid)
            else:
                texts[pid] = _text(rng) + (" storm" * 30 if step == 3 else "")
                ops.append(Op(seq, pid, texts[pid]))
        emb.apply(ops)
        qd.apply(ops)
        assert len(qd) == len(emb) == len(texts)
        _same(emb, qd, _queries(rng))
    _same(emb, QdrantBM25.open(tmp_path / "qd"), _queries(rng), k=3)


def test_a_step_killed_after_its_deletes_replays_exactly(tmp_path, monkeypatch):
    url, rng = f"memory:{uuid.uuid4().hex}", random.Random(3)
    first = [Op(i, i, _text(rng)) for i in range(1, 41)]
    second = [Op(41, 5, None), Op(42, 6, _text(rng)), Op(43, 77, _text(rng))]
    emb, qd = BM25.create(tmp_path / "emb"), QdrantBM25.create(tmp_path / "qd", qdrant=url)
    for r in (emb, qd):
        r.apply(first)
    emb.apply(second)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # as if SIGKILL landed between the deletes and the upserts

    monkeypatch.setattr(qd._q.client, "upsert", killed)
    with pytest.raises(KeyboardInterrupt):
        qd.apply(second)
    monkeypatch.undo()
    again = QdrantBM25.open(tmp_path / "qd")
    assert again.applied_seq == 40 and (tmp_path / "qd" / "pending.json").exists()
    again.apply(second)  # passage 6's old length comes from pending.json: it is gone from Qdrant
    assert len(again) == len(emb) == 40
    _same(emb, again, _queries(rng))


def test_in_a_collection_and_without_a_url(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(12):
        (docs / f"d{i}.txt").write_text(f"Passage {i} about the {WORDS[i]} and the {WORDS[i + 1]}.")
    params = {"bm25-qdrant": {"qdrant": f"memory:{uuid.uuid4().hex}"}}
    with Collection.open_or_create(tmp_path / "idx", ["bm25", "bm25-qdrant"], params=params) as col:
        col.add([docs])
        for q in ("the violin", "city engine", "storm"):
            hits = [[(h.passage_id, h.score) for h in col.search(q, 5, r)] for r in ("bm25", "bm25-qdrant")]
            assert hits[0] == hits[1] and hits[0]
    with pytest.raises(IndexError_, match="needs a Qdrant url"):
        QdrantBM25.create(tmp_path / "nourl")
