"""The server's heap under document adds: glibc malloc settings (no effect elsewhere).

Measured with ``bench/reliability.py load`` and glibc's ``malloc_stats`` in the server (RELIABILITY.md,
section 6): with document adds among the requests, the memory the Python heap and the libraries
actually use stays level, but glibc keeps the pages that adds free (each add builds and drops
index segments, tokens and SQLite pages) in its arenas instead of returning them, and by default
request threads get up to 8 arenas per core whose free pages no other thread reuses. So the server
(1) uses at most two arenas and (2) hands free pages back (``malloc_trim``) after each write.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from functools import cache

_M_ARENA_MAX = -8  # glibc's mallopt parameter number


@cache
def _glibc() -> ctypes.CDLL | None:
    with contextlib.suppress(OSError):
        libc = ctypes.CDLL("libc.so.6")
        if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt"):
            return libc
    return None  # not glibc (musl, macOS, Windows): nothing to tune


def bound_arenas(arenas: int = 2) -> None:
    """Let glibc use at most ``arenas`` malloc arenas, unless ``MALLOC_ARENA_MAX`` is set."""
    if (libc := _glibc()) is not None and not os.environ.get("MALLOC_ARENA_MAX"):
        libc.mallopt(_M_ARENA_MAX, arenas)


def release_free_memory() -> None:
    """Return the free pages of every arena to the system (``malloc_trim(0)``: a few ms)."""
    if (libc := _glibc()) is not None:
        libc.malloc_trim(0)
