"""Ranking metrics: hand-derived examples and parity with trec_eval through pytrec_eval."""

from __future__ import annotations

import math
import random

import pytest
import pytrec_eval
from hypothesis import given, settings
from hypothesis import strategies as st

from wenda.eval.metrics import (
    EvalError,
    average_precision,
    evaluate,
    metric,
    ndcg_at,
    precision_at,
    rank,
    recall_at,
    reciprocal_rank,
)

# our name -> pytrec_eval's name
TREC_NAMES = {
    "map": "map",
    "mrr": "recip_rank",
    "ndcg@3": "ndcg_cut_3",
    "ndcg@5": "ndcg_cut_5",
    "ndcg@10": "ndcg_cut_10",
    "p@5": "P_5",
    "p@10": "P_10",
    "recall@5": "recall_5",
    "recall@100": "recall_100",
}
TREC_MEASURES = {"map", "recip_rank", "ndcg_cut.3,5,10", "P.5,10", "recall.5,100"}


def trec_eval(qrels: dict, run: dict) -> dict[str, dict[str, float]]:
    """Per-query scores from pytrec_eval, renamed to our metric names."""
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, TREC_MEASURES)
    results = evaluator.evaluate(run)
    return {qid: {ours: r[theirs] for ours, theirs in TREC_NAMES.items()} for qid, r in results.items()}


def assert_matches_trec_eval(qrels: dict, run: dict) -> None:
    reference = trec_eval(qrels, run)
    if not reference:
        with pytest.raises(EvalError):
            evaluate(qrels, run, list(TREC_NAMES))
        return
    ours = evaluate(qrels, run, list(TREC_NAMES), per_query=True)
    assert ours["per_query"].keys() == reference.keys()
    for qid, expected in reference.items():
        assert ours["per_query"][qid] == pytest.approx(expected, abs=1e-12), qid
    for name in TREC_NAMES:
        mean = math.fsum(r[name] for r in reference.values()) / len(reference)
        assert ours["mean"][name] == pytest.approx(mean, abs=1e-12), name


# ---------------------------------------------------------------------------------------------
# Worked examples


QRELS = {"q": {"d1": 1, "d2": 0, "d3": 2, "d4": 1}}
RUN = {"q": {"d5": 0.9, "d1": 0.8, "d2": 0.7, "d3": 0.7, "d6": 0.1}}


def test_worked_example():
    """One query, graded judgments, a tie, a relevant doc never retrieved, an unjudged doc.

    Ranking: d5 (0.9), d1 (0.8), then d2 and d3 tie at 0.7 and the larger doc id goes first: d3, d2;
    then d6. Grades down the ranking: 0, 1, 2, 0, 0. Relevant judged docs: d1, d3, d4, so R = 3.

    - AP = (1/2 + 2/3) / 3 = 7/18 (d4 was never retrieved but still counts in R).
    - RR = 1/2 (first relevant at rank 2).
    - P@5 = 2/5; P@10 = 2/10 (divided by 10 though only 5 were retrieved).
    - recall@5 = recall@100 = 2/3.
    - nDCG@3: DCG = 0 + 1/log2(3) + 2/log2(4) = 1/log2(3) + 1; the ideal top 3 has grades 2, 1, 1:
      IDCG = 2 + 1/log2(3) + 1/2. nDCG@3 = (1 + 1/log2 3) / (2.5 + 1/log2 3) = 0.52091...
    """
    ranking = rank(RUN["q"])
    assert ranking == ["d5", "d1", "d3", "d2", "d6"]
    judgments = QRELS["q"]
    assert average_precision(ranking, judgments) == pytest.approx(7 / 18)
    assert reciprocal_rank(ranking, judgments) == 0.5
    assert precision_at(ranking, judgments, 5) == pytest.approx(0.4)
    assert precision_at(ranking, judgments, 10) == pytest.approx(0.2)
    assert recall_at(ranking, judgments, 5) == pytest.approx(2 / 3)
    inv = 1 / math.log2(3)
    assert ndcg_at(ranking, judgments, 3) == pytest.approx((1 + inv) / (2.5 + inv))
    assert ndcg_at(ranking, judgments, 3) == pytest.approx(0.52091, abs=1e-5)
    assert_matches_trec_eval(QRELS, RUN)


