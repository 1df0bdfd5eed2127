"""Qdrant (https://qdrant.tech) as the vector store of the learned retrievers, for corpora that
outgrow one machine: the same encoders, the same change-log replay, the vectors in a Qdrant
collection instead of ``.npy`` files.

:class:`QdrantVectors` has the interface of :class:`~wenda.index.vectors.FloatVectors` (``dense``:
exact inner product) and :class:`~wenda.index.vectors.BinaryCodes` (``binary``: BPR's two stages),
so ``DenseRetriever`` and ``BinaryRetriever`` take either. BPR on Qdrant: each passage's code is
stored as a +-1 vector, so the inner product with the question's own code is ``bits - 2 * Hamming
distance`` (stage (a), the ``candidates`` nearest codes, a Qdrant prefetch), and the inner product
with the continuous question vector is BPR's re-ranking score (stage (b), the query over the
prefetched points). A Qdrant server keeps those vectors in RAM 1 bit per dimension (binary
quantization, set on the collection) with the full vectors on disk.

Where the points live (``url``): a Qdrant server (``http://host:6333``; ``QDRANT_API_KEY`` read from
the environment), or ``memory:NAME``, qdrant-client's in-process mode shared by name within the
process (tests and trials; gone when the process ends). qdrant-client's on-disk local mode is not
offered: it saves points with pickle, which wenda never loads.

The retriever directory keeps ``qdrant.json`` (url, collection, dimension, kind); point ids are
passage ids, and each write waits for Qdrant to apply it before the change-log position is recorded,
so a killed run replays, harmlessly, what it had sent.
"""

from __future__ import annotations

import os
import uuid
from functools import cache
from pathlib import Path

import numpy as np

from wenda.errors import BadQueryError, IndexError_
from wenda.fileio import atomic_write_json, read_json

META = "qdrant.json"
_BATCH = 1024  # points per upsert request


@cache
def _memory_client(name: str):
    from qdrant_client import QdrantClient

    return QdrantClient(":memory:")


def client(url: str):
    """The Qdrant client for ``url`` (see the module docstring)."""
    try:
        from qdrant_client import QdrantClient
    except ImportError:
        raise IndexError_("the Qdrant backend needs qdrant-client: pip install 'wenda[scale]'") from None
    if url.startswith("memory:"):
        return _memory_client(url)
    if url.startswith(("http://", "https://")):
        return QdrantClient(
            url=url, api_key=os.environ.get("QDRANT_API_KEY"), timeout=60, check_compatibility=False
        )
    raise IndexError_(f"Qdrant url {url!r}: give http(s)://host:port or memory:NAME")


class QdrantCollection:
    """A Qdrant collection recorded in ``path/qdrant.json`` (url, collection name, and what the
    subclass keeps there); requests that fail become :class:`IndexError_` naming the server."""

    def __init__(self, path: Path, meta: dict) -> None:
        self.path, self.meta = Path(path), meta
        self.client, self.collection = client(meta["url"]), meta["collection"]

    @classmethod
    def _new(cls, path, url: str, **meta) -> QdrantCollection:
        """The record of a new collection (named after a fresh uuid); the subclass creates it."""
        return cls(path, {"url": url, "collection": f"wenda-{uuid.uuid4().hex}", **meta})

    def _save_meta(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self.path / META, self.meta)

    @classmethod
    def open(cls, path):
        self = cls(path, read_json(Path(path) / META, "Qdrant collection record"))
        if not self._call(self.client.collection_exists, self.collection):
            raise IndexError_(
                f"{Path(path) / META}: Qdrant collection {self.collection} is missing at {self.meta['url']}"
            )
        return self

    def _call(self, fn, *args, **kwargs):
        """A Qdrant request; a refused or failed one becomes an :class:`IndexError_`."""
        try:
            return fn(*args, **kwargs)
        except (OSError, RuntimeError, ValueError) as exc:
            raise IndexError_(f"Qdrant at {self.meta['url']}: {type(exc).__name__}: {exc}") from None
        except Exception as exc:  # qdrant-client's own errors (HTTP, gRPC) share no base class
            if type(exc).__module__.startswith(("qdrant_client", "httpx", "grpc")):
                raise IndexError_(f"Qdrant at {self.meta['url']}: {type(exc).__name__}: {exc}") from None
            raise

    def delete(self, ids) -> None:
        """Delete the points ``ids`` (absent ones are ignored), waiting for Qdrant to apply it."""
        from qdrant_client import models

        ids = np.asarray(ids, np.int64).tolist()
        if ids:
            selector = models.PointIdsList(points=ids)
            self._call(self.client.delete, self.collection, points_selector=selector, wait=True)

    def __len__(self) -> int:
        return self._call(self.client.count, self.collection, exact=True).count


