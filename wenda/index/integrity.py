"""Digests of an index's data files, so that a damaged file gives an error, never wrong answers.

Every on-disk structure here writes its data files once and never changes them afterwards: vector
stores write a new generation of files per save, TF-IDF writes new segments, tantivy writes new
segment files (deletions go to new ``.del`` files). So a data file whose bytes differ from the ones
written is damaged (a bit flipped on disk, a partial copy, an editor's save), never an update.

Each structure records its files' SHA-256 in ``sha256.json`` (:func:`record`) when it commits, and
checks them when it opens (:func:`verify`). Damage that leaves a file unreadable (truncation, an
empty or missing file) is reported by the structure's own reader; what this adds is the damage a
reader cannot see: a flipped byte inside a matrix of vectors or term counts, which would otherwise
change rankings silently (measured: RELIABILITY.md). A file written but not yet recorded (a crash
between a commit and :func:`record`) is not checked; the next commit records it.

Hashing reads every byte: 2.0 s per GB on this machine's busy 2 cores (hashlib, measured
2026-11-26 with three other jobs running), so for indexes of a few hundred MB ``verify`` costs less
than loading the models. SQLite (the document store) checks itself (``PRAGMA quick_check`` in ``wenda check``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from wenda.errors import IndexError_
from wenda.fileio import atomic_write_json, read_json, sha256_file

NAME = "sha256.json"


def _stamp(path: Path) -> list[int]:
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns]


def record(directory: Path, files: Iterable[Path], known: dict[str, str] | None = None) -> None:
    """Write ``directory/sha256.json`` for ``files`` (under ``directory``), atomically.

    A file already recorded with the same size and modification time keeps its digest (data files
    never change, so only new ones are hashed); ``known`` gives digests computed while writing.
    """
    directory = Path(directory)
    old = _read(directory) if (directory / NAME).exists() else {}
    known = known or {}
    entries = {}
    for path in sorted(files):
        rel, stamp = path.relative_to(directory).as_posix(), _stamp(path)
        prev = old.get(rel)
        if rel in known:
            digest = known[rel]
        elif prev is not None and prev[1:] == stamp:
            digest = prev[0]
        else:
            digest = sha256_file(path)
        entries[rel] = [digest, *stamp]
    atomic_write_json(directory / NAME, {"format": 1, "files": entries})


def _read(directory: Path) -> dict[str, list]:
    meta = read_json(directory / NAME, "data file digests")
    files = meta.get("files")
    if meta.get("format") != 1 or not isinstance(files, dict):
        raise IndexError_(f"{directory / NAME}: malformed digest list")
    for rel, entry in files.items():
        ok = isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], str)
        if not ok or Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise IndexError_(f"{directory / NAME}: malformed entry for {rel!r}")
    return files


def verify(directory: Path) -> int:
    """Check the recorded files under ``directory`` against their digests; return how many were
    checked. A recorded file that no longer exists is skipped: the
    structure's own metadata says whether it is still needed (older generations are removed).

    Raises:
        IndexError_: a file's bytes differ from those recorded, or ``sha256.json`` is corrupt.
    """
    directory = Path(directory)
    if not (directory / NAME).exists():
        return 0  # written before digests were kept; readers still check what they can
    files = _read(directory)
    checked = 0
    for rel in files:
        path = directory / rel
        if not path.exists():
            continue
        if sha256_file(path) != files[rel][0]:
            raise IndexError_(
                f"{path}: its contents differ from those wenda wrote (SHA-256 mismatch): the file is damaged"
            )
        checked += 1
    return checked
