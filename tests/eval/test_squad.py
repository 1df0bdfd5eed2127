"""SQuAD v1.1 scoring: worked examples and parity with the official script's functions."""

from __future__ import annotations

import re
import string
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wenda.eval.metrics import EvalError
from wenda.eval.squad import evaluate_squad, exact_match, f1, has_answer, normalize_answer

# ---------------------------------------------------------------------------------------------
# The reference: the official evaluate-v1.1.py functions, as published (only renamed, ``ref_``).


def ref_normalize_answer(s):
    def remove_articles(text):
        return re.sub(r"\b(a|an|the)\b", " ", text)

    def white_space_fix(text):
        return " ".join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return "".join(ch for ch in text if ch not in exclude)

    def lower(text):
        return text.lower()

    return white_space_fix(remove_articles(remove_punc(lower(s))))


def ref_f1_score(prediction, ground_truth):
    prediction_tokens = ref_normalize_answer(prediction).split()
    ground_truth_tokens = ref_normalize_answer(ground_truth).split()
    common = Counter(prediction_tokens) & Counter(ground_truth_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(prediction_tokens)
    recall = 1.0 * num_same / len(ground_truth_tokens)
    f1 = (2 * precision * recall) / (precision + recall)
    return f1


def ref_exact_match_score(prediction, ground_truth):
    return ref_normalize_answer(prediction) == ref_normalize_answer(ground_truth)


def ref_metric_max_over_ground_truths(metric_fn, prediction, ground_truths):
    scores_for_ground_truths = []
    for ground_truth in ground_truths:
        score = metric_fn(prediction, ground_truth)
        scores_for_ground_truths.append(score)
    return max(scores_for_ground_truths)


def ref_evaluate(dataset, predictions):
    f1 = exact_match = total = 0
    for article in dataset:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                total += 1
                if qa["id"] not in predictions:
                    continue
                ground_truths = list(map(lambda x: x["text"], qa["answers"]))
                prediction = predictions[qa["id"]]
                exact_match += ref_metric_max_over_ground_truths(
                    ref_exact_match_score, prediction, ground_truths
                )
                f1 += ref_metric_max_over_ground_truths(ref_f1_score, prediction, ground_truths)
    exact_match = 100.0 * exact_match / total
    f1 = 100.0 * f1 / total
    return {"exact_match": exact_match, "f1": f1}


# ---------------------------------------------------------------------------------------------
# Worked examples


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("The Eiffel Tower", "eiffel tower"),
        ("  a  cat\tand AN\napple ", "cat and apple"),
        ("theater, another; anthem", "theater another anthem"),  # only whole words are articles
        ("U.S.A.", "usa"),
        ("the.", ""),  # punctuation goes first, then "the" is a whole word
        ("don't-stop", "dontstop"),
        ("“quoted” — dash", "“quoted” — dash"),  # not ASCII punctuation: kept, as in the official script
        ("", ""),
    ],
)
def test_normalize_answer(raw, normalized):
    assert normalize_answer(raw) == normalized


def test_exact_match_takes_the_best_gold_answer():
    """ "Denver Broncos" equals the second gold answer after normalization -> 1; none match "Broncos"."""
    golds = ["the Denver Broncos team", "Denver Broncos!"]
    assert exact_match("denver broncos", golds) == 1.0
    assert exact_match("Broncos", golds) == 0.0
    assert exact_match("anything", []) == 0.0


def test_f1_worked_example():
    """Prediction "the Denver Broncos" -> [denver, broncos]; gold "Denver Broncos team" -> [denver,
    broncos, team]. Overlap 2: P = 2/2, R = 2/3, F1 = 2 * 1 * 2/3 / (1 + 2/3) = 0.8. Against gold
    "Broncos": overlap 1, P = 1/2, R = 1, F1 = 2/3. The max over golds is 0.8."""
    assert f1("the Denver Broncos", ["Broncos", "Denver Broncos team"]) == pytest.approx(0.8)


def test_f1_counts_repeated_tokens_once_per_match():
    """ "x x y" vs gold "x y y": Counter overlap min(2, 1) + min(1, 2) = 2, P = R = 2/3, F1 = 2/3."""
    assert f1("x x y", ["x y y"]) == pytest.approx(2 / 3)


