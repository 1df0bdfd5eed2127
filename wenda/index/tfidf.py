"""DrQA's document retriever: hashed unigram + bigram TF-IDF over incremental on-disk segments.

Chen et al. 2017, "Reading Wikipedia to Answer Open-Domain Questions", §3.1 and its code (retriever/
build_tfidf.py, tfidf_doc_ranker.py): runs of 1..``ngram`` adjacent terms are murmurhash3-ed into
``hash_size`` buckets; passage and query vectors hold log1p(count) * idf per bucket; the score is
their dot product, unnormalised. Where we depart from DrQA:

- idf. DrQA's log((N - Nt + 0.5) / (Nt + 0.5)) clipped at 0 zeroes every bucket in over half the
  passages, so small or homogeneous corpora rank nothing (DrQA #58, #108). Our default "smooth" idf
  is the BM25/Lucene log(1 + (N - Nt + 0.5) / (Nt + 0.5)): positive, monotone, same order of rare
  terms. ``idf="drqa"`` keeps the original.
- Our Tokenizer drops stopwords first, so a bigram may span one (DrQA skips ngrams holding one).
- idf is applied at query time, score = sum_b q_tf[b] * d_tf[b] * idf[b]**2, so the index stores
  only d_tf and updates never rewrite stored vectors. N and Nt count live passages; Nt is counted
  from the posting rows the query gathers anyway: no memory, no load time, exact under deletions.

Storage is log-structured (LSM tree, Lucene): each :meth:`apply` writes one immutable segment, then
atomically replaces ``manifest.json`` (version, next segment number, live segments, deletion file)::

    seg-<n>/buckets.npy    uint32  sorted unique hash buckets of the segment
    seg-<n>/indptr.npy     int64   CSR row pointers over compact bucket ids (rows = buckets)
    seg-<n>/docs.npy       int32   local passage index of each entry, increasing within a row
    seg-<n>/tf.npy         float32 log1p(count) of each entry
    seg-<n>/pids.npy       int64   passage id of each local passage, sorted
    deleted-<v>.npy        int64   sorted keys (segment number << 32 | local index) of dead copies

Deletions name a *copy*, not a passage id: replaying "add 7" after a crash must kill the old copy of
passage 7 and keep the new one, which share the id. Arrays are memory-mapped, never pickled. Files
the manifest does not name are a killed run's leftovers: the writer removes them in :meth:`apply`
(a reader must not, as another process may be writing that segment). One writer at a time.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

import mmh3
import numpy as np

from wenda.errors import IndexError_
from wenda.fileio import _fsync_dir, atomic_save_npy, atomic_write_json
from wenda.index import integrity
from wenda.index.base import COMMON_PARAMS, Op, Retriever
from wenda.registry import register
from wenda.text import TokenizerConfig
from wenda.text.parallel import tokenize_batch

MAX_SEGMENTS = 8  # more than this triggers a merge: each query visits every segment
_CHUNK_DOCS = 100_000  # passages tokenized and counted at a time while building a segment
_DTYPES = {"buckets": np.uint32, "indptr": np.int64, "docs": np.int32, "tf": np.float32, "pids": np.int64}
_SEG_RE = re.compile(r"seg-(\d+)")
_DEL_RE = re.compile(r"deleted-\d+\.npy")


def _idf_smooth(n: int, df: np.ndarray) -> np.ndarray:
    """BM25/Lucene idf (Robertson & Zaragoza 2009): positive at every df, so small corpora rank."""
    return np.log1p((n - df + 0.5) / (df + 0.5))


def _idf_drqa(n: int, df: np.ndarray) -> np.ndarray:
    """DrQA's idf (tfidf_doc_ranker.py ``text2spvec``): the BM25 form without the 1 +, clipped at 0."""
    return np.maximum(np.log((n - df + 0.5) / (df + 0.5)), 0.0)


IDF = {"smooth": _idf_smooth, "drqa": _idf_drqa}


def _ngram_hashes(tokens: list[str], n: int) -> list[int]:
    """murmurhash3_32 (positive) of each run of 1..n adjacent terms joined by a space.

    DrQA's ``Tokens.ngrams`` then ``hash``, less the ``% hash_size`` that numpy does for a whole batch.
    All in C: memoising by ngram measured 4x slower on Wikipedia text, as most bigrams are new.
    """
    grams = list(tokens)
    for size in range(2, n + 1):
        grams.extend(map(" ".join, zip(*(tokens[i:] for i in range(size)), strict=False)))
    return list(map(mmh3.hash, grams, repeat(0), repeat(False)))


