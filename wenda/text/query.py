"""What a search query may be: text, not empty, not too long, without control characters."""

from __future__ import annotations

import unicodedata

from wenda.errors import BadQueryError


def check_query(query: object, max_chars: int) -> str:
    """``query`` stripped, or a :class:`~wenda.errors.BadQueryError` saying what is wrong with it
    (``max_chars``: the ``max_query_chars`` setting)."""
    if not isinstance(query, str):
        raise BadQueryError(f"query must be text, not {type(query).__name__}")
    q = query.strip()
    if not q:
        raise BadQueryError("query is empty")
    if len(q) > max_chars:
        raise BadQueryError(f"query has {len(q)} characters; the limit is {max_chars} (max_query_chars)")
    bad = [c for c in q if unicodedata.category(c) == "Cc" and c not in "\t\n\r"]
    if bad:
        raise BadQueryError(f"query contains control characters ({', '.join(repr(c) for c in bad[:3])})")
    return q
