"""BM25 with its postings in Qdrant (``bm25-qdrant``): the exact scores and top k of ``bm25``
(:mod:`wenda.index.bm25`), for corpora kept in a Qdrant server.

Each passage is a point with a sparse vector (Qdrant's inverted index) and a payload of its length,
distinct terms and their frequencies. A sparse vector cannot hold exact BM25: the length norm
``k1 * (1 - b + b * |d| / avgdl)`` changes with every passage added. So, as ``bm25`` does with
tantivy, Qdrant proposes and we score exactly:

* the stored weight of term t in passage d is ``tf / (tf + k1 * (1 - b + b * |d| / a0))`` with
  ``a0`` the average length when d was written (in the payload); the query vector holds each query
  term's count times its exact idf, so Qdrant's dot product is BM25 with a stale average;
* the exact weight differs from the stored one by at most the factor ``max(1, avgdl / a0)``
  (the norm is linear in 1/avgdl), so the exact score is at most ``r`` times Qdrant's with
  ``r = max(1, avgdl / min a0)``; Qdrant's hits are re-scored exactly, best first, until none left
  can enter the top k (ties re-scored too, then broken by passage id, as in ``bm25``).

Term ids are murmurhash3 (32 bits) of the term; a collision only adds weight to Qdrant's score, which
keeps it an upper bound. df counts the live points whose payload lists the term (a keyword index).
N, the total length and ``min a0`` live in ``state.json`` with the applied seq (one atomic write).
Deleting or replacing points needs their old lengths: they are read before the first change and
kept in ``pending.json`` until the step is recorded, so a killed step replays exactly.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from functools import partial

import mmh3

from wenda.errors import IndexError_
from wenda.fileio import atomic_write_json, read_json
from wenda.index.base import Op, Retriever
from wenda.index.qdrant import QdrantCollection
from wenda.index.rescore import exact_top_k
from wenda.registry import register
from wenda.text.parallel import tokenize_batch

_PENDING = "pending.json"
_MAX_DEPTH = 20_000
_FLOAT32 = 1.0 + 1e-5  # Qdrant keeps weights and scores in float32


class QdrantPostings(QdrantCollection):
    """The collection: a sparse vector ``terms`` per point, payload terms indexed as keywords."""

    @classmethod
    def create(cls, path, url: str) -> QdrantPostings:
        self = cls._new(path, url, kind="bm25")
        from qdrant_client import models

        sparse = {"terms": models.SparseVectorParams(index=models.SparseIndexParams(on_disk=True))}
        self._call(
            self.client.create_collection, self.collection, vectors_config={}, sparse_vectors_config=sparse
        )
        if not url.startswith("memory:"):  # the in-process mode scans payloads without an index
            keyword = models.PayloadSchemaType.KEYWORD
            self._call(self.client.create_payload_index, self.collection, "terms", keyword)
        self._save_meta()
        return self


def _term_id(term: str) -> int:
    return mmh3.hash(term, 0, False)


@register("retriever", "bm25-qdrant")
class QdrantBM25(Retriever):
    """Exact BM25 in Qdrant; params ``qdrant`` (the url), ``k1`` (1.2), ``b`` (0.75), ``min_depth``."""

    @classmethod
    def default_params(cls) -> dict:
        return {"k1": 1.2, "b": 0.75, "min_depth": 50, "qdrant": None}

    def _init_storage(self) -> None:
        if not self.params.get("qdrant"):
            raise IndexError_("the bm25-qdrant retriever needs a Qdrant url (--qdrant http://host:6333)")
        self._q = QdrantPostings.create(self.path / "qdrant", self.params["qdrant"])
        self._stats, self._df = {"n": 0, "total": 0, "min_a0": 0.0}, {}

    def _load(self) -> None:
        self._q = QdrantPostings.open(self.path / "qdrant")
        state = read_json(self.path / "state.json", "index state")
        self._stats, self._df = {k: state[k] for k in ("n", "total", "min_a0")}, {}

    def _write_seq(self, seq: int) -> None:
        atomic_write_json(self.path / "state.json", {"applied_seq": int(seq), **self._stats})

    def __len__(self) -> int:
        return int(self._stats["n"])

    def _lengths_before(self, pids: list[int]) -> dict[str, int | None]:
        """Each passage's length before this step (None: absent), read once per step."""
        pending = self.path / _PENDING
        before = read_json(pending, "pending step")["lengths"] if pending.exists() else {}
        missing = [p for p in pids if str(p) not in before]
        points = self._q._call(self._q.client.retrieve, self._q.collection, missing, with_payload=["len"])
        found = {int(p.id): int(p.payload["len"]) for p in points}
        before.update({str(p): found.get(p) for p in missing})
        atomic_write_json(pending, {"lengths": before})
        return before

    def apply(self, ops: Sequence[Op]) -> None:
        if not ops:
            return
        latest = {op.passage_id: op for op in ops}  # the last op per passage decides
        before = self._lengths_before(list(latest))
        stats = dict(self._stats)
        for length in before.values():
            if length is not None:
                stats["n"], stats["total"] = stats["n"] - 1, stats["total"] - length
        adds = [op for op in latest.values() if op.text is not None]
        terms = tokenize_batch(self.tokenizer, [op.text for op in adds])
        stats["n"] += len(adds)
        stats["total"] += sum(map(len, terms))
        a0 = stats["total"] / stats["n"] if stats["n"] else 1.0
        stats["min_a0"] = min(a0, stats["min_a0"] or a0)
        self._q.delete(list(latest))
        points = [self._point(op, toks, a0) for op, toks in zip(adds, terms, strict=True)]
        for i in range(0, len(points), 1024):
            self._q._call(self._q.client.upsert, self._q.collection, points=points[i : i + 1024], wait=True)
        self._stats, self._df = stats, {}
        self._write_seq(ops[-1].seq)
        (self.path / _PENDING).unlink(missing_ok=True)

    def _point(self, op: Op, toks: list[str], a0: float):
        from qdrant_client import models

        k1, b = self.params["k1"], self.params["b"]
        norm = k1 * (1.0 - b + b * len(toks) / a0)
        tf = Counter(toks)
        weights: dict[int, float] = Counter()
        for t, f in tf.items():
            weights[_term_id(t)] += f / (f + norm)
        vector = models.SparseVector(indices=list(weights), values=list(weights.values()))
        payload = {"len": len(toks), "terms": list(tf), "tf": list(tf.values()), **op.payload()}
        return models.PointStruct(id=op.passage_id, vector={"terms": vector}, payload=payload)

    def _idf(self, term: str) -> float:
        if term not in self._df:
            from qdrant_client import models

            match = models.FieldCondition(key="terms", match=models.MatchValue(value=term))
            count = self._q._call(
                self._q.client.count, self._q.collection, count_filter=models.Filter(must=[match]), exact=True
            )
            self._df[term] = count.count
        df, n = self._df[term], self._stats["n"]
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def search(self, query: str, k: int = 10) -> list[tuple[int, float]]:
        from qdrant_client import models

        qterms = self.tokenizer.tokens(query)
        if not qterms or not self._stats["n"] or k <= 0:
            return []
        weights = Counter(qterms)  # a repeated query term counts once per repetition, as in bm25
        idf = {t: self._idf(t) for t in weights}
        sparse: dict[int, float] = Counter()
        for t, w in weights.items():
            sparse[_term_id(t)] += w * idf[t]
        vector = models.SparseVector(indices=list(sparse), values=list(sparse.values()))
        return self._rescore(vector, k, weights, idf)

    def _rescore(self, vector, k: int, weights: Counter, idf: dict[str, float]) -> list[tuple[int, float]]:
        """Qdrant's hits re-scored exactly (:mod:`wenda.index.rescore`)."""
        k1, b, n = self.params["k1"], self.params["b"], self._stats["n"]
        avgdl = self._stats["total"] / n

        def exact(hit) -> tuple[int, float]:
            tf = dict(zip(hit.payload["terms"], hit.payload["tf"], strict=True))
            norm = k1 * (1.0 - b + b * hit.payload["len"] / avgdl)
            return int(hit.id), sum(
                w * idf[t] * tf[t] / (tf[t] + norm) for t, w in weights.items() if t in tf
            )

        def fetch(depth: int, seen: set):
            hits = self._q._call(
                self._q.client.query_points, self._q.collection, query=vector, using="terms", limit=depth,
                with_payload=["len", "terms", "tf"],
            ).points  # fmt: skip
            return len(hits), [(h.score, h.id, partial(exact, h)) for h in hits if h.id not in seen]

        ceiling = max(1.0, avgdl / self._stats["min_a0"]) * _FLOAT32
        return exact_top_k(fetch, k, ceiling, max(2 * k, int(self.params["min_depth"])), _MAX_DEPTH)
