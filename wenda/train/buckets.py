"""Batches of examples of similar length, in random order (bucketing).

A batch is padded to its longest example, so random batches of reading windows (10th-90th
percentile 63-277 tokens, at most 300) spend about half of every step on padding (measured on the
reading training sets: 49% of the padded positions hold a token). DrQA batches documents of similar
length (its ``SortedBatchSampler``: sort by length, cut into batches, shuffle the batches); AllenNLP's
bucket sampler adds noise to the lengths so that a batch's members change from epoch to epoch. Both
are done here: lengths times ``1 + U(-noise, noise)``, sorted, cut, the batches shuffled.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from wenda.nn.batching import by_length


def length_buckets(
    lengths: Sequence[int], batch_size: int, rng: np.random.Generator, noise: float = 0.1
) -> list[np.ndarray]:
    """Indices of ``lengths`` cut into batches of ``batch_size`` (the last may be smaller) of
    similar length, in random order; every index appears once."""
    keys = np.asarray(lengths, dtype=float) * (1.0 + rng.uniform(-noise, noise, len(lengths)))
    chunks = by_length(keys.tolist(), batch_size)
    return [np.asarray(chunks[i]) for i in rng.permutation(len(chunks))]
