"""Atomic file writes: a reader sees the old file or the new one, never half of either; the
SHA-256 digests that let a reader tell a file wenda wrote from one damaged since; and the lock that
lets one process at a time write an index."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np

from wenda.errors import IndexError_


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once: os.umask can only be read by setting it


class _Hashing:
    """A binary file wrapper that hashes what is written through it (``np.save`` accepts it)."""

    def __init__(self, f: BinaryIO) -> None:
        self.f, self.digest = f, hashlib.sha256()

    def write(self, data) -> int:
        self.digest.update(data)
        return self.f.write(data)


def _atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> str:
    """Call ``write`` on a temporary file beside ``path``, fsync it, rename it over ``path``;
    return the SHA-256 of what was written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # as open() would make it, not mkstemp's private 0600
        with os.fdopen(fd, "wb") as f:
            hashing = _Hashing(f)
            write(hashing)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return hashing.digest.hexdigest()


def sha256_file(path: Path) -> str:
    """The SHA-256 hex digest of the file at ``path``, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def atomic_write_bytes(path: Path, data: bytes) -> str:
    """Write ``data`` to ``path`` atomically; return its SHA-256."""
    return _atomic_write(path, lambda f: f.write(data))


def atomic_write_json(path: Path, obj: object) -> None:
    """Write ``obj`` as pretty JSON, atomically."""
    atomic_write_bytes(path, (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode())


def atomic_save_npy(path: Path, array: np.ndarray) -> str:
    """Save an array as ``.npy`` (no pickle), atomically; return the file's SHA-256."""
    return _atomic_write(path, lambda f: np.save(f, np.ascontiguousarray(array), allow_pickle=False))


def read_json(path: Path, what: str) -> dict:
    """Read a JSON object, turning a missing or corrupt file into a clear error."""
    from wenda.errors import IndexError_

    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexError_(f"{what}: {path} is missing") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexError_(f"{what}: {path} is corrupt ({exc})") from None
    if not isinstance(data, dict):
        raise IndexError_(f"{what}: {path} is not a JSON object")
    return data


@contextmanager
def write_lock(path: Path, wait_s: float, what: str) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the file ``path`` (created if missing), waiting up to
    ``wait_s`` seconds for another holder; then an :class:`~wenda.errors.IndexError_` saying that
    another process is writing ``what``."""
    deadline = time.monotonic() + wait_s
    with open(path, "w") as f:
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexError_(f"{what}: another process is writing this index; wait for it") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