def test_denominators_come_from_judgments_not_candidates():
    """MatchZoo-py #164: two relevant docs a, b; the run retrieves a (rank 1) and c only.

    Over the candidate list AP would be 1/1 = 1 and recall 1; over the judgments AP = (1/1)/2 = 0.5,
    recall@5 = 1/2, and the ideal DCG has two gains: nDCG@5 = 1 / (1 + 1/log2 3) = 0.6131.
    """
    qrels = {"q": {"a": 1, "b": 1, "c": 0}}
    run = {"q": {"a": 2.0, "c": 1.0}}
    scores = evaluate(qrels, run, ["map", "recall@5", "ndcg@5"])
    assert scores["map"] == pytest.approx(0.5)
    assert scores["recall@5"] == pytest.approx(0.5)
    assert scores["ndcg@5"] == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert_matches_trec_eval(qrels, run)


def test_ties_break_on_decreasing_doc_id():
    """Equal scores: trec_eval ranks "b" before "a", and "a" before "B" (byte order, not casefold)."""
    assert rank({"a": 1.0, "b": 1.0}) == ["b", "a"]
    assert rank({"B": 1.0, "a": 1.0}) == ["a", "B"]
    assert rank({"ab": 1.0, "a": 1.0, "z": 0.5}) == ["ab", "a", "z"]
    assert rank({"z": 1.0, "é": 1.0, "\U0001f600": 1.0}) == ["\U0001f600", "é", "z"]
    assert_matches_trec_eval({"q": {"a": 1, "é": 1}}, {"q": {"a": 1.0, "b": 1.0, "é": 1.0, "z": 1.0}})


def test_scores_are_compared_in_single_precision():
    """trec_eval stores scores as C floats: 1 + 1e-8 and 1 round to the same float32, so they tie
    and "b" goes first; 1 + 1e-6 stays larger. Overflowing scores become +-inf as a C cast does."""
    assert rank({"a": 1.0 + 1e-8, "b": 1.0}) == ["b", "a"]
    assert rank({"a": 1.0 + 1e-6, "b": 1.0}) == ["a", "b"]
    assert rank({"a": -1e-58, "b": 0.0}) == ["b", "a"]  # -0.0 == 0.0
    assert rank({"a": 1e39, "b": 3.4e38, "c": 1e300, "d": -1e39}) == ["c", "a", "b", "d"]
    for scores in ({"0": 1.0 + 1e-8, "1": 1.0}, {"0": 16777217.0, "1": 16777216.0}, {"0": 1e-40, "1": 0.0}):
        assert_matches_trec_eval({"q": {"0": 1}}, {"q": scores})


def test_which_queries_are_averaged():
    """q1 perfect (AP 1), q2 judged with no relevant doc (AP 0), q3 judged but not run, q4 not judged.

    - default (trec_eval): q1 and q2 -> MAP (1 + 0) / 2 = 0.5; q4 is ignored.
    - complete (trec_eval -c): q1, q2, q3 -> 1/3.
    - skip_no_relevant: q1 only -> 1.0; with complete too: q1, q3 -> 0.5.
    """
    qrels = {"q1": {"a": 1}, "q2": {"a": 0, "b": 0}, "q3": {"c": 1}}
    run = {"q1": {"a": 1.0}, "q2": {"a": 1.0}, "q4": {"a": 1.0}}
    assert evaluate(qrels, run, ["map"]) == {"map": 0.5}
    assert evaluate(qrels, run, ["map"], complete=True)["map"] == pytest.approx(1 / 3)
    assert evaluate(qrels, run, ["map"], skip_no_relevant=True) == {"map": 1.0}
    assert evaluate(qrels, run, ["map"], complete=True, skip_no_relevant=True) == {"map": 0.5}
    detail = evaluate(qrels, run, ["map"], per_query=True, complete=True)
    assert detail["per_query"] == {"q1": {"map": 1.0}, "q2": {"map": 0.0}, "q3": {"map": 0.0}}
    assert_matches_trec_eval(qrels, run)


