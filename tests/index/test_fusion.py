"""Rank fusion: reciprocal rank fusion and normalised score interpolation, worked by hand."""

from __future__ import annotations

import math

import pytest

from wenda.index.fusion import interpolate, reciprocal_rank_fusion

A = [(1, 9.0), (2, 8.0), (3, 5.0)]
B = [(3, 30.0), (4, 20.0), (1, 10.0)]


def _pids(run):
    return [pid for pid, _ in run]


def test_rrf_worked_example():
    """k = 60. Ranks in A: 1 -> 1, 2 -> 2, 3 -> 3; in B: 3 -> 1, 4 -> 2, 1 -> 3.

    1: 1/61 + 1/63 = 0.0322665;  3: 1/63 + 1/61, the same sum: a tie, smaller id first;
    2: 1/62 = 0.0161290 (A only);  4: 1/62 (B only): a tie again.  So 1, 3, 2, 4.
    Weights (2, 1): 1: 2/61 + 1/63 = 0.0486599;  3: 2/63 + 1/61 = 0.0481395;  2: 2/62;  4: 1/62.
    k = 0: 1 and 3 score 1/1 + 1/3 = 4/3, 2 and 4 score 1/2.
    """
    fused = reciprocal_rank_fusion([A, B])
    assert _pids(fused) == [1, 3, 2, 4]
    assert [s for _, s in fused] == pytest.approx([1 / 61 + 1 / 63] * 2 + [1 / 62] * 2)
    assert fused[0][1] == fused[1][1] and fused[2][1] == fused[3][1]
    weighted = reciprocal_rank_fusion([A, B], weights=[2, 1])
    assert weighted == pytest.approx([(1, 2 / 61 + 1 / 63), (3, 2 / 63 + 1 / 61), (2, 2 / 62), (4, 1 / 62)])
    assert reciprocal_rank_fusion([A, B], k=0) == pytest.approx([(1, 4 / 3), (3, 4 / 3), (2, 0.5), (4, 0.5)])
    assert reciprocal_rank_fusion([A, B], depth=2) == fused[:2]


def test_rrf_ties_are_exact_whatever_the_order_of_addition():
    """Three rotations of (7, 8, 9): every passage scores 1/61 + 1/62 + 1/63, summed in a different
    order each time. Plain float addition can differ in the last bit; fsum cannot, so ids decide."""
    runs = [[(7, 0), (8, 0), (9, 0)], [(8, 0), (9, 0), (7, 0)], [(9, 0), (7, 0), (8, 0)]]
    fused = reciprocal_rank_fusion(runs)
    assert _pids(fused) == [7, 8, 9] and len({s for _, s in fused}) == 1
    assert fused[0][1] == math.fsum([1 / 61, 1 / 62, 1 / 63])


def test_rrf_repeated_passage_counts_once():
    """Run (5, 5, 6): the repeat is dropped, so 6 is the second distinct passage: 1/61 + ... = 1/62."""
    assert reciprocal_rank_fusion([[(5, 3.0), (5, 2.0), (6, 1.0)]]) == pytest.approx(
        [(5, 1 / 61), (6, 1 / 62)]
    )


def test_interpolate_minmax_worked_example():
    """Min-max: A (9, 8, 5) -> 1: 1, 2: 0.75, 3: 0;  B (30, 20, 10) -> 3: 1, 4: 0.5, 1: 0.

    Missing passages get the run's minimum, 0: 4 in A, 2 in B. Weights (0.5, 0.5):
    1: .5 * 1 + .5 * 0 = 0.5;  3: .5 * 0 + .5 * 1 = 0.5 (tie: 1 first);  2: .5 * .75 = 0.375;  4: .5 * .5 = 0.25.
    """
    fused = interpolate([A, B], [0.5, 0.5])
    assert fused == [(1, 0.5), (3, 0.5), (2, 0.375), (4, 0.25)]
    assert interpolate([A, B], [0.5, 0.5], depth=3) == fused[:3]


def test_interpolate_zscore_worked_example():
    """z-scores (population std). A: mean 22/3, std sqrt(26)/3 -> 1: 5/sqrt26 = 0.98058,
    2: 2/sqrt26 = 0.39223, 3: -7/sqrt26 = -1.37281.  B: mean 20, std sqrt(200/3) -> 3: +1.22474,
    4: 0, 1: -1.22474.  Missing: 4 in A gets A's minimum -1.37281; 2 in B gets B's minimum -1.22474.
    Weights (1, 1): 3: -1.37281 + 1.22474 = -0.14807;  1: 0.98058 - 1.22474 = -0.24416;
    2: 0.39223 - 1.22474 = -0.83251;  4: -1.37281 + 0 = -1.37281.
    (Had a missing passage scored 0, the run's mean, the order would be 2: 0.39223, 4: 0, 3, 1 --
    4, which only B retrieved and only halfway down, above 1 and 3, which both retrieved.)
    """
    s26, s1_5 = math.sqrt(26), math.sqrt(1.5)
    fused = interpolate([A, B], [1, 1], normalize="zscore")
    assert _pids(fused) == [3, 1, 2, 4]
    expected = [-7 / s26 + s1_5, 5 / s26 - s1_5, 2 / s26 - s1_5, -7 / s26]
    assert [s for _, s in fused] == pytest.approx(expected)
    assert [s for _, s in fused] == pytest.approx([-0.14807, -0.24416, -0.83251, -1.37281], abs=5e-6)


def test_interpolate_constant_and_empty_runs_add_nothing():
    """A run whose scores are all equal ranks nothing: it adds 0 to every passage; so does an empty run."""
    flat = [(1, 5.0), (2, 5.0)]
    assert interpolate([flat, [(2, 1.0), (1, 0.0)]], [1, 1]) == [(2, 1.0), (1, 0.0)]
    assert interpolate([[], A], [3, 1], normalize="zscore") == interpolate([A], [1], normalize="zscore")
    assert interpolate([[], []], [1, 1]) == [] and reciprocal_rank_fusion([]) == []


def test_bad_input():
    with pytest.raises(ValueError, match="one finite weight per run"):
        interpolate([A, B], [1])
    with pytest.raises(ValueError, match="one finite weight per run"):
        reciprocal_rank_fusion([A], weights=[math.nan])
    with pytest.raises(ValueError, match="finite scores"):
        interpolate([[(1, math.nan)]], [1])
    with pytest.raises(ValueError, match="normalization"):
        interpolate([A], [1], normalize="rank")
    with pytest.raises(ValueError, match="k must"):
        reciprocal_rank_fusion([A], k=-1)
