"""The pipeline that wires the stages together: retrieve -> re-rank (-> read, in a later issue).

Only this module, ``serve/`` and ``cli/`` combine stages (STYLE §1).
"""

from __future__ import annotations

from wenda.collection import Collection
from wenda.types import Hit


def search(
    collection: Collection,
    query: str,
    k: int = 10,
    retriever: str | None = None,
    reranker=None,
    depth: int = 50,
) -> list[Hit]:
    """The ``k`` best passages for ``query``: retrieved lexically, then, with a ``reranker`` (a
    :class:`wenda.rank.reranker.Reranker`), the top ``max(depth, k)`` re-scored and re-ordered by it.
    """
    if reranker is None:
        return collection.search(query, k=k, retriever=retriever)
    hits = collection.search(query, k=max(depth, k), retriever=retriever)
    return reranker.rerank(query, hits)[:k]
