"""The official SQuAD v2.0 scores: EM and F1 with unanswerable questions and a no-answer threshold.

Rule for rule as the official ``evaluate-v2.0.py`` (Rajpurkar, Jia & Liang 2018): gold answers that
normalise to nothing are dropped and an unanswerable question's only gold answer is ``""``; F1 is 1
when prediction and gold are both empty (v1.1 scores that 0); a question whose no-answer probability
is above the threshold is predicted unanswerable and scores 1 exactly when it is; results are split
into ``HasAns`` and ``NoAns``. :func:`best_threshold` is the script's ``find_best_thresh``; use it on
held-out *training* data to choose a threshold, never on the data being reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from wenda.eval.metrics import EvalError
from wenda.eval.squad import normalize_answer


@dataclass(frozen=True)
class Judged:
    """One question: its gold answer texts (empty: unanswerable), the best non-empty predicted
    answer, and the predicted probability that there is no answer."""

    golds: tuple[str, ...]
    prediction: str
    no_answer_prob: float

    @property
    def has_answer(self) -> bool:
        return bool(self.golds)  # the script's qid_to_has_ans: any answer at all


def _golds(golds: Sequence[str]) -> list[str]:
    return [g for g in golds if normalize_answer(g)] or [""]


def exact_v2(prediction: str, golds: Sequence[str]) -> float:
    """The script's ``compute_exact``, maximised over the gold answers."""
    return float(max(normalize_answer(g) == normalize_answer(prediction) for g in _golds(golds)))


def _f1(gold: str, prediction: str) -> float:
    gold_tokens = normalize_answer(gold).split() if gold else []
    pred_tokens = normalize_answer(prediction).split() if prediction else []
    if not gold_tokens or not pred_tokens:
        return float(gold_tokens == pred_tokens)
    same = sum((Counter(gold_tokens) & Counter(pred_tokens)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred_tokens), same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def f1_v2(prediction: str, golds: Sequence[str]) -> float:
    """The script's ``compute_f1``, maximised over the gold answers."""
    return max(_f1(g, prediction) for g in _golds(golds))


def _scores(judged: Sequence[Judged], threshold: float) -> list[tuple[float, float]]:
    out = []
    for j in judged:
        if j.no_answer_prob > threshold:
            out.append((float(not j.has_answer),) * 2)
        else:
            out.append((exact_v2(j.prediction, j.golds), f1_v2(j.prediction, j.golds)))
    return out


def _mean(pairs: list[tuple[float, float]], prefix: str) -> dict[str, float]:
    n = len(pairs)
    return {
        f"{prefix}exact": 100.0 * sum(e for e, _ in pairs) / n if n else 0.0,
        f"{prefix}f1": 100.0 * sum(f for _, f in pairs) / n if n else 0.0,
        f"{prefix}total": n,
    }


def evaluate_squad_v2(judged: Sequence[Judged], threshold: float = 1.0) -> dict[str, float]:
    """``exact``/``f1``/``total`` overall and for ``HasAns_`` and ``NoAns_`` questions (percent), as
    the official script prints them, with ``threshold`` its ``--na-prob-thresh``.

    Raises:
        EvalError: no question.
    """
    if not judged:
        raise EvalError("no SQuAD v2.0 question to score")
    scores = _scores(judged, threshold)
    has = [s for s, j in zip(scores, judged, strict=True) if j.has_answer]
    none = [s for s, j in zip(scores, judged, strict=True) if not j.has_answer]
    return {**_mean(scores, ""), **_mean(has, "HasAns_"), **_mean(none, "NoAns_"), "threshold": threshold}


def best_threshold(judged: Sequence[Judged], metric: str = "f1") -> tuple[float, float]:
    """The script's ``find_best_thresh``: the no-answer threshold that maximises ``metric``
    (``"exact"`` or ``"f1"``) on ``judged``, and that score (percent). Starting from "abstain on
    everything", questions are answered in increasing order of no-answer probability."""
    if not judged:
        raise EvalError("no question to choose a threshold on")
    pick = exact_v2 if metric == "exact" else f1_v2
    score = best = float(sum(not j.has_answer for j in judged))
    threshold = 0.0
    for j in sorted(judged, key=lambda j: j.no_answer_prob):
        if j.has_answer:
            score += pick(j.prediction, j.golds)
        elif j.prediction:
            score -= 1
        if score > best:
            best, threshold = score, j.no_answer_prob
    return threshold, 100.0 * best / len(judged)
