"""Evaluate a ranking of candidate texts (answer selection, re-ranking) against judgments.

Scores come flat, in the order of ``(query, candidate)`` pairs as the queries list them; they become
a trec_eval run and are scored by :func:`wenda.eval.metrics.evaluate` against the official
judgments, never against the candidate list (MatchZoo-py #164).
"""

from __future__ import annotations

from collections.abc import Sequence

from wenda.eval.metrics import Qrels, Run, evaluate
from wenda.types import RankQuery

METRICS = ("map", "mrr", "ndcg@3", "ndcg@5")


def pairs(queries: Sequence[RankQuery]) -> list[tuple[str, str]]:
    """``(query text, candidate text)`` for every candidate, in order."""
    return [(q.text, c.text) for q in queries for c in q.candidates]


def run_from_scores(queries: Sequence[RankQuery], scores: Sequence[float]) -> Run:
    """A trec_eval run from flat scores (one per candidate, in :func:`pairs` order)."""
    total = sum(len(q.candidates) for q in queries)
    if len(scores) != total:
        raise ValueError(f"{len(scores)} scores for {total} candidates")
    run: Run = {}
    it = iter(scores)
    for q in queries:
        run[q.id] = {c.id: float(next(it)) for c in q.candidates}
    return run


def qrels_from_labels(queries: Sequence[RankQuery]) -> Qrels:
    """Judgments from the candidates' own labels (for sets without a reference file)."""
    return {q.id: {c.id: c.label for c in q.candidates} for q in queries}


def evaluate_scores(
    queries: Sequence[RankQuery],
    scores: Sequence[float],
    qrels: Qrels | None = None,
    metrics: Sequence[str] = METRICS,
) -> dict[str, float]:
    """Mean metrics of a flat score list; ``qrels`` default to the candidates' labels.

    Queries judged but without any relevant candidate count as 0 (trec_eval); pass filtered
    judgments to leave them out.
    """
    return evaluate(
        qrels if qrels is not None else qrels_from_labels(queries), run_from_scores(queries, scores), metrics
    )


def evaluate_scorer(
    scorer, queries: Sequence[RankQuery], qrels: Qrels | None = None, metrics: Sequence[str] = METRICS
) -> dict[str, float]:
    """Mean metrics of ``scorer.score(query, texts) -> [float]`` (e.g. a loaded Reranker) on ``queries``."""
    scores = [s for q in queries for s in scorer.score(q.text, [c.text for c in q.candidates])]
    return evaluate_scores(queries, scores, qrels, metrics)
