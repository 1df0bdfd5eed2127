"""The official SQuAD v1.1 answer scores (EM, F1) and DrQA's answer-in-passage test.

``normalize_answer``, ``exact_match``, ``f1`` and ``evaluate_squad`` follow the official
``evaluate-v1.1.py`` (Rajpurkar et al. 2016, https://rajpurkar.github.io/SQuAD-explorer/) rule for
rule, including its quirks: F1 of two answers that both normalize to nothing is 0 while their EM is
1 (SQuAD v2.0's script changed that; v1.1 numbers in papers use this one), and articles are removed
*after* punctuation, so "the." loses both. ``has_answer`` is the retrieval check of DrQA (Chen et
al. 2017, ``scripts/retriever/eval.py``): an answer counts as found in a passage when its token
sequence appears contiguously in the passage's, both under the same normalization (here the SQuAD
one, so retrieval hits and reader EM agree on what an answer is).
"""

from __future__ import annotations

import logging
import re
import string
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from wenda.eval.metrics import EvalError

log = logging.getLogger(__name__)

_ARTICLES = re.compile(r"\b(a|an|the)\b")
# The official script drops the characters of string.punctuation (ASCII only), one by one.
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalize_answer(s: str) -> str:
    """Lowercase, drop ASCII punctuation, drop the words a/an/the, collapse whitespace.

    The order matters and is the official one (lower, punctuation, articles, whitespace).
    """
    text = s.lower().translate(_PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def _token_f1(prediction: list[str], gold: list[str]) -> float:
    overlap = sum((Counter(prediction) & Counter(gold)).values())
    if overlap == 0:  # also when both are empty: the official v1.1 script scores that 0
        return 0.0
    precision = overlap / len(prediction)
    recall = overlap / len(gold)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, ground_truths: Sequence[str]) -> float:
    """1.0 if the normalized prediction equals any normalized gold answer, else 0.0.

    An empty ``ground_truths`` gives 0.0 (the official script would crash on ``max([])``).
    """
    normalized = normalize_answer(prediction)
    return float(any(normalized == normalize_answer(gold) for gold in ground_truths))


def f1(prediction: str, ground_truths: Sequence[str]) -> float:
    """The best token-level F1 (bag-of-tokens overlap) of the prediction against any gold answer.

    An empty ``ground_truths`` gives 0.0 (the official script would crash on ``max([])``).
    """
    tokens = normalize_answer(prediction).split()
    return max((_token_f1(tokens, normalize_answer(gold).split()) for gold in ground_truths), default=0.0)


def _questions(dataset_articles: Iterable[Mapping]) -> Iterable[Mapping]:
    for article in dataset_articles:
        for paragraph in article["paragraphs"]:
            yield from paragraph["qas"]


def evaluate_squad(dataset_articles: Iterable[Mapping], predictions: Mapping[str, str]) -> dict[str, float]:
    """Official SQuAD v1.1 scores of predictions, in percent.

    Args:
        dataset_articles: the SQuAD file's ``"data"`` list.
        predictions: question id -> predicted answer text. A question without a prediction scores 0
            on both metrics (logged once, as a count).

    Returns:
        ``{"exact_match": EM%, "f1": F1%}`` averaged over every question of the dataset.

    Raises:
        EvalError: the dataset holds no question.
    """
    total = missing = 0
    em_sum = f1_sum = 0.0
    for qa in _questions(dataset_articles):
        total += 1
        if qa["id"] not in predictions:
            missing += 1
            continue
        golds = [answer["text"] for answer in qa["answers"]]
        em_sum += exact_match(predictions[qa["id"]], golds)
        f1_sum += f1(predictions[qa["id"]], golds)
    if total == 0:
        raise EvalError("the SQuAD dataset holds no question: is it the file's 'data' list?")
    if missing:
        log.warning("%d of %d questions have no prediction; they score 0", missing, total)
    return {"exact_match": 100.0 * em_sum / total, "f1": 100.0 * f1_sum / total}


def has_answer(text: str, answers: Sequence[str]) -> bool:
    """Whether any answer's normalized tokens occur contiguously in the normalized tokens of text.

    The text is normalized once. Answers that normalize to nothing (``""``, ``"the"``) never match,
    unlike DrQA, where an empty token list trivially matches every passage.
    """
    # Normalized text is single-space separated with no edge spaces, so a padded substring test is
    # exactly a contiguous token match, done by str's C search instead of a Python loop.
    haystack = f" {normalize_answer(text)} "
    for answer in answers:
        needle = normalize_answer(answer)
        if needle and f" {needle} " in haystack:
            return True
    return False