def test_empty_strings_follow_the_v1_1_rules():
    """Both sides normalize to nothing: EM 1 (equal strings) but F1 0 (no common token)."""
    assert exact_match("", [""]) == 1.0
    assert f1("", [""]) == 0.0
    assert exact_match("The", ["a"]) == 1.0
    assert f1("The", ["a"]) == 0.0
    assert f1("", ["Denver"]) == 0.0


DATASET = [
    {
        "title": "T",
        "paragraphs": [
            {
                "context": "ignored",
                "qas": [
                    {
                        "id": "1",
                        "question": "?",
                        "answers": [{"text": "Denver Broncos"}, {"text": "Broncos"}],
                    },
                    {"id": "2", "question": "?", "answers": [{"text": "a red car"}]},
                    {"id": "3", "question": "?", "answers": [{"text": "1999"}]},
                ],
            }
        ],
    }
]


def test_evaluate_squad_worked_example():
    """Q1 "broncos" matches gold "Broncos": EM 1, F1 1. Q2 "red truck" vs "red car": EM 0, F1 0.5.
    Q3 has no prediction: 0. EM = 100 * 1/3 = 33.33, F1 = 100 * 1.5/3 = 50."""
    scores = evaluate_squad(DATASET, {"1": "broncos", "2": "red truck"})
    assert scores == pytest.approx({"exact_match": 100 / 3, "f1": 50.0})
    assert scores == pytest.approx(ref_evaluate(DATASET, {"1": "broncos", "2": "red truck"}))


def test_evaluate_squad_refuses_an_empty_dataset():
    with pytest.raises(EvalError):
        evaluate_squad([], {})


def test_has_answer():
    text = "The Super Bowl 50 was won by the Denver Broncos, in Santa Clara."
    assert has_answer(text, ["Denver Broncos"])
    assert has_answer(text, ["nothing", "santa clara!"])
    assert has_answer(text, ["the super bowl"])  # articles dropped on both sides
    assert not has_answer(text, ["Denver Bronco"])  # tokens, not substrings
    assert not has_answer(text, ["Broncos Denver"])  # contiguous, in order
    assert not has_answer(text, ["", "the"])  # nothing left to look for
    assert not has_answer(text, [])


# ---------------------------------------------------------------------------------------------
# Parity with the official functions on random text

WORDS = [
    "a",
    "an",
    "the",
    "The",
    "A",
    "cat",
    "Cat",
    "x",
    "U.S.",
    "can't",
    "café",
    "ﬁ",
    "İ",
    "-",
    "...",
    "ana",
]
pieces = (
    st.sampled_from(WORDS) | st.text(max_size=4) | st.sampled_from(list(string.punctuation + " \t\n\u00a0"))
)
answers = st.lists(pieces, max_size=6).map("".join) | st.lists(pieces, max_size=6).map(" ".join)


@settings(max_examples=500, deadline=None)
@given(s=answers)
def test_normalize_matches_official(s):
    assert normalize_answer(s) == ref_normalize_answer(s)


@settings(max_examples=500, deadline=None)
@given(prediction=answers, golds=st.lists(answers, min_size=1, max_size=3))
def test_em_and_f1_match_official(prediction, golds):
    assert exact_match(prediction, golds) == float(
        ref_metric_max_over_ground_truths(ref_exact_match_score, prediction, golds)
    )
    assert f1(prediction, golds) == ref_metric_max_over_ground_truths(ref_f1_score, prediction, golds)


@settings(max_examples=200, deadline=None)
@given(text=answers, candidates=st.lists(answers, max_size=3))
def test_has_answer_is_a_contiguous_token_match(text, candidates):
    tokens = ref_normalize_answer(text).split()

    def occurs(answer):
        needle = ref_normalize_answer(answer).split()
        n = len(needle)
        return n > 0 and any(tokens[i : i + n] == needle for i in range(len(tokens) - n + 1))

    assert has_answer(text, candidates) == any(occurs(a) for a in candidates)
