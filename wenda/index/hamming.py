"""Hamming-distance candidate generation over packed binary codes with faiss: BPR's first stage.

Yamada et al. 2021 ("Efficient Passage Retrieval with Hashing for Open-domain Question Answering",
ACL, Fig. 1) take the ``l`` passages nearest to the question's binary code in Hamming distance, then
re-rank them with the continuous question vector (:class:`wenda.index.vectors.BinaryCodes`). Their
released indexes use faiss's binary flat and binary hash indexes. Three kinds, chosen
when a store is created; faiss labels are the store's row numbers:

- ``flat``: ``IndexBinaryFlat``, an exact popcount scan. Of codes tied at the cut-off distance it keeps
  the earlier rows (a batch's rows are in passage-id order). Never saved: rebuilt from the codes.
- ``hnsw``: ``IndexBinaryHNSW`` (Malkov & Yashunin 2018), approximate; params ``M``,
  ``ef_construction``, ``ef_search`` (searches use max(ef_search, candidates)).
- ``ivf``: ``IndexBinaryIVF`` over ``nlist`` Hamming k-means lists, ``nprobe`` of them searched. Until
  there are 39 live codes per list to train on (faiss's own minimum), it searches exactly, as ``flat``.

Deleted rows: flat and hnsw search with an ``IDSelectorBitmap`` of the live rows, so faiss skips dead
rows itself (HNSW still walks through them, keeping its graph connected); faiss's binary IVF takes no
selector, so dead rows are removed from its lists instead (``remove_ids``, a scan of the lists).
hnsw and ivf structures are saved with ``faiss.write_index_binary`` plus a SHA-256 in ``params.json``;
one that is missing, corrupt or stale is rebuilt from the codes.
"""

from __future__ import annotations

import logging
from pathlib import Path

import faiss
import numpy as np

from wenda.fileio import _atomic_write, sha256_file

log = logging.getLogger(__name__)

KINDS = {
    "flat": {},
    "hnsw": {"M": 32, "ef_construction": 80, "ef_search": 128},
    "ivf": {"nlist": 1024, "nprobe": 32},
}
_MIN_PER_LIST = 39


def check_params(kind: str, params: dict) -> dict:
    """``kind``'s default parameters updated by ``params``; ``ValueError`` for unknown ones."""
    if kind not in KINDS:
        raise ValueError(f"unknown binary index kind {kind!r}; choose one of {sorted(KINDS)}")
    unknown = set(params) - set(KINDS[kind])
    if unknown:
        raise ValueError(f"unknown {kind} parameters {sorted(unknown)}; known: {sorted(KINDS[kind])}")
    out = {**KINDS[kind], **{k: int(v) for k, v in params.items()}}
    if any(v < 1 for v in out.values()):
        raise ValueError(f"{kind} parameters must be positive integers, got {out}")
    return out


def trainable(kind: str, params: dict, n_live: int) -> bool:
    """Whether an ``ivf`` index has enough live codes to train its lists."""
    return kind == "ivf" and n_live >= _MIN_PER_LIST * params["nlist"]


def build(kind: str, params: dict, codes: np.ndarray, live: np.ndarray) -> faiss.IndexBinary:
    """A faiss index over all rows of ``codes`` [N, bits/8] (dead rows: see the module docstring)."""
    bits = codes.shape[1] * 8
    if trainable(kind, params, int(live.sum())):
        index = faiss.IndexBinaryIVF(faiss.IndexBinaryFlat(bits), bits, params["nlist"])
        index.train(np.ascontiguousarray(codes[live]))
        add(index, codes[live], np.flatnonzero(live))
        return index
    if kind == "hnsw":
        index = faiss.IndexBinaryHNSW(bits, params["M"])
        index.hnsw.efConstruction = params["ef_construction"]
    else:
        index = faiss.IndexBinaryFlat(bits)
    add(index, codes, np.arange(len(codes)))
    return index


def add(index: faiss.IndexBinary, codes: np.ndarray, rows: np.ndarray) -> None:
    """Add ``codes`` [n, bits/8] as ``rows``; flat and hnsw number rows themselves, in order."""
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    if isinstance(index, faiss.IndexBinaryIVF):
        index.add_with_ids(codes, rows.astype(np.int64))
        return
    if len(rows) and rows[0] != index.ntotal:
        raise RuntimeError(f"rows {rows[0]}.. added to a faiss index of {index.ntotal} rows")
    index.add(codes)


def uses_mask(index: faiss.IndexBinary) -> bool:
    """Whether dead rows stay in ``index`` (masked at search) rather than being removed from it."""
    return not isinstance(index, faiss.IndexBinaryIVF)


def persistent(index: faiss.IndexBinary) -> bool:
    """Whether ``index`` is worth saving: a flat index is a copy of the codes, rebuilt on load."""
    return isinstance(index, faiss.IndexBinaryHNSW | faiss.IndexBinaryIVF)


def remove(index: faiss.IndexBinary, rows: np.ndarray) -> None:
    """Remove dead ``rows`` from an index that does not mask them."""
    if len(rows) and not uses_mask(index):
        index.remove_ids(faiss.IDSelectorBatch(rows.astype(np.int64)))


def search(
    index: faiss.IndexBinary, qcodes: np.ndarray, n: int, params: dict, live_bitmap: np.ndarray | None
):
    """Rows of the ``n`` codes nearest to ``qcodes`` [Q, bits/8] in Hamming distance: [Q, n], -1 padded.

    ``live_bitmap`` (``np.packbits(live, bitorder="little")``, or None when all rows live) must stay
    referenced by the caller during the search: faiss's selector does not own it.
    """
    if isinstance(index, faiss.IndexBinaryHNSW):
        sp = faiss.SearchParametersHNSW(efSearch=max(params["ef_search"], n))
    elif isinstance(index, faiss.IndexBinaryIVF):
        sp, live_bitmap = faiss.SearchParametersIVF(nprobe=params["nprobe"]), None
    else:
        sp = faiss.SearchParameters()
    if live_bitmap is not None:
        sp.sel = selector = faiss.IDSelectorBitmap(live_bitmap)  # noqa: F841 - kept alive meanwhile
    _, rows = index.search(np.ascontiguousarray(qcodes, dtype=np.uint8), n, params=sp)
    return rows


def save(index: faiss.IndexBinary, path: Path) -> str:
    """Write ``index`` to ``path`` atomically; return its SHA-256."""

    def write(f) -> None:
        writer = faiss.PyCallbackIOWriter(f.write)
        faiss.write_index_binary(index, writer)
        del writer  # flushes

    return _atomic_write(path, write)


def load(path: Path, sha256: str, bits: int, ntotal: int) -> faiss.IndexBinary | None:
    """The index saved at ``path``, or None (logged) when it is missing, corrupt or not the one expected."""
    try:
        if sha256_file(path) != sha256:  # checked first: faiss's reader trusts the bytes it reads
            raise ValueError("its SHA-256 does not match params.json")
        index = faiss.read_index_binary(str(path))
        if index.d != bits or index.ntotal != ntotal:
            raise ValueError(f"it holds {index.ntotal} codes of {index.d} bits, expected {ntotal} of {bits}")
    except (OSError, RuntimeError, ValueError) as exc:
        log.warning("%s: %s; rebuilding it from the codes", path, exc)
        return None
    return index
