# ruff: noqa: UP031, B007, SIM108  (the official functions are kept as published)
"""SQuAD v2.0 scoring: parity with the official evaluate-v2.0.py functions on random data, and
worked examples of the no-answer threshold."""

from __future__ import annotations

import collections

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.eval.test_squad import answers, ref_normalize_answer
from wenda.eval.metrics import EvalError
from wenda.eval.squad_v2 import Judged, best_threshold, evaluate_squad_v2, exact_v2, f1_v2

# ---------------------------------------------------------------------------------------------
# The reference: the official evaluate-v2.0.py functions, as published (only renamed, ``ref_``;
# its normalize_answer is v1.1's).


def ref_get_tokens(s):
    if not s:
        return []
    return ref_normalize_answer(s).split()


def ref_compute_exact(a_gold, a_pred):
    return int(ref_normalize_answer(a_gold) == ref_normalize_answer(a_pred))


def ref_compute_f1(a_gold, a_pred):
    gold_toks = ref_get_tokens(a_gold)
    pred_toks = ref_get_tokens(a_pred)
    common = collections.Counter(gold_toks) & collections.Counter(pred_toks)
    num_same = sum(common.values())
    if len(gold_toks) == 0 or len(pred_toks) == 0:
        # If either is no-answer, then F1 is 1 if they agree, 0 otherwise
        return int(gold_toks == pred_toks)
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(pred_toks)
    recall = 1.0 * num_same / len(gold_toks)
    f1 = (2 * precision * recall) / (precision + recall)
    return f1


def ref_get_raw_scores(dataset, preds):
    exact_scores = {}
    f1_scores = {}
    for article in dataset:
        for p in article["paragraphs"]:
            for qa in p["qas"]:
                qid = qa["id"]
                gold_answers = [a["text"] for a in qa["answers"] if ref_normalize_answer(a["text"])]
                if not gold_answers:
                    # For unanswerable questions, only correct answer is empty string
                    gold_answers = [""]
                if qid not in preds:
                    print("Missing prediction for %s" % qid)
                    continue
                a_pred = preds[qid]
                # Take max over all gold answers
                exact_scores[qid] = max(ref_compute_exact(a, a_pred) for a in gold_answers)
                f1_scores[qid] = max(ref_compute_f1(a, a_pred) for a in gold_answers)
    return exact_scores, f1_scores


def ref_apply_no_ans_threshold(scores, na_probs, qid_to_has_ans, na_prob_thresh):
    new_scores = {}
    for qid, s in scores.items():
        pred_na = na_probs[qid] > na_prob_thresh
        if pred_na:
            new_scores[qid] = float(not qid_to_has_ans[qid])
        else:
            new_scores[qid] = s
    return new_scores


def ref_find_best_thresh(preds, scores, na_probs, qid_to_has_ans):
    num_no_ans = sum(1 for k in qid_to_has_ans if not qid_to_has_ans[k])
    cur_score = num_no_ans
    best_score = cur_score
    best_thresh = 0.0
    qid_list = sorted(na_probs, key=lambda k: na_probs[k])
    for i, qid in enumerate(qid_list):
        if qid not in scores:
            continue
        if qid_to_has_ans[qid]:
            diff = scores[qid]
        else:
            if preds[qid]:
                diff = -1
            else:
                diff = 0
        cur_score += diff
        if cur_score > best_score:
            best_score = cur_score
            best_thresh = na_probs[qid]
    return 100.0 * best_score / len(scores), best_thresh


# ---------------------------------------------------------------------------------------------

question = st.tuples(
    st.lists(answers, max_size=3), answers, st.floats(0, 1, allow_nan=False)
)  # gold texts (maybe none), prediction, P(no answer)


def _reference(questions, threshold):
    dataset = [
        {
            "paragraphs": [
                {
                    "qas": [
                        {"id": str(i), "answers": [{"text": g} for g in golds]}
                        for i, (golds, _, _) in enumerate(questions)
                    ]
                }
            ]
        }
    ]
    preds = {str(i): pred for i, (_, pred, _) in enumerate(questions)}
    na_probs = {str(i): p for i, (_, _, p) in enumerate(questions)}
    has_ans = {str(i): bool(golds) for i, (golds, _, _) in enumerate(questions)}
    exact, f1 = ref_get_raw_scores(dataset, preds)
    exact_t = ref_apply_no_ans_threshold(exact, na_probs, has_ans, threshold)
    f1_t = ref_apply_no_ans_threshold(f1, na_probs, has_ans, threshold)
    n = len(questions)
    best = ref_find_best_thresh(preds, f1, na_probs, has_ans)
    return 100.0 * sum(exact_t.values()) / n, 100.0 * sum(f1_t.values()) / n, best


@settings(max_examples=300, deadline=None)
@given(prediction=answers, golds=st.lists(answers, max_size=3))
def test_exact_and_f1_match_official(prediction, golds):
    ref_golds = [g for g in golds if ref_normalize_answer(g)] or [""]
    assert exact_v2(prediction, golds) == max(ref_compute_exact(g, prediction) for g in ref_golds)
    assert f1_v2(prediction, golds) == max(ref_compute_f1(g, prediction) for g in ref_golds)


@settings(max_examples=200, deadline=None)
@given(questions=st.lists(question, min_size=1, max_size=8), threshold=st.floats(0, 1))
def test_thresholded_scores_and_best_threshold_match_official(questions, threshold):
    judged = [Judged(tuple(golds), pred, p) for golds, pred, p in questions]
    exact, f1, (best_f1, best_t) = _reference(questions, threshold)
    got = evaluate_squad_v2(judged, threshold)
    assert got["exact"] == pytest.approx(exact) and got["f1"] == pytest.approx(f1)
    assert got["HasAns_total"] + got["NoAns_total"] == got["total"] == len(questions)
    t, score = best_threshold(judged)
    assert score == pytest.approx(best_f1) and t == best_t


def test_worked_threshold_example():
    """Two answerable (one right, one wrong), two unanswerable. Abstaining above 0.5 fixes the
    first unanswerable one (P(none) 0.9) but also silences the right answer with P(none) 0.6."""
    judged = [
        Judged(("Paris",), "paris", 0.6),
        Judged(("Rome",), "london", 0.2),
        Judged((), "something", 0.9),
        Judged((), "other", 0.1),
    ]
    never = evaluate_squad_v2(judged, 1.0)
    assert never["exact"] == 25.0 and never["HasAns_exact"] == 50.0 and never["NoAns_exact"] == 0.0
    half = evaluate_squad_v2(judged, 0.5)
    assert half["exact"] == 25.0 and half["NoAns_exact"] == 50.0 and half["HasAns_exact"] == 0.0
    # best: answer the two lowest (0.1, 0.2: -1 + 0), then paris (+1): 2 + (-1) + 0 + 1 = 2 -> but
    # abstaining on all gives 2 as well, and only a strictly better score moves the threshold
    assert best_threshold(judged) == (0.0, 50.0)
    with pytest.raises(EvalError):
        evaluate_squad_v2([])
