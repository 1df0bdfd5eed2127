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


# An LSTM run on 200 input shapes: oneDNN keeps a primitive (with its workspace) per shape.
_SHAPES = """
import sys
from pathlib import Path
from wenda.serve.memory import bound_onednn_cache

if sys.argv[1] == "bounded":
    bound_onednn_cache(8)
import torch

def anon():
    return int(next(l for l in Path("/proc/self/status").read_text().splitlines()
                    if l.startswith("RssAnon")).split()[1]) // 1024

torch.set_num_threads(1)
lstm = torch.nn.LSTM(64, 64, batch_first=True)
with torch.inference_mode():
    lstm(torch.zeros(4, 10, 64))
    before = anon()
    for n in range(200):
        lstm(torch.zeros(1 + n % 7, 20 + n, 64))
print(anon() - before)
"""


def test_bounding_onednn_cache_stops_memory_growing_with_new_shapes(monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.delenv("ONEDNN_PRIMITIVE_CACHE_CAPACITY", raising=False)
    grew = {}
    for mode in ("bounded", "default"):
        done = subprocess.run(
            [sys.executable, "-c", _SHAPES, mode], capture_output=True, text=True, check=True
        )
        grew[mode] = int(done.stdout.split()[-1])
    if grew["default"] < 20:
        pytest.skip(f"this torch build does not cache oneDNN primitives per shape ({grew})")
    assert grew["bounded"] < grew["default"] / 3, grew


def test_bound_onednn_cache_leaves_an_explicit_setting_alone(monkeypatch):
    import os

    from wenda.serve.memory import bound_onednn_cache

    monkeypatch.setenv("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "256")
    bound_onednn_cache(64)
    assert os.environ["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] == "256"
    monkeypatch.delenv("ONEDNN_PRIMITIVE_CACHE_CAPACITY")
    bound_onednn_cache(64)
    assert os.environ["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] == "64"
