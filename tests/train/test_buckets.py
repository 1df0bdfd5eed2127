"""Length bucketing of training batches (wenda.train.buckets) and the readers' use of it."""

from __future__ import annotations

import numpy as np
import pytest

from wenda.train.buckets import length_buckets


def _padding_share(lengths: np.ndarray, chunks) -> float:
    """Share of the padded positions that hold a token."""
    return lengths.sum() / sum(lengths[c].max() * len(c) for c in chunks)


def test_every_index_once_in_batches_of_the_size():
    lengths = np.random.default_rng(0).integers(1, 300, 1001)
    chunks = length_buckets(lengths, 32, np.random.default_rng(1))
    assert sorted(np.concatenate(chunks).tolist()) == list(range(1001))
    assert sorted(len(c) for c in chunks)[1:] == [32] * 31 and sum(len(c) for c in chunks) == 1001


def test_batches_hold_similar_lengths_and_change_between_epochs():
    rng = np.random.default_rng(0)
    lengths = rng.integers(20, 300, 2000)
    chunks = length_buckets(lengths, 32, rng)
    random = [rng.permutation(2000)[i : i + 32] for i in range(0, 2000, 32)]
    assert _padding_share(lengths, chunks) > 0.9 > 0.7 > _padding_share(lengths, random)
    again = length_buckets(lengths, 32, rng)
    assert {tuple(sorted(c)) for c in chunks} != {tuple(sorted(c)) for c in again}
    firsts = [lengths[c].mean() for c in chunks[:10]]
    assert firsts != sorted(firsts)  # the batches come in random order, not by length


def test_batch_size_must_be_positive():
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        length_buckets([3, 4], 0, np.random.default_rng(0))


def test_reading_task_buckets_by_window_length_and_can_shuffle_plainly():
    pytest.importorskip("torch")
    from tests.train.test_reading import _paragraph_examples
    from wenda.read.drqa import DrQAConfig
    from wenda.train.grouped import GroupReadingTask
    from wenda.train.reading import ReadingTask
    from wenda.train.trainer import TrainConfig

    examples = _paragraph_examples() * 4
    for buckets in (True, False):
        task = ReadingTask(examples, [], TrainConfig(batch_size=2, length_buckets=buckets), DrQAConfig())
        batches = list(task.batches(1, np.random.default_rng(0)))
        assert sorted(map(repr, (i for b in batches for i in b))) == sorted(map(repr, task.items))
    plain = [task.items[j] for j in np.random.default_rng(0).permutation(len(task.items))[:2]]
    assert list(task.batches(1, np.random.default_rng(0)))[0] == plain
    assert ReadingTask.length((["q"], ["a", "b", "c"], 0, 0, True)) == 3
    assert GroupReadingTask.length((["q"], [["a"], ["a", "b", "c", "d"], ["a", "b"]], 0, 0, ("a",))) == 4