def test_complete_matches_trec_eval_dash_c():
    """-c divides the sum over evaluated queries by the number of judged queries."""
    qrels = {"q1": {"a": 1, "b": 2}, "q2": {"a": 1}, "q3": {"x": 1}, "q4": {"y": 0}}
    run = {"q1": {"b": 1.0, "a": 0.5}, "q2": {"z": 3.0, "a": 1.0}}
    reference = trec_eval(qrels, run)
    ours = evaluate(qrels, run, list(TREC_NAMES), complete=True)
    for name in TREC_NAMES:
        assert ours[name] == pytest.approx(sum(r[name] for r in reference.values()) / 4, abs=1e-12)


def test_empty_judgments_count_as_unjudged():
    """pytrec_eval skips a query whose judgment dict is empty; so do we."""
    qrels = {"q1": {"a": 1}, "q2": {}}
    run = {"q1": {"a": 1.0}, "q2": {"a": 1.0}}
    assert evaluate(qrels, run, ["map"], per_query=True)["per_query"].keys() == {"q1"}
    assert evaluate(qrels, run, ["map"], complete=True) == {"map": 1.0}
    assert_matches_trec_eval(qrels, run)


def test_empty_run_for_a_query_scores_zero():
    qrels = {"q1": {"a": 1}, "q2": {"a": 1}}
    run = {"q1": {}, "q2": {"a": 1.0}}
    assert evaluate(qrels, run, ["map", "mrr"]) == {"map": 0.5, "mrr": 0.5}
    assert_matches_trec_eval(qrels, run)


def test_no_common_query_is_an_error():
    with pytest.raises(EvalError, match="query ids"):
        evaluate({"q1": {"a": 1}}, {"Q1": {"a": 1.0}})


@pytest.mark.parametrize("name", ["MAP", "ndcg", "ndcg@0", "p@-1", "p@x", "f1@5", "recall@05"])
def test_unknown_metric_names_are_refused(name):
    with pytest.raises(EvalError, match="unknown metric"):
        metric(name)


def test_default_metrics():
    assert set(evaluate(QRELS, RUN)) == {"map", "mrr", "ndcg@10", "p@10", "recall@100"}


# ---------------------------------------------------------------------------------------------
# Parity with trec_eval on random inputs


def random_case(rng: random.Random, n_queries: int, n_docs: int) -> tuple[dict, dict]:
    """Random qrels and run over a shared doc pool; coarse scores force many ties."""
    docs = [f"d{i}" for i in range(n_docs)]
    qrels, run = {}, {}
    for q in range(n_queries):
        qid = f"q{q}"
        if rng.random() < 0.9:
            judged = rng.sample(docs, rng.randint(1, n_docs // 2))
            qrels[qid] = {d: rng.choice([0, 0, 1, 1, 2, 3]) for d in judged}
        if rng.random() < 0.9:
            retrieved = rng.sample(docs, rng.randint(0, n_docs))
            run[qid] = {d: float(rng.randint(0, 5)) for d in retrieved}
    return qrels, run


@pytest.mark.parametrize("seed", range(20))
def test_random_runs_match_trec_eval(seed):
    rng = random.Random(seed)
    qrels, run = random_case(rng, n_queries=30, n_docs=rng.choice([5, 20, 150]))
    assert_matches_trec_eval(qrels, run)


doc_ids = st.text(alphabet="abAB1é_", min_size=1, max_size=3)
judgments_st = st.dictionaries(doc_ids, st.integers(0, 3), min_size=1, max_size=8)
scores_st = st.dictionaries(
    doc_ids, st.sampled_from([0.0, 0.5, 1.0, -1.0, 1e-9]) | st.floats(-1e3, 1e3), max_size=12
)
qids = st.sampled_from(["1", "2", "3", "10", "q"])


@settings(max_examples=300, deadline=None)
@given(
    qrels=st.dictionaries(qids, judgments_st, max_size=4),
    run=st.dictionaries(qids, scores_st, max_size=4),
)
def test_hypothesis_matches_trec_eval(qrels, run):
    assert_matches_trec_eval(qrels, run)
