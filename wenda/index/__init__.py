"""Retrievers: sparse and learned (dense, binary) indexes kept in step with the document store."""

from wenda.index import bm25, dense, qdrant_bm25, tfidf  # noqa: F401 - importing registers them
from wenda.index.base import Op, Retriever

__all__ = ["Op", "Retriever"]
