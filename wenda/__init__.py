"""wenda (问答): question answering and search over your own documents, offline.

The public API is re-exported lazily so that ``import wenda`` stays light (no torch until a neural
model is asked for).
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

_LAZY = {
    "open": "wenda.api",
    "Wenda": "wenda.api",
    "Collection": "wenda.collection",
    "load_ranker": "wenda.rank.reranker",
    "Reranker": "wenda.rank.reranker",
    "load_reader": "wenda.read.answer",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'wenda' has no attribute {name!r}")


__all__ = sorted(_LAZY)
