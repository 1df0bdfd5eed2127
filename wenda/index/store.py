"""Fixed-width rows keyed by int64 passage ids, in a directory: the storage under the vector stores.

:class:`wenda.index.vectors.FloatVectors` (float32 vectors) and :class:`~wenda.index.vectors.BinaryCodes`
(packed bit codes) keep their rows here. On disk, never pickled, memory-mapped on load::

    params.json          {"type": ..., "format": 1, "width": W, "count": N, "generation": g,
                          "files": {"ids": "ids.3.npy", "rows": "rows.2.npy", "live": "live.3.npy"}}
    ids.<g>.npy   int64 [N]     passage id of each row
    rows.<g>.npy  dtype [N, W]  the vectors or codes
    live.<g>.npy  bool  [N]     False for a deleted or replaced row

Rows are append-only between compactions: adding a known id kills its old row and appends a new one,
deleting clears a live flag. So the common update (add a batch, delete a few) costs the new rows plus
one byte per deletion, and row numbers stay put, which keeps a faiss index over the rows valid across
deletions (BinaryCodes). A save writes the files that changed under the next generation's names, then
replaces ``params.json`` (the commit point), then removes what it no longer names: a save interrupted
at any moment leaves the previous generation whole. When over a quarter of the rows are dead, a save
compacts them away (as Lucene merges segments with deletions). One writer at a time.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Self

import numpy as np

from wenda.errors import IndexError_
from wenda.fileio import _atomic_write, atomic_write_json, read_json
from wenda.index import integrity

FORMAT = 1
_BLOCK = 1 << 16  # rows written or scanned at a time: bounds the memory of a save or a search
_COMPACT_AT = 0.25  # share of dead rows above which a save compacts
_MAX_CHUNKS = 16  # in-memory chunks of rows added since the last save, before they are merged
_OURS = re.compile(r"\.?(ids|rows|live|index)\.\d+\.(npy|faiss)(\..+)?")  # incl. temp files


def _corrupt(path: Path, why: object) -> IndexError_:
    return IndexError_(f"{path}: {why}")


def _check_ids(ids: object) -> np.ndarray:
    arr = np.asarray(ids)
    if arr.ndim != 1 or not (arr.dtype.kind in "iu" or arr.size == 0):
        raise ValueError(f"passage ids must be a 1-D integer array, got {arr.dtype}{list(arr.shape)}")
    return arr.astype(np.int64)


def _save_npy(path: Path, dtype: np.dtype, shape: tuple, blocks: Iterator[np.ndarray]) -> str:
    """Write the row-wise concatenation of ``blocks`` as one ``.npy``, atomically, block by block;
    return its SHA-256."""

    def write(f) -> None:
        header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": shape}
        np.lib.format.write_array_header_1_0(f, header)
        n = 0
        for block in blocks:
            f.write(np.ascontiguousarray(block, dtype=dtype).data)
            n += len(block)
        if n != shape[0]:
            raise RuntimeError(f"{path}: wrote {n} rows, expected {shape[0]}")

    return _atomic_write(path, write)


class RowStore:
    """Rows of ``width`` values of ``dtype`` keyed by passage id; subclasses add the vector semantics."""

    type_name = "?"
    dtype = np.dtype(np.float32)

    def __init__(self, path: Path, meta: dict) -> None:
        self.path, self.meta = Path(path), meta
        self._ids = np.empty(0, np.int64)  # [N] passage id per row
        self._chunks: list[np.ndarray] = []  # [n_i, W] each: the file's rows, then rows added since
        self._live = np.empty(0, bool)  # [N]
        self._dirty: set[str] = set()

    # --- life cycle ---------------------------------------------------------------------------
    @classmethod
    def _create(cls, path: Path, **meta) -> Self:
        path = Path(path)
        if (path / "params.json").exists():
            raise IndexError_(f"{path} already holds a vector store; open it instead")
        base = {"type": cls.type_name, "format": FORMAT, "count": 0, "generation": 0, "files": {}}
        self = cls(path, {**base, **meta})
        self._chunks, self._dirty = [np.empty((0, self.width), self.dtype)], {"ids", "rows", "live"}
        self._index_ids()
        path.mkdir(parents=True, exist_ok=True)
        self.save()
        return self

    @classmethod
    def open(cls, path: Path) -> Self:
        """Open the store at ``path``, memory-mapping its arrays."""
        path = Path(path)
        meta = read_json(path / "params.json", "vector store parameters")
        if meta.get("type") != cls.type_name or meta.get("format") != FORMAT:
            raise _corrupt(
                path / "params.json",
                f"type {meta.get('type')!r} format {meta.get('format')!r} is not a {cls.type_name} store "
                f"of format {FORMAT}",
            )
        try:
            cls._check_meta(meta)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise _corrupt(path / "params.json", f"is invalid ({exc})") from None
        self = cls(path, meta)
        integrity.verify(path)
        self._map(meta)
        self._index_ids()
        return self

    @classmethod
    def _check_meta(cls, meta: dict) -> None:
        """Raise ``ValueError`` (or ``KeyError``, ``TypeError``) if ``meta`` lacks the subclass's fields."""

    @property
    def width(self) -> int:
        return int(self.meta["width"])

    def _read(self, meta: dict, name: str, dtype: np.dtype, shape: tuple) -> np.ndarray:
        """Memory-map one of the store's arrays, checking it against ``params.json``."""
        try:
            path = self.path / meta["files"][name]
            arr = np.load(path, mmap_mode="r", allow_pickle=False)
        except (KeyError, TypeError) as exc:
            raise _corrupt(self.path / "params.json", f"names no {name} file ({exc})") from None
        except (OSError, ValueError, EOFError) as exc:  # missing, truncated, not a .npy
            raise _corrupt(path, f"cannot be read ({exc})") from None
        if arr.dtype != dtype or arr.shape != shape:
            raise _corrupt(path, f"holds {arr.dtype}{list(arr.shape)}, params.json says {dtype}{list(shape)}")
        return arr

    def _map(self, meta: dict) -> None:
        """Replace the in-memory rows by the files ``meta`` names (memory-mapped)."""
        try:
            n, width, _ = int(meta["count"]), int(meta["width"]), int(meta["generation"])
        except (KeyError, TypeError, ValueError) as exc:
            raise _corrupt(self.path / "params.json", f"is incomplete ({exc})") from None
        self._ids = self._read(meta, "ids", np.dtype(np.int64), (n,))
        self._chunks = [self._read(meta, "rows", self.dtype, (n, width))]
        self._live = np.array(self._read(meta, "live", np.dtype(bool), (n,)))  # in memory: deletes flip it

    def save(self) -> None:
        """Write what changed since the last save; atomic (see the module docstring)."""
        compact = bool((~self._live).sum() > _COMPACT_AT * len(self._live))
        keep = self._live.copy() if compact else None
        if compact:  # row numbers change: every file, and anything indexing rows, is rewritten
            self._dirty |= {"ids", "rows", "live"}
        gen = int(self.meta["generation"]) + 1
        meta = {**self.meta, "generation": gen, "files": dict(self.meta["files"])}
        digests = {}
        for name in sorted(self._dirty):
            meta["files"][name] = file = f"{name}.{gen}.npy"
            digests[file] = self._write(self.path / file, name, keep)
        meta["count"] = int(keep.sum()) if compact else len(self._live)
        self._map(meta)  # the new files are complete: map them, freeing the rows added in memory
        self._index_ids()
        self._save_extra(meta, compacted=compact)
        ours = [self.path / meta["files"][n] for n in ("ids", "rows", "live")]  # derived files check themselves
        integrity.record(self.path, ours, digests)
        atomic_write_json(self.path / "params.json", meta)  # the commit point
        self.meta, self._dirty = meta, set()
        self._remove_stale()

    def _write(self, path: Path, name: str, keep: np.ndarray | None) -> str:
        n = len(self._live) if keep is None else int(keep.sum())
        if name == "rows":
            blocks, dtype, shape = self._blocks(), self.dtype, (n, self.width)
        else:
            arr = self._ids if name == "ids" else self._live
            blocks = ((s, arr[s : s + _BLOCK]) for s in range(0, len(arr), _BLOCK))
            dtype, shape = arr.dtype, (n,)
        if keep is not None:
            blocks = ((s, b[keep[s : s + len(b)]]) for s, b in blocks)
        return _save_npy(path, dtype, shape, (b for _, b in blocks))

    def _remove_stale(self) -> None:
        """Remove our files ``params.json`` does not name: older generations, a killed save's leftovers."""
        named = set(self.meta["files"].values())
        for p in self.path.iterdir():
            if _OURS.fullmatch(p.name) and p.name not in named:
                with contextlib.suppress(OSError):  # e.g. still mapped on Windows: a later save removes it
                    p.unlink(missing_ok=True)

    # --- hooks --------------------------------------------------------------------------------
    def _save_extra(self, meta: dict, compacted: bool) -> None:  # noqa: B027 - optional hook
        """Write derived files for generation ``meta["generation"]``, naming them in ``meta``."""

    # --- rows ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._sorted_ids)

    def ids(self) -> np.ndarray:
        """The live passage ids, sorted: int64 [len(self)]."""
        return self._sorted_ids.copy()

    def _index_ids(self) -> None:
        """Sort the live ids (for lookups by binary search); two live rows with one id are corruption."""
        rows = np.flatnonzero(self._live)
        self._sorted_rows = rows[np.argsort(self._ids[rows], kind="stable")]
        self._sorted_ids = np.asarray(self._ids[self._sorted_rows])
        if np.any(np.diff(self._sorted_ids) == 0):
            raise _corrupt(self.path, "two live rows share a passage id")

    def _find(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions in the sorted live ids of those of ``ids`` that are live, and which those are."""
        pos = np.searchsorted(self._sorted_ids, ids)
        found = pos < len(self._sorted_ids)
        found[found] = self._sorted_ids[pos[found]] == ids[found]
        return pos[found], found

    def _rows(self, ids: object) -> np.ndarray:
        """Rows of live passages ``ids``, in order; ``KeyError`` naming the unknown ones."""
        ids = _check_ids(ids)
        pos, found = self._find(ids)
        if not found.all():
            raise KeyError(f"passage ids not in the store: {ids[~found][:10].tolist()}")
        return self._sorted_rows[pos]

    def _add_rows(self, ids: object, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Append ``rows`` [n, W] for ``ids``; the last of repeated ids wins. Returns (killed, new) rows."""
        ids = _check_ids(ids)
        if len(ids) != len(rows):
            raise ValueError(f"{len(ids)} passage ids for {len(rows)} vectors")
        _, last = np.unique(ids[::-1], return_index=True)
        keep = len(ids) - 1 - last  # the last occurrence of each id, sorted by id
        ids, rows = ids[keep], rows[keep]
        killed = self._delete_rows(ids)
        new = np.arange(len(self._ids), len(self._ids) + len(ids))
        self._ids = np.concatenate([self._ids, ids])
        self._live = np.concatenate([self._live, np.ones(len(ids), bool)])
        self._chunks.append(np.ascontiguousarray(rows, dtype=self.dtype))
        if len(self._chunks) > _MAX_CHUNKS:  # many small adds: one in-memory chunk keeps scans fast
            head = int(isinstance(self._chunks[0], np.memmap))
            self._chunks[head:] = [np.concatenate(self._chunks[head:])]
        pos = np.searchsorted(self._sorted_ids, ids)  # ids are sorted and no longer live
        self._sorted_ids = np.insert(self._sorted_ids, pos, ids)
        self._sorted_rows = np.insert(self._sorted_rows, pos, new)
        self._dirty |= {"ids", "rows", "live"}
        return killed, new

    def _delete_rows(self, ids: object) -> np.ndarray:
        """Kill the live rows of ``ids`` (unknown ids are ignored); returns the rows killed."""
        pos, _ = self._find(np.unique(_check_ids(ids)))
        rows = self._sorted_rows[pos]
        self._live[rows] = False
        self._sorted_ids = np.delete(self._sorted_ids, pos)
        self._sorted_rows = np.delete(self._sorted_rows, pos)
        if len(rows):
            self._dirty.add("live")
        return rows

    def _gather(self, rows: np.ndarray) -> np.ndarray:
        """The stored values of ``rows``: [n, W]."""
        starts = np.cumsum([0] + [len(c) for c in self._chunks])
        which = np.searchsorted(starts, rows, side="right") - 1
        out = np.empty((len(rows), self.width), self.dtype)
        for c in np.unique(which):
            sel = which == c
            out[sel] = self._chunks[c][rows[sel] - starts[c]]
        return out

    def _blocks(self) -> Iterator[tuple[int, np.ndarray]]:
        """(first row, rows [<= _BLOCK, W]) over all rows, dead ones included."""
        start = 0
        for chunk in self._chunks:
            for i in range(0, len(chunk), _BLOCK):
                yield start + i, chunk[i : i + _BLOCK]
            start += len(chunk)
