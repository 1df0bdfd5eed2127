"""Batches by length: a batch is padded to its longest member, so members of similar length
waste little. Used wherever many texts are run in batches (training, evaluation, inference,
encoding); the caller puts results back in its own order."""

from __future__ import annotations

from collections.abc import Sequence


def by_length(lengths: Sequence[float], size: int) -> list[list[int]]:
    """Indices of ``lengths`` sorted by length (stable) and cut into chunks of ``size`` (the last
    may be smaller)."""
    if size < 1:
        raise ValueError(f"batch_size must be at least 1, not {size}")
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    return [order[i : i + size] for i in range(0, len(order), size)]
