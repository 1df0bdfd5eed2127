"""Tests for wenda.serve.memory: the server's glibc heap settings."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest

from wenda.serve.memory import _glibc

pytestmark = pytest.mark.skipif(_glibc() is None, reason="glibc only")

# Frees 100 MB of 1 KB blocks (glibc's heap, not Python's small-object arenas) while the last block
# keeps the heap's top in place, so glibc cannot shrink the heap by itself.
_CHURN = """
import sys
from pathlib import Path
from wenda.serve.memory import tune_malloc, release_free_memory

def anon():
    return int(next(l for l in Path("/proc/self/status").read_text().splitlines()
                    if l.startswith("RssAnon")).split()[1]) // 1024

tune_malloc(2)
blocks = [bytes(1024) for _ in range(100_000)]
pin = bytes(1024)
del blocks
before = anon()
release_free_memory()
print(before, anon())
"""


def test_release_free_memory_hands_freed_heap_pages_back():
    done = subprocess.run([sys.executable, "-c", _CHURN], capture_output=True, text=True, check=True)
    before, after = map(int, done.stdout.split())
    assert before - after >= 50, (before, after)  # of the ~100 MB freed, most goes back


def test_tune_malloc_leaves_explicit_settings_alone(monkeypatch):
    from wenda.serve import memory

    calls = []
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    libc = SimpleNamespace(mallopt=lambda *a: calls.append(a))
    monkeypatch.setattr(memory, "_glibc", lambda: libc)
    memory.tune_malloc(2, 1 << 17)
    assert calls == []
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_")
    memory.tune_malloc(2, 1 << 17)
    assert calls == [(memory._M_ARENA_MAX, 2), (memory._M_MMAP_THRESHOLD, 1 << 17)]
