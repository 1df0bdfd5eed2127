"""Exact top k from an approximate ranking whose scores bound the exact ones.

``bm25`` (tantivy's lossy lengths) and ``bm25-qdrant`` (weights stored with a stale average length)
both rank with an approximate score ``a`` such that the exact score ``s <= ceiling * a``. Walking the
approximate ranking best first and scoring each hit exactly, no hit whose ``ceiling * a`` is below
the k-th exact score so far can enter the top k, nor can any after it; so usually only a few more
than k hits are scored. Hits tied with the k-th are all scored, and ties are broken by passage id,
never by where the approximate ranking happened to put them.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Hashable, Iterable

# fetch(depth, seen) -> (how many hits the approximate top ``depth`` holds, and for those whose key
# is not in ``seen``, best first: (approximate score, key, exact)); exact() -> (passage id, score).
Hit = tuple[float, Hashable, Callable[[], tuple[int, float]]]
Fetch = Callable[[int, set], tuple[int, Iterable[Hit]]]


def exact_top_k(
    fetch: Fetch, k: int, ceiling: float, depth: int, max_depth: int = 20_000
) -> list[tuple[int, float]]:
    """``[(passage id, exact score)]`` of the exact top k, best first (see the module docstring);
    the approximate ranking is read ``depth`` deep, four times deeper while that is not enough."""
    best: list[tuple[float, int]] = []  # (-score, pid), sorted, at most k
    seen: set = set()
    while True:
        n_hits, fresh = fetch(depth, seen)
        for approx, key, exact in fresh:
            if len(best) == k and approx * ceiling < -best[-1][0]:
                break
            seen.add(key)
            pid, score = exact()
            bisect.insort(best, (-score, pid))
            del best[k:]
        else:
            if n_hits == depth and depth < max_depth:
                depth *= 4
                continue
        return [(pid, -neg) for neg, pid in best]
