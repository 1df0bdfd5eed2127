"""Rank fusion: one ranking from the runs of several retrievers (say BM25 and a dense or binary one).

A run is what :meth:`wenda.index.base.Retriever.search` returns: ``[(passage_id, score)]`` best first.
Fused runs have the same form, best first, ties by the smaller passage id, cut to ``depth`` if given.

- :func:`reciprocal_rank_fusion` (Cormack, Clarke & Buettcher 2009, "Reciprocal Rank Fusion
  outperforms Condorcet and individual Rank Learning Methods", SIGIR): ``sum_r w_r / (k + rank_r)``,
  ranks from 1, ``k = 60`` as in the paper; a run that misses a passage adds nothing for it. Scores are
  ignored, so runs on incomparable scales fuse without tuning.
- :func:`interpolate`: ``sum_r w_r * norm_r(score)``, each run's scores normalised first, min-max
  (Lee 1997, "Analyses of multiple evidence combination", SIGIR) or z-score (Montague & Aslam 2001,
  "Relevance score normalization for metasearch", CIKM). A passage missing from a run gets that run's
  *minimum* normalised score: it was not retrieved, so it is worth at most the worst passage that was,
  and the minimum is the one value that holds under both normalisations (0 would be the worst for
  min-max, but the *mean* for z-score, ranking unretrieved passages above half the retrieved ones).
  A run whose scores are all equal carries no ranking information and adds 0 to every passage.

Sums use ``math.fsum`` (exactly rounded, so independent of run order): passages with equal
contributions tie exactly and the tie-break by passage id is not decided by rounding noise.
A passage repeated within a run counts once, at its first (best) position; ranks count distinct
passages.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence

Run = Sequence[tuple[int, float]]


def _weights(runs: Sequence[Run], weights: Sequence[float] | None) -> list[float]:
    w = [1.0] * len(runs) if weights is None else [float(x) for x in weights]
    if len(w) != len(runs) or not all(math.isfinite(x) for x in w):
        raise ValueError(f"need one finite weight per run: {len(runs)} runs, weights {weights!r}")
    return w


def _first(run: Run) -> dict[int, float]:
    """Passage -> score at its first position in ``run``, in run order."""
    out: dict[int, float] = {}
    for pid, score in run:
        if not math.isfinite(score):
            raise ValueError(f"passage {pid} has score {score!r}; fusion needs finite scores")
        out.setdefault(int(pid), float(score))
    return out


def _ranked(parts: dict[int, list[float]], depth: int | None) -> list[tuple[int, float]]:
    fused = sorted(((pid, math.fsum(p)) for pid, p in parts.items()), key=lambda x: (-x[1], x[0]))
    return fused if depth is None else fused[:depth]


def reciprocal_rank_fusion(
    runs: Sequence[Run], k: float = 60, weights: Sequence[float] | None = None, depth: int | None = None
) -> list[tuple[int, float]]:
    """RRF: each passage scores ``sum_r weights[r] / (k + rank in run r)``, ranks from 1."""
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k!r}")
    parts: dict[int, list[float]] = defaultdict(list)
    for run, w in zip(runs, _weights(runs, weights), strict=True):
        for rank, pid in enumerate(_first(run), start=1):
            parts[pid].append(w / (k + rank))
    return _ranked(parts, depth)


def _minmax(scores: list[float]) -> list[float]:
    lo, hi = min(scores), max(scores)
    return [0.0] * len(scores) if hi == lo else [(s - lo) / (hi - lo) for s in scores]


def _zscore(scores: list[float]) -> list[float]:
    mean = math.fsum(scores) / len(scores)
    std = math.sqrt(math.fsum((s - mean) ** 2 for s in scores) / len(scores))  # population std
    return [0.0] * len(scores) if std == 0 else [(s - mean) / std for s in scores]


NORMALIZERS: dict[str, Callable[[list[float]], list[float]]] = {"minmax": _minmax, "zscore": _zscore}


def interpolate(
    runs: Sequence[Run], weights: Sequence[float], normalize: str = "minmax", depth: int | None = None
) -> list[tuple[int, float]]:
    """Each passage scores ``sum_r weights[r] * normalised score in run r`` (missing: the run's minimum)."""
    if normalize not in NORMALIZERS:
        raise ValueError(f"unknown normalization {normalize!r}; choose one of {sorted(NORMALIZERS)}")
    runs_w = list(zip([_first(run) for run in runs], _weights(runs, weights), strict=True))
    parts: dict[int, list[float]] = {pid: [] for run, _ in runs_w for pid in run}
    for run, w in runs_w:
        normed = dict(zip(run, NORMALIZERS[normalize](list(run.values())), strict=True)) if run else {}
        floor = min(normed.values(), default=0.0)
        for pid, p in parts.items():
            p.append(w * normed.get(pid, floor))
    return _ranked(parts, depth)