def _csr(keys: np.ndarray, tf: np.ndarray) -> dict[str, np.ndarray]:
    """Compress entries sorted by ``bucket << 32 | doc`` into a segment's CSR arrays."""
    buckets = keys >> 32
    row_start = np.ones(len(keys), dtype=bool)
    row_start[1:] = buckets[1:] != buckets[:-1]
    starts = np.flatnonzero(row_start)
    indptr, docs = np.append(starts, len(keys)), keys & np.uint64(0xFFFFFFFF)
    return {"buckets": buckets[starts], "indptr": indptr, "docs": docs, "tf": tf}  # cast when saved


def _corrupt(path: Path, why: object) -> IndexError_:
    return IndexError_(f"{path}: {why}")


def _load_array(path: Path, dtype: type) -> np.ndarray:
    """Memory-map a 1-D ``.npy`` of ``dtype``, or raise :class:`IndexError_` naming the file."""
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:  # missing, truncated, empty, not a .npy
        raise _corrupt(path, f"cannot be read ({exc})") from None
    if arr.ndim != 1 or arr.dtype != dtype:
        raise _corrupt(path, f"holds {arr.dtype}{list(arr.shape)}, expected 1-D {np.dtype(dtype)}")
    return arr


@dataclass(eq=False)
class _Segment:
    """One immutable, memory-mapped segment plus its in-memory mask of live copies."""

    number: int
    buckets: np.ndarray
    indptr: np.ndarray
    docs: np.ndarray
    tf: np.ndarray
    pids: np.ndarray
    live: np.ndarray
    n_live: int

    @property
    def name(self) -> str:
        return f"seg-{self.number}"

    def kill(self, local: np.ndarray) -> int:
        """Mark local copies dead; returns how many were alive."""
        local = local[self.live[local]]
        self.live[local] = False
        self.n_live -= len(local)
        return len(local)

    def kill_pids(self, pids: np.ndarray) -> int:
        """Mark dead the copies of sorted passage ids ``pids`` held here; returns how many were alive."""
        pos = np.searchsorted(self.pids, pids)
        inside = pos < len(self.pids)
        return self.kill(pos[inside][self.pids[pos[inside]] == pids[inside]])

    def gather(self, qbuckets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Live posting entries of the query buckets: (query term index, local doc, tf)."""
        pos = np.searchsorted(self.buckets, qbuckets)
        found = np.flatnonzero(pos < len(self.buckets))
        found = found[self.buckets[pos[found]] == qbuckets[found]]
        bounds = list(zip(self.indptr[pos[found]], self.indptr[pos[found] + 1], strict=True))
        # Slices of a memory map are plain copies: cheaper than one fancy-indexed gather.
        docs = np.concatenate([self.docs[a:b] for a, b in bounds] or [np.zeros(0, np.int32)])
        tf = np.concatenate([self.tf[a:b] for a, b in bounds] or [np.zeros(0, np.float32)])
        term = np.repeat(found, [b - a for a, b in bounds])
        if self.n_live < len(self.pids):
            keep = self.live[docs]
            term, docs, tf = term[keep], docs[keep], tf[keep]
        return term, docs, tf

    def scores(self, docs: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Passage ids and positive scores of the docs hit by gathered entries of these weights."""
        if len(docs) * 8 < len(self.pids):  # few hits: skip a pass over every passage
            local, inverse = np.unique(docs, return_inverse=True)
            total = np.bincount(inverse, weights=weights, minlength=len(local))
            hit = total > 0
            return self.pids[local[hit]], total[hit]
        total = np.bincount(docs, weights=weights, minlength=len(self.pids))
        local = np.flatnonzero(total > 0)
        return self.pids[local], total[local]

    def live_entries(self, new_doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Live entries as merge keys ``bucket << 32 | new_doc[doc]``, a sorted run, and their tf."""
        buckets = np.repeat(np.asarray(self.buckets, dtype=np.uint64), np.diff(self.indptr))
        docs = np.asarray(self.docs)
        keep = self.live[docs]
        return (buckets[keep] << 32) | new_doc[docs[keep]], self.tf[keep]


def _top_k(pids: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The k best, best first, ties by smaller passage id."""
    if len(scores) > k:
        kth = scores[np.argpartition(scores, len(scores) - k)[len(scores) - k]]
        keep = scores >= kth  # every tie of the k-th stays, so the pid tie-break is exact
        pids, scores = pids[keep], scores[keep]
    order = np.lexsort((pids, -scores))[:k]
    return [(int(p), float(s)) for p, s in zip(pids[order], scores[order], strict=True)]


def _last_ops(ops: Sequence[Op]) -> tuple[dict[int, str], np.ndarray]:
    """Texts to add (the last op per passage wins) and the sorted passage ids the batch touches."""
    last = {op.passage_id: op.text for op in ops}
    return {p: t for p, t in last.items() if t is not None}, np.array(sorted(last), dtype=np.int64)


@register("retriever", "tfidf")
class TfidfRetriever(Retriever):
    """DrQA's hashed ngram TF-IDF retriever (Chen et al. 2017, §3.1); see the module docstring."""

    def __init__(self, path: Path, tokenizer: TokenizerConfig, params: dict) -> None:
        super().__init__(path, tokenizer, params)
        self._check_params()
        self._segments: list[_Segment] = []
        self._version = self._next = 0
        self._deleted: str | None = None  # the manifest's current deletion file
        self._written: dict[str, str] = {}  # SHA-256 of files written since the last commit, by path

    @classmethod
    def default_params(cls) -> dict:
        """DrQA's 2**24 buckets and bigrams, with the smoothed idf."""
        return {"hash_size": 2**24, "ngram": 2, "idf": "smooth"}

    def _check_params(self) -> None:
        p, known = self.params, self.default_params()
        if set(p) - COMMON_PARAMS != set(known):
            raise ValueError(f"tfidf parameters are {sorted(known)}, not {sorted(p)}")
        for key, high in (("hash_size", 2**32), ("ngram", 8)):
            if type(p[key]) is not int or not 1 <= p[key] <= high:
                raise ValueError(f"{key} must be an integer in [1, {high}], not {p[key]!r}")
        if p["idf"] not in IDF:
            raise ValueError(f"unknown idf {p['idf']!r}; choose one of {sorted(IDF)}")

    # --- storage ----------------------------------------------------------------------------------
    def _init_storage(self) -> None:
        self._write_manifest(None)

    def _load(self) -> None:
        integrity.verify(self.path)
        self._written = {}  # after a failed update: digests of files no manifest will name
        manifest = self._read_manifest()
        self._version, self._deleted = manifest["version"], manifest["deleted"]
        self._segments = [self._open_segment(int(_SEG_RE.fullmatch(s)[1])) for s in manifest["segments"]]
        self._next = max([manifest["next_segment"], *(s.number + 1 for s in self._segments)])  # no reuse
        if self._deleted is not None:
            self._apply_deleted(_load_array(self.path / self._deleted, np.int64))

    def _read_manifest(self) -> dict:
        path = self.path / "manifest.json"
        try:
            m = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:  # missing, not UTF-8, not JSON
            raise _corrupt(path, f"cannot be read ({exc})") from None
        names = m.get("segments") if isinstance(m, dict) else None
        ok = isinstance(names, list) and all(type(m.get(key)) is int for key in ("version", "next_segment"))
        ok = ok and all(isinstance(s, str) and _SEG_RE.fullmatch(s) for s in names)
        if not ok or not (m.get("deleted") is None or _DEL_RE.fullmatch(str(m["deleted"]))):
            raise _corrupt(path, "malformed manifest")
        return m

    def _write_manifest(self, deleted: str | None) -> None:
        segments = [s.name for s in self._segments]
        manifest = {"version": self._version, "next_segment": self._next, "segments": segments}
        atomic_write_json(self.path / "manifest.json", {**manifest, "deleted": deleted})

    def _open_segment(self, number: int) -> _Segment:
        folder = self.path / f"seg-{number}"
        arrays = {name: _load_array(folder / f"{name}.npy", dtype) for name, dtype in _DTYPES.items()}
        indptr, n_entries = arrays["indptr"], len(arrays["docs"])
        if len(indptr) != len(arrays["buckets"]) + 1 or indptr[0] != 0 or indptr[-1] != n_entries:
            raise _corrupt(folder / "indptr.npy", "does not match buckets.npy and docs.npy")
        if len(arrays["tf"]) != n_entries:
            raise _corrupt(folder / "tf.npy", "does not match docs.npy")
        n = len(arrays["pids"])
        return _Segment(number, **arrays, live=np.ones(n, dtype=bool), n_live=n)

    def _write_segment(self, arrays: dict[str, np.ndarray]) -> _Segment:
        """Write a new segment, files and folder fsynced, before any manifest names it."""
        number, self._next = self._next, self._next + 1
        folder = self.path / f"seg-{number}"
        shutil.rmtree(folder, ignore_errors=True)  # a killed run's leftover under the same number
        folder.mkdir()
        for name, arr in arrays.items():
            digest = atomic_save_npy(folder / f"{name}.npy", arr.astype(_DTYPES[name], copy=False))
            self._written[f"{folder.name}/{name}.npy"] = digest
        _fsync_dir(folder)
        return self._open_segment(number)

    def _apply_deleted(self, keys: np.ndarray) -> None:
        for seg in self._segments:
            lo, hi = np.searchsorted(keys, [seg.number << 32, (seg.number + 1) << 32])
            local = np.unique(keys[lo:hi] & 0xFFFFFFFF)
            if len(local) and local[-1] >= len(seg.pids):
                raise _corrupt(self.path / str(self._deleted), f"names copies that {seg.name} lacks")
            seg.kill(local)

    def _collect_garbage(self) -> None:
        """Remove segments and deletion files the manifest does not name: a killed run's leftovers."""
        keep = {*(s.name for s in self._segments), self._deleted}
        for entry in self.path.iterdir():
            if entry.name in keep:
                continue
            if _SEG_RE.fullmatch(entry.name) and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            elif _DEL_RE.fullmatch(entry.name) or entry.name.startswith((".manifest.json.", ".deleted-")):
                entry.unlink(missing_ok=True)

    def _commit(self, segments: list[_Segment]) -> None:
        """Make ``segments`` and their deletions current: files first, then the manifest."""
        self._segments = [s for s in segments if s.n_live]
        self._version += 1
        dead = [(s.number << 32) | np.flatnonzero(~s.live) for s in self._segments if s.n_live < len(s.pids)]
        deleted = f"deleted-{self._version}.npy" if dead else None
        if deleted:
            dead_keys = np.sort(np.concatenate(dead)).astype(np.int64)
            self._written[deleted] = atomic_save_npy(self.path / deleted, dead_keys)
        files = [f for s in self._segments for f in (self.path / s.name).glob("*.npy")]
        integrity.record(self.path, files + ([self.path / deleted] if deleted else []), self._written)
        self._written = {}
        self._write_manifest(deleted)
        self._deleted = deleted
        self._collect_garbage()

    # --- updates ----------------------------------------------------------------------------------
    def apply(self, ops: Sequence[Op]) -> None:
        """Apply a batch as one new segment, then record ``ops[-1].seq``; safe to replay."""
        if ops:
            self._guarded(self._apply, ops)
            self._write_seq(ops[-1].seq)

    def compact(self) -> None:
        """Merge every segment into one, dropping dead copies (e.g. after deleting many passages)."""
        if len(self._segments) > 1 or any(s.n_live < len(s.pids) for s in self._segments):
            self._guarded(lambda: self._commit(self._merge(self._segments, list(self._segments))))

    def _guarded(self, update, *args) -> None:
        try:
            update(*args)
        except BaseException:
            self._load()  # the in-memory view may be ahead of the manifest, which is the truth
            raise

    def _apply(self, ops: Sequence[Op]) -> None:
        self._collect_garbage()
        adds, touched = _last_ops(ops)
        # An add is delete-then-add, so a replayed add never leaves two live copies.
        if not sum(seg.kill_pids(touched) for seg in self._segments) and not adds:
            return
        segments = list(self._segments)
        if adds:
            pids = np.array(sorted(adds), dtype=np.int64)
            keys, tf = self._count_matrix([adds[p] for p in pids.tolist()])
            segments.append(self._write_segment({**_csr(keys, tf), "pids": pids}))
        if len(segments) > MAX_SEGMENTS:
            segments = self._merge(segments, _merge_choice(segments))
        self._commit(segments)

    def _count_matrix(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Sorted ``bucket << 32 | doc`` keys and log1p counts (DrQA build_tfidf's ``count_matrix``)."""
        keys, counts, hash_size = [], [], np.uint64(self.params["hash_size"])
        for first in range(0, len(texts), _CHUNK_DOCS):  # chunks bound the Python lists' memory
            ids, lens = [], []
            for tokens in tokenize_batch(self.tokenizer, texts[first : first + _CHUNK_DOCS]):
                hashes = _ngram_hashes(tokens, self.params["ngram"])
                ids.extend(hashes)
                lens.append(len(hashes))
            docs = np.repeat(np.arange(first, first + len(lens), dtype=np.uint64), lens)
            buckets = np.array(ids, dtype=np.uint64) % hash_size
            key, count = np.unique((buckets << 32) | docs, return_counts=True)
            keys.append(key)
            counts.append(count)
        key, count = np.concatenate(keys), np.concatenate(counts)
        order = np.argsort(key, kind="stable")  # chunks are sorted runs: a merge sort is about linear
        return key[order], np.log1p(count[order])

    def _merge(self, segments: list[_Segment], chosen: list[_Segment]) -> list[_Segment]:
        """Replace ``chosen`` by one segment of their live passages, renumbered in pid order."""
        rest = [s for s in segments if all(s is not c for c in chosen)]
        pids = np.sort(np.concatenate([s.pids[s.live] for s in chosen]))
        if not len(pids):
            return rest
        parts = [s.live_entries(np.searchsorted(pids, s.pids).astype(np.uint64)) for s in chosen]
        keys, tf = np.concatenate([k for k, _ in parts]), np.concatenate([t for _, t in parts])
        del parts  # the largest arrays of a merge: free them before sorting
        order = np.argsort(keys, kind="stable")  # each segment is a sorted run, as pid order is kept
        return [*rest, self._write_segment({**_csr(keys[order], tf[order]), "pids": pids})]

    # --- search -----------------------------------------------------------------------------------
    def _query_vector(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """Sorted query buckets and their log1p counts (DrQA's ``text2spvec`` before idf)."""
        hashes = _ngram_hashes(self.tokenizer.tokens(query), self.params["ngram"])
        ids = np.array(hashes, dtype=np.uint64) % np.uint64(self.params["hash_size"])
        buckets, counts = np.unique(ids, return_counts=True)
        return buckets.astype(np.uint32), np.log1p(counts)

    def search(self, query: str, k: int = 10) -> list[tuple[int, float]]:
        """The ``k`` best ``(passage_id, score)`` with positive score, best first, ties by id."""
        n = len(self)
        if k <= 0 or n == 0:
            return []
        qbuckets, qtf = self._query_vector(query)
        hits = [seg.gather(qbuckets) for seg in self._segments]
        df = sum(np.bincount(term, minlength=len(qbuckets)) for term, _, _ in hits)
        weight = qtf * IDF[self.params["idf"]](n, df) ** 2  # q_tf * idf * idf: the doc side is tf only
        found = [seg.scores(d, weight[t] * tf) for seg, (t, d, tf) in zip(self._segments, hits, strict=True)]
        return _top_k(np.concatenate([p for p, _ in found]), np.concatenate([s for _, s in found]), k)

    def __len__(self) -> int:
        return sum(s.n_live for s in self._segments)

    def close(self) -> None:
        """Drop the memory maps."""
        self._segments = []


def _merge_choice(segments: list[_Segment]) -> list[_Segment]:
    """Size-tiered choice: the smallest segments, leaving MAX_SEGMENTS // 2 + 1, and any mostly dead.

    Merging all would rewrite a big base segment every few small batches; this rewrites each passage
    about log(n) times (Lucene's tiered merge policy, simplified)."""
    by_size = sorted(segments, key=lambda s: s.n_live)
    chosen = by_size[: len(segments) - MAX_SEGMENTS // 2]
    return chosen + [s for s in by_size[len(chosen) :] if 2 * s.n_live < len(s.pids)]
