"""Ranking metrics (MAP, MRR, nDCG@k, P@k, recall@k) computed exactly as trec_eval computes them.

Semantics follow trec_eval 9 (github.com/usnistgov/trec_eval: ``form_res_rels.c``, ``m_map.c``,
``m_recip_rank.c``, ``m_ndcg_cut.c``, ``m_P.c``, ``m_recall.c``, ``meas_avg.c``, ``trec_eval.c``) and
are checked against its Python binding pytrec_eval (Van Gysel & de Rijke, SIGIR 2018):

- A query's run is ranked by score descending; ties go to the larger doc id (``strcmp`` on the
  docnos, decreasing). Python's code-point order equals the UTF-8 byte order ``strcmp`` sees.
- Scores are compared in single precision: trec_eval keeps them in a C ``float`` (``TEXT_RESULTS``
  in ``trec_format.h``), so scores closer than float32 resolution (~6e-8 relative; magnitudes below
  ~7e-46 become 0) tie, and the doc id decides.
- Every denominator comes from the judgments: AP and recall divide by the number of relevant judged
  documents, nDCG's ideal ranking is built from all judged grades, retrieved or not. Computing them
  over the candidate list instead inflates every score (MatchZoo-py issue #164).
- A document is relevant when its grade is > 0 (trec_eval's default ``-l 1``); its nDCG gain is its
  grade. Grades <= 0 and documents missing from the judgments count as non-relevant.
- P@k divides by k even when fewer than k documents were retrieved.
- Averages are over the queries that have both judgments and a run, *including* judged queries with
  no relevant document (they score 0 on every metric here). ``complete=True`` is trec_eval's ``-c``:
  average over every judged query, a query missing from the run scoring 0.
  ``skip_no_relevant=True`` (not in trec_eval) drops judged queries without a relevant document, the
  usual convention for QA sets such as WikiQA where some questions have no correct candidate.
- A query whose judgment dict is empty counts as unjudged: trec_eval could not even see it (it reads
  judgment lines) and pytrec_eval skips it.
- No cut-off on the run's depth (trec_eval's ``-M`` defaults to unlimited).
"""

from __future__ import annotations

import math
import re
import struct
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial

from wenda.errors import WendaError

Judgments = Mapping[str, int]
"""One query's judgments: doc id -> relevance grade."""
Qrels = Mapping[str, Judgments]
Run = Mapping[str, Mapping[str, float]]
PerQuery = Callable[[Sequence[str], Judgments], float]

DEFAULT_METRICS = ("map", "mrr", "ndcg@10", "p@10", "recall@100")


class EvalError(WendaError, ValueError):
    """An evaluation that cannot be computed (unknown metric name, no query to average over)."""


def rank(scores: Mapping[str, float]) -> list[str]:
    """Doc ids of one query's run in trec_eval order: score descending, then doc id descending.

    Args:
        scores: doc id -> score.

    Returns:
        The doc ids, best first.
    """
    docs = list(scores)
    sims = _single_precision([scores[doc] for doc in docs])
    # trec_eval's comp_sim_docno: higher sim first, then strcmp(docno2, docno1) (decreasing docno).
    return [doc for _, doc in sorted(zip(sims, docs, strict=True), reverse=True)]


def _single_precision(values: list[float]) -> list[float]:
    """The values rounded to float32, as trec_eval stores them (overflow -> inf, as a C cast)."""
    try:
        return array("f", values).tolist()
    except OverflowError:  # array refuses |x| > FLT_MAX; round those one by one
        return [_to_float32(value) for value in values]


def _to_float32(value: float) -> float:
    try:
        return struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)


def _num_relevant(judgments: Judgments) -> int:
    return sum(1 for grade in judgments.values() if grade > 0)


def _relevant_flags(ranking: Sequence[str], judgments: Judgments) -> list[bool]:
    return [judgments.get(doc, 0) > 0 for doc in ranking]


def average_precision(ranking: Sequence[str], judgments: Judgments) -> float:
    """Average precision (trec_eval ``map`` for one query).

    Args:
        ranking: unique doc ids, best first.
        judgments: doc id -> grade for this query.

    Returns:
        The sum of precision at the rank of each retrieved relevant document, divided by the number
        of relevant documents in the judgments (0 when there are none).
    """
    num_rel = _num_relevant(judgments)
    if num_rel == 0:
        return 0.0
    hits, total = 0, 0.0
    for position, relevant in enumerate(_relevant_flags(ranking, judgments), start=1):
        if relevant:
            hits += 1
            total += hits / position
    return total / num_rel


def reciprocal_rank(ranking: Sequence[str], judgments: Judgments) -> float:
    """Reciprocal rank of the first relevant document (trec_eval ``recip_rank``), 0 if none.

    Args:
        ranking: unique doc ids, best first.
        judgments: doc id -> grade for this query.
    """
    for position, relevant in enumerate(_relevant_flags(ranking, judgments), start=1):
        if relevant:
            return 1.0 / position
    return 0.0


