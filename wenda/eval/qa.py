"""End-to-end open-domain QA evaluation (DrQA's protocol, Chen et al. 2017, Table 6): each
question is asked of the whole indexed corpus (``wenda.pipeline.ask``) and its top answer judged by
exact match after SQuAD normalisation (CuratedTREC: its answer regex, DrQA's ``regex_match_score``).

DrQA always answers; ``exact_match`` here does the same (the best answer even when the reader would
abstain), and ``exact_match_abstaining`` counts an abstention as a wrong answer. Latency is per
stage (retrieve, rerank, read) and in total, p50/p95 in milliseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from wenda.data.open_qa import regex_match
from wenda.data.squad import Question
from wenda.eval.squad import exact_match

REGEX_ANSWERS = {"curated-trec"}  # datasets whose answers are patterns


def is_correct(prediction: str, answers: Sequence[str], regex: bool = False) -> bool:
    """Whether ``prediction`` matches a gold answer (a pattern when ``regex``)."""
    if regex:
        return any(regex_match(prediction, a) for a in answers)
    return bool(exact_match(prediction, list(answers)))


def evaluate_qa(
    qa, questions: Sequence[Question], retriever: str | None = None, passages: int | None = None,
    regex: bool = False, progress: Callable[[int], None] | None = None, batch: int = 1,
) -> dict:  # fmt: skip
    """Ask every question with ``qa`` (:class:`wenda.api.Wenda`) and score its top answer;
    ``batch`` > 1 reads that many questions together (faster; the answers are the same, but the
    latency figures are then per batch, not what one user waits)."""
    right = right_abstaining = abstained = 0
    times: dict[str, list[float]] = {}
    for begin in range(0, len(questions), batch):
        part = questions[begin : begin + batch]
        start = time.perf_counter()
        results = qa.ask_many([q.question for q in part], passages, retriever, top=1)
        times.setdefault("total", []).append(1000 * (time.perf_counter() - start))
        for q, result in zip(part, results, strict=True):
            correct = bool(result.answers) and is_correct(result.answers[0].text, q.answers, regex)
            right += correct
            right_abstaining += correct and not result.abstained
            abstained += result.abstained
        for stage, ms in results[0].timings_ms.items() if results else ():
            times.setdefault(stage, []).append(ms)
        if progress:
            progress(begin + len(part))
    n = max(len(questions), 1)
    return {
        "questions": len(questions),
        "exact_match": 100 * right / n,
        "exact_match_abstaining": 100 * right_abstaining / n,
        "abstained": 100 * abstained / n,
        "batch": batch,
        "latency_ms": {
            stage: {"p50": float(np.percentile(v, 50)), "p95": float(np.percentile(v, 95))}
            for stage, v in times.items()
        },
    }
