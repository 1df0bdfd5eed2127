"""The server's memory under document adds: glibc malloc settings and oneDNN's cache (no effect elsewhere).

Measured with ``bench/reliability.py load`` and glibc's ``malloc_stats`` in the server (RELIABILITY.md,
section 6): with document adds among the requests, glibc held far more memory than was in use,
because (a) request threads get up to 8 arenas per core, whose free pages no other thread reuses,
(b) its mmap threshold rises to the largest block freed so far, after which the reader's and the
indexes' large arrays are carved from the heap, leaving holes, and (c) free pages stay mapped
until the heap's top is free. So the server uses at most two arenas, a fixed mmap threshold, and
hands free pages back (``malloc_trim``) after each write. With the three, glibc's held memory
stays within a few MB of what is in use.

What was left growing (RELIABILITY.md, third round) was oneDNN's primitive cache: torch runs the
readers' LSTMs on the CPU with oneDNN, which compiles and keeps a "primitive" for every new input
shape, up to 1,024 of them by default, each holding its workspace. Passages of ever new lengths
(documents added while serving) fill it: reading random shapes grew 170 MB over 600 questions,
linearly, and levelled off at 35 MB with the cache bounded to 64. So the server bounds it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from functools import cache

_M_ARENA_MAX = -8  # glibc's mallopt parameter numbers
_M_MMAP_THRESHOLD = -3


@cache
def _glibc() -> ctypes.CDLL | None:
    with contextlib.suppress(OSError):
        libc = ctypes.CDLL("libc.so.6")
        if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt"):
            return libc
    return None  # not glibc (musl, macOS, Windows): nothing to tune


def tune_malloc(arenas: int = 2, mmap_threshold: int = 128 * 1024) -> None:
    """Let glibc use at most ``arenas`` malloc arenas, unless ``MALLOC_ARENA_MAX`` is set, and
    serve blocks of ``mmap_threshold`` bytes or more by mmap (returned whole when freed), unless
    ``MALLOC_MMAP_THRESHOLD_`` is set; setting it also stops glibc raising it by itself."""
    if (libc := _glibc()) is None:
        return
    if not os.environ.get("MALLOC_ARENA_MAX"):
        libc.mallopt(_M_ARENA_MAX, arenas)
    if not os.environ.get("MALLOC_MMAP_THRESHOLD_"):
        libc.mallopt(_M_MMAP_THRESHOLD, mmap_threshold)


def bound_onednn_cache(capacity: int = 64) -> None:
    """Keep at most ``capacity`` oneDNN primitives (see the module docstring), unless
    ``ONEDNN_PRIMITIVE_CACHE_CAPACITY`` is set. Read by oneDNN when it makes its first primitive, so
    call it before the first forward pass."""
    os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", str(capacity))


def tune_memory() -> None:
    """What a long-running server sets up before loading models: :func:`tune_malloc` and
    :func:`bound_onednn_cache`."""
    tune_malloc()
    bound_onednn_cache()


def release_free_memory() -> None:
    """Return the free pages of every arena to the system (``malloc_trim(0)``: a few ms)."""
    if (libc := _glibc()) is not None:
        libc.malloc_trim(0)