def _dcg(gains: Iterable[int]) -> float:
    # Rank r (1-based) is discounted by log2(r + 1), as in trec_eval 9's ndcg_cut (rank 1 by 1).
    return sum(gain / math.log2(index + 2) for index, gain in enumerate(gains) if gain > 0)


def ndcg_at(ranking: Sequence[str], judgments: Judgments, k: int) -> float:
    """Normalised DCG over the top k (trec_eval ``ndcg_cut_k``); the gain is the grade.

    Args:
        ranking: unique doc ids, best first.
        judgments: doc id -> grade for this query.
        k: the cut-off (> 0).

    Returns:
        DCG of the top k divided by the DCG of the best possible top k, built from all judged
        grades (0 when no document has a positive grade).
    """
    ideal = _dcg(sorted((g for g in judgments.values() if g > 0), reverse=True)[:k])
    if ideal == 0.0:
        return 0.0
    return _dcg(judgments.get(doc, 0) for doc in ranking[:k]) / ideal


def precision_at(ranking: Sequence[str], judgments: Judgments, k: int) -> float:
    """Relevant documents in the top k divided by k, even if fewer were retrieved (``P_k``).

    Args:
        ranking: unique doc ids, best first.
        judgments: doc id -> grade for this query.
        k: the cut-off (> 0).
    """
    return sum(_relevant_flags(ranking[:k], judgments)) / k


def recall_at(ranking: Sequence[str], judgments: Judgments, k: int) -> float:
    """Relevant documents in the top k over all relevant judged documents (``recall_k``), 0 if none.

    Args:
        ranking: unique doc ids, best first.
        judgments: doc id -> grade for this query.
        k: the cut-off (> 0).
    """
    num_rel = _num_relevant(judgments)
    if num_rel == 0:
        return 0.0
    return sum(_relevant_flags(ranking[:k], judgments)) / num_rel


_PLAIN: dict[str, PerQuery] = {"map": average_precision, "mrr": reciprocal_rank}
_AT_K: dict[str, Callable[[Sequence[str], Judgments, int], float]] = {
    "ndcg": ndcg_at,
    "p": precision_at,
    "recall": recall_at,
}
_AT_K_NAME = re.compile(r"([a-z]+)@([1-9][0-9]*)")


def metric(name: str) -> PerQuery:
    """The per-query function for a metric name.

    Args:
        name: ``"map"``, ``"mrr"``, or ``"ndcg@K"``, ``"p@K"``, ``"recall@K"`` with a positive K.

    Raises:
        EvalError: the name is not one of these.
    """
    if name in _PLAIN:
        return _PLAIN[name]
    match = _AT_K_NAME.fullmatch(name)
    if match and match.group(1) in _AT_K:
        return partial(_AT_K[match.group(1)], k=int(match.group(2)))
    known = ", ".join([*_PLAIN, *(f"{base}@K" for base in _AT_K)])
    raise EvalError(f"unknown metric {name!r}; use one of: {known} (K a positive integer)")


def _queries(qrels: Qrels, run: Run, complete: bool, skip_no_relevant: bool) -> list[str]:
    judged = [qid for qid, judgments in qrels.items() if judgments]
    if skip_no_relevant:
        judged = [qid for qid in judged if _num_relevant(qrels[qid])]
    if not complete:
        judged = [qid for qid in judged if qid in run]
    return sorted(judged)  # trec_eval's order (it sorts judgments by qid); also fixes the sum order


def _score_query(
    functions: Mapping[str, PerQuery], scores: Mapping[str, float], judgments: Judgments
) -> dict[str, float]:
    ranking = rank(scores)
    return {name: function(ranking, judgments) for name, function in functions.items()}


def evaluate(
    qrels: Qrels,
    run: Run,
    metrics: Sequence[str] = DEFAULT_METRICS,
    per_query: bool = False,
    *,
    complete: bool = False,
    skip_no_relevant: bool = False,
) -> dict:
    """Score a run against judgments the way trec_eval does (see the module docstring).

    Args:
        qrels: query id -> doc id -> relevance grade (> 0 is relevant).
        run: query id -> doc id -> score (higher is better).
        metrics: metric names, see :func:`metric`.
        per_query: also return each query's scores.
        complete: average over every judged query, scoring queries absent from the run as 0
            (trec_eval ``-c``). By default only queries present in both are averaged.
        skip_no_relevant: leave out judged queries with no relevant document (trec_eval keeps them,
            scoring 0).

    Returns:
        ``{metric: mean}``; with ``per_query``, ``{"mean": {metric: mean},
        "per_query": {query id: {metric: score}}}``.

    Raises:
        EvalError: an unknown metric name, or no query to average over (query ids don't match).
    """
    functions = {name: metric(name) for name in metrics}
    qids = _queries(qrels, run, complete, skip_no_relevant)
    if not qids:
        raise EvalError(
            f"no query to average over: {len(qrels)} judged and {len(run)} run queries share no id "
            "with a non-empty judgment (check that the query ids match)"
        )
    scores = {qid: _score_query(functions, run.get(qid, {}), qrels[qid]) for qid in qids}
    means = {name: math.fsum(s[name] for s in scores.values()) / len(qids) for name in functions}
    return {"mean": means, "per_query": scores} if per_query else means
