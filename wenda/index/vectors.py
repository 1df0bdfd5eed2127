"""Stores for learned retrieval: float vectors searched exactly, binary codes searched BPR's way.

:class:`FloatVectors` keeps float32 passage vectors (DPR-style dense retrieval: Karpukhin et al. 2020)
and ranks them by inner product. :class:`BinaryCodes` keeps BPR's binary passage codes (Yamada et al.
2021, "Efficient Passage Retrieval with Hashing for Open-domain Question Answering"): ``sign(v) > 0`` of
the encoder's continuous outputs, one bit each, packed with ``np.packbits``. Its search follows BPR's
two stages (their Fig. 1): (a) candidate generation, the ``l`` passages nearest to the question's own
binary code in Hamming distance (:mod:`wenda.index.hamming`, faiss); (b) re-ranking of those by the
inner product of the *continuous* question vector with each candidate's code read as +-1.

Both keep their rows in a directory of ``.npy`` files, memory-mapped, updated incrementally and saved
atomically (:mod:`wenda.index.store`). Results are ``(ids int64 [Q, k], scores float32 [Q, k])``, best
first, ties broken by the smaller passage id, padded with id -1 and score -inf when fewer than ``k``
passages qualify.
"""

from __future__ import annotations

import numpy as np

from wenda.errors import BadQueryError
from wenda.index import hamming
from wenda.index.store import RowStore

_QUERY_GROUP = 256  # queries scored together by FloatVectors: [256, 65536] float32 scores = 64 MB
_EMPTY = (np.empty(0, np.int64), np.empty(0, np.float32))


def _check_matrix(x: object, dim: int, what: str, error: type[Exception] = ValueError) -> np.ndarray:
    """``x`` as finite float32 [n, dim], or ``error`` saying what is wrong."""
    arr = np.asarray(x)
    if arr.ndim != 2 or arr.shape[1] != dim or arr.dtype.kind not in "fiub":
        raise error(f"{what} must be a numeric [n, {dim}] array, got {arr.dtype}{list(arr.shape)}")
    arr = arr.astype(np.float32, copy=False)
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        raise error(f"{what} hold NaN or infinite values (rows {np.flatnonzero(bad)[:10].tolist()})")
    return arr


def _check_k(k: int) -> int:
    if int(k) != k or k < 0:
        raise ValueError(f"k must be a non-negative integer, got {k!r}")
    return int(k)