class QdrantVectors(QdrantCollection):
    """Passage vectors (``kind="float"``) or BPR codes (``kind="binary"``) in a Qdrant collection."""

    @classmethod
    def create(cls, path, url: str, dim: int, kind: str = "float") -> QdrantVectors:
        """A new collection and ``path/qdrant.json`` recording it."""
        self = cls._new(path, url, dim=int(dim), kind=kind)  # fails first without qdrant-client
        from qdrant_client import models

        quantization = None
        if kind == "binary":
            quantization = models.BinaryQuantization(binary=models.BinaryQuantizationConfig(always_ram=True))
        self._call(
            self.client.create_collection,
            self.collection,
            vectors_config=models.VectorParams(size=int(dim), distance=models.Distance.DOT, on_disk=True),
            quantization_config=quantization,
        )
        self._save_meta()
        return self

    @property
    def dim(self) -> int:
        return self.meta["dim"]

    @property
    def bits(self) -> int:
        return self.meta["dim"]

    def add(self, ids, vectors, payloads: list[dict] | None = None) -> None:
        """Insert or replace the rows ``ids`` ([n]) with ``vectors`` ([n, dim]; codes are signs)
        and, given, each point's payload (the passage's text and provenance: ``Op.payload``)."""
        from qdrant_client import models

        from wenda.index.vectors import _check_matrix  # faiss loads only for learned indexes

        x = _check_matrix(vectors, self.dim, "vectors")
        if self.meta["kind"] == "binary":
            x = np.where(x > 0, 1.0, -1.0).astype(np.float32)  # BPR: sign(v), read as +-1
        ids = np.asarray(ids, np.int64)
        for i in range(0, len(ids), _BATCH):
            part = payloads[i : i + _BATCH] if payloads is not None else None
            batch = models.Batch(
                ids=ids[i : i + _BATCH].tolist(), vectors=x[i : i + _BATCH].tolist(), payloads=part
            )
            self._call(self.client.upsert, self.collection, points=batch, wait=True)

    def save(self) -> None:
        """Nothing to do: every write above waited for Qdrant to apply it."""

    def search(self, queries, k: int, candidates: int = 1000) -> tuple[np.ndarray, np.ndarray]:
        """``(ids int64 [Q, k], scores float32 [Q, k])`` as the embedded stores give them: best
        first, ties by the smaller id, padded with -1 and -inf."""
        from qdrant_client import models

        from wenda.index.vectors import _check_k, _check_matrix

        q, k = _check_matrix(queries, self.dim, "queries", BadQueryError), _check_k(k)
        requests = []
        for row in q:
            prefetch = None
            if self.meta["kind"] == "binary":
                code = np.where(row > 0, 1.0, -1.0).tolist()
                prefetch = models.Prefetch(query=code, limit=max(int(candidates), k))
            requests.append(models.QueryRequest(query=row.tolist(), prefetch=prefetch, limit=k))
        answers = self._call(self.client.query_batch_points, self.collection, requests=requests)
        ids, scores = np.full((len(q), k), -1, np.int64), np.full((len(q), k), -np.inf, np.float32)
        for i, answer in enumerate(answers):
            best = sorted((-p.score, int(p.id)) for p in answer.points)[:k]
            ids[i, : len(best)] = [pid for _, pid in best]
            scores[i, : len(best)] = [-s for s, _ in best]
        return ids, scores