def _best(ids: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best (ids, scores), best first, ties by smaller id."""
    if len(scores) > k:
        kth = scores[np.argpartition(scores, len(scores) - k)[len(scores) - k]]
        keep = scores >= kth  # every tie of the k-th stays, so the id tie-break is exact
        ids, scores = ids[keep], scores[keep]
    order = np.lexsort((ids, -scores))[:k]
    return ids[order], scores[order]


def _pad(best: list[tuple[np.ndarray, np.ndarray]], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-query results as ``(ids [Q, k] int64, scores [Q, k] float32)``, padded with -1 / -inf."""
    ids = np.full((len(best), k), -1, np.int64)
    scores = np.full((len(best), k), -np.inf, np.float32)
    for i, (pid, score) in enumerate(best):
        ids[i, : len(pid)], scores[i, : len(pid)] = pid, score
    return ids, scores


class FloatVectors(RowStore):
    """float32 vectors [N, D] keyed by int64 passage ids, searched exactly by inner product."""

    type_name = "vectors/float"
    dtype = np.dtype(np.float32)

    @classmethod
    def create(cls, path, dim: int) -> FloatVectors:
        """An empty store of ``dim``-dimensional vectors at ``path`` (which must not hold one)."""
        if int(dim) != dim or dim < 1:
            raise ValueError(f"dim must be a positive integer, got {dim!r}")
        return cls._create(path, width=int(dim))

    @property
    def dim(self) -> int:
        return self.width

    def add(self, ids, vectors) -> None:
        """Add ``vectors`` [n, D] as passages ``ids`` [n], replacing the vectors of known ids."""
        self._add_rows(ids, _check_matrix(vectors, self.dim, "vectors"))

    def delete(self, ids) -> None:
        """Delete passages ``ids``; unknown ids are ignored."""
        self._delete_rows(ids)

    def vectors(self, ids) -> np.ndarray:
        """The vectors of live passages ``ids``: float32 [n, D]; ``KeyError`` for unknown ids."""
        return self._gather(self._rows(ids))

    def search(self, queries, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` passages of largest inner product with each of ``queries`` [Q, D].

        Exact, by numpy matmul over memory-mapped blocks rather than faiss's IndexFlatIP: that would
        copy every vector into RAM (defeating the memory map), its ties at the k-th score are arbitrary,
        and for a batch it runs the same BLAS sgemm we do.
        """
        q, k = _check_matrix(queries, self.dim, "queries", BadQueryError), _check_k(k)
        if k == 0 or not len(self):
            return _pad([_EMPTY] * len(q), k)
        best = []
        for g in range(0, len(q), _QUERY_GROUP):
            best += self._search_group(q[g : g + _QUERY_GROUP], k)
        return _pad(best, k)

    def _search_group(self, q: np.ndarray, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
        best = [_EMPTY] * len(q)
        for start, block in self._blocks():
            live = self._live[start : start + len(block)]
            ids = np.asarray(self._ids[start : start + len(block)])[live]
            scores = (q @ np.asarray(block).T)[:, live]  # [Q, live rows of the block]
            keep = np.ones_like(scores, dtype=bool)
            if scores.shape[1] > k:  # the block's k-th score per query; its ties stay (see _best)
                keep = scores >= np.partition(scores, -k, axis=1)[:, -k, None]
            best = [
                _best(np.concatenate([b_ids, ids[m]]), np.concatenate([b_scores, s[m]]), k)
                for (b_ids, b_scores), s, m in zip(best, scores, keep, strict=True)
            ]
        return best


class BinaryCodes(RowStore):
    """BPR binary codes of ``bits`` bits, packed uint8 [N, bits/8], keyed by int64 passage ids.

    ``kind`` ("flat", "hnsw" or "ivf") and its parameters (:data:`wenda.index.hamming.KINDS`) are fixed
    at :meth:`create`; ``ef_search`` and ``nprobe`` may be changed later in :attr:`params`.
    """

    type_name = "vectors/binary"
    dtype = np.dtype(np.uint8)

    def __init__(self, path, meta: dict) -> None:
        super().__init__(path, meta)
        self._index = None  # the faiss index, loaded or built on first use
        self._index_saved = True  # whether params.json names a faiss file matching the rows
        self._bitmap = None  # live rows for faiss's selector (None: all live); see _live_bitmap

    @classmethod
    def create(cls, path, bits: int, kind: str = "flat", **params) -> BinaryCodes:
        """An empty store of ``bits``-bit codes (a multiple of 8, 64 to 1024) at ``path``."""
        if int(bits) != bits or bits % 8 or not 64 <= bits <= 1024:
            raise ValueError(f"bits must be a multiple of 8 from 64 to 1024, got {bits!r}")
        params = hamming.check_params(kind, params)
        return cls._create(path, width=int(bits) // 8, bits=int(bits), kind=kind, params=params)

    @classmethod
    def _check_meta(cls, meta: dict) -> None:
        if meta.get("bits") != 8 * meta.get("width", -1):
            raise ValueError(f"bits {meta.get('bits')!r} do not match width {meta.get('width')!r}")
        hamming.check_params(meta.get("kind"), meta.get("params"))

    @property
    def bits(self) -> int:
        return int(self.meta["bits"])

    @property
    def params(self) -> dict:
        return self.meta["params"]

    def add(self, ids, vectors) -> None:
        """Add passages ``ids`` [n] with the codes ``sign(vectors) > 0`` of ``vectors`` [n, bits]."""
        codes = np.packbits(_check_matrix(vectors, self.bits, "vectors") > 0, axis=1)  # [n, bits/8]
        index = self._faiss()  # loaded before the rows change, so a saved structure is reused
        killed, new = self._add_rows(ids, codes)
        self._bitmap, self._index_saved = None, False
        if hamming.uses_mask(index) and hamming.trainable(self.meta["kind"], self.params, len(self)):
            self._index = None  # enough codes now to train the ivf lists: rebuilt on next use
            return
        hamming.remove(index, killed)
        hamming.add(index, self._gather(new), new)

    def delete(self, ids) -> None:
        """Delete passages ``ids``; unknown ids are ignored."""
        index = self._faiss() if self.meta["kind"] == "ivf" else None  # loaded before the rows change
        killed = self._delete_rows(ids)
        self._bitmap = None
        if index is not None and len(killed) and not hamming.uses_mask(index):
            hamming.remove(index, killed)
            self._index_saved = False

    def codes(self, ids) -> np.ndarray:
        """The packed codes of live passages ``ids``: uint8 [n, bits/8]; ``KeyError`` for unknown ids."""
        return self._gather(self._rows(ids))

    def search(self, queries, k: int, candidates: int = 1000) -> tuple[np.ndarray, np.ndarray]:
        """BPR search for ``queries`` [Q, bits] (continuous): ``candidates`` by Hamming, re-ranked."""
        q, k = _check_matrix(queries, self.bits, "queries", BadQueryError), _check_k(k)
        if k == 0 or not len(self):
            return _pad([_EMPTY] * len(q), k)
        n, bitmap = max(int(candidates), k), self._live_bitmap()
        rows = hamming.search(self._faiss(), np.packbits(q > 0, axis=1), n, self.params, bitmap)  # [Q, n]
        return _pad([self._rerank(qi, r[r >= 0], k) for qi, r in zip(q, rows, strict=True)], k)

    def _rerank(self, q: np.ndarray, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """BPR's second stage: score = <q, 2b - 1> for each candidate row's code b."""
        signs = np.unpackbits(self._gather(rows), axis=1).astype(np.float32) * 2 - 1  # [l, bits]
        return _best(np.asarray(self._ids[rows]), signs @ q, k)  # [l]

    def _live_bitmap(self) -> np.ndarray | None:
        if self._bitmap is None and len(self) < len(self._live):
            self._bitmap = np.packbits(self._live, bitorder="little")  # faiss reads bit i of byte i // 8
        return self._bitmap

    def _codes(self) -> np.ndarray:
        return self._chunks[0] if len(self._chunks) == 1 else np.concatenate(self._chunks)

    def _faiss(self):
        """The faiss index: as saved if that file is sound and current, else rebuilt from the codes."""
        if self._index is None and self._index_saved and "index" in self.meta["files"]:
            path, sha = self.path / self.meta["files"]["index"], self.meta.get("index_sha256", "")
            self._index = hamming.load(path, sha, self.bits, self.meta.get("index_ntotal", -1))
        if self._index is None:
            self._index = hamming.build(self.meta["kind"], self.params, self._codes(), self._live)
            self._index_saved = False
        return self._index

    def _save_extra(self, meta: dict, compacted: bool) -> None:
        if compacted:  # row numbers changed
            self._index, self._index_saved, self._bitmap = None, False, None
        if self._index_saved or self.meta["kind"] == "flat":  # flat: nothing to save
            return
        index = self._faiss()
        for key in ("index_sha256", "index_ntotal"):
            meta.pop(key, None)
        meta["files"].pop("index", None)
        if hamming.persistent(index):
            meta["files"]["index"] = name = f"index.{meta['generation']}.faiss"
            meta["index_sha256"] = hamming.save(index, self.path / name)
            meta["index_ntotal"] = int(index.ntotal)

    def save(self) -> None:
        super().save()
        self._index_saved = True
