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
from functools import partial

import numpy as np

from wenda.data.open_qa import regex_match, regex_search
from wenda.data.squad import Question
from wenda.eval.squad import exact_match, has_answer
from wenda.scale.raymap import RayTarget, chunked, run_chunks, shared_path

REGEX_ANSWERS = {"curated-trec"}  # datasets whose answers are patterns
_BATCHES_PER_CHUNK = 8  # batches of questions handed to a Ray actor at a time


def answer_in(text: str, answers: Sequence[str], regex: bool = False) -> bool:
    """Whether a passage holds a gold answer: SQuAD-normalised tokens in a row, or for patterns
    DrQA's ``regex`` check of a passage (``re.search``, ignoring case)."""
    if not regex:
        return has_answer(text, answers)
    return any(regex_search(text, pattern) for pattern in answers)


def is_correct(prediction: str, answers: Sequence[str], regex: bool = False) -> bool:
    """Whether ``prediction`` matches a gold answer (a pattern when ``regex``)."""
    if regex:
        return any(regex_match(prediction, a) for a in answers)
    return bool(exact_match(prediction, list(answers)))


class _Judge:
    """Asks batches of questions and judges their top answers: the unit of work
    :func:`evaluate_qa` hands out (to a Ray actor, which opens the index and models itself)."""

    def __init__(self, qa, retriever: str | None, passages: int | None, regex: bool, batch: int) -> None:
        self.qa, self.retriever, self.passages, self.regex, self.batch = qa, retriever, passages, regex, batch

    @classmethod
    def opened(cls, index: str, reader: str | None, reranker: str | None, cfg, *args) -> _Judge:
        from wenda.api import Wenda

        return cls(Wenda(index, reader, reranker, cfg), *args)

    def judge(self, questions: Sequence[Question]) -> tuple[list[tuple[bool, ...]], dict[str, list[float]]]:
        """``(correct, abstained, an answer in the passages read)`` per question, and each stage's
        milliseconds per batch."""
        outcomes, times = [], {}
        for begin in range(0, len(questions), self.batch):
            part = questions[begin : begin + self.batch]
            start = time.perf_counter()
            results = self.qa.ask_many([q.question for q in part], self.passages, self.retriever, top=1)
            times.setdefault("total", []).append(1000 * (time.perf_counter() - start))
            for q, result in zip(part, results, strict=True):
                correct = bool(result.answers) and is_correct(result.answers[0].text, q.answers, self.regex)
                found = any(answer_in(h.text, q.answers, self.regex) for h in result.passages)
                outcomes.append((correct, result.abstained, found))
            for stage, ms in results[0].timings_ms.items() if results else ():
                times.setdefault(stage, []).append(ms)
        return outcomes, times


def evaluate_qa(
    qa, questions: Sequence[Question], retriever: str | None = None, passages: int | None = None,
    regex: bool = False, progress: Callable[[int], None] | None = None, batch: int = 1,
    ray: RayTarget | None = None,
) -> dict:  # fmt: skip
    """Ask every question with ``qa`` (:class:`wenda.api.Wenda`) and score its top answer;
    ``batch`` > 1 reads that many questions together (faster; the answers are the same, but the
    latency figures are then per batch, not what one user waits). With ``ray``, the questions are
    asked on Ray actors, each opening ``qa``'s index and models itself (so the index must be on
    storage every node sees); latency is then measured on the actors."""
    args = (retriever, passages, regex, batch)
    if ray is None:
        factory = partial(_Judge, qa, *args)
    else:
        paths = map(shared_path, (qa.collection.path, qa.reader_dir, qa.reranker_dir))
        factory = partial(_Judge.opened, *paths, qa.settings, *args)
    step = batch * _BATCHES_PER_CHUNK if ray is not None else batch
    outcomes, times, done = [], {}, 0
    for part, part_times in run_chunks(factory, "judge", chunked(questions, step), ray):
        outcomes += part
        for stage, ms in part_times.items():
            times.setdefault(stage, []).extend(ms)
        done += len(part)
        if progress:
            progress(done)
    return _summary(outcomes, times, batch)


def _summary(outcomes: list[tuple[bool, ...]], times: dict[str, list[float]], batch: int) -> dict:
    """EM always answering and with abstention counted wrong; how often the passages read held an
    answer (the most the reader could get) and EM on those questions (the reader's share)."""
    n = max(len(outcomes), 1)
    found = [c for c, _, f in outcomes if f]
    return {
        "questions": len(outcomes),
        "exact_match": 100 * sum(c for c, _, _ in outcomes) / n,
        "exact_match_abstaining": 100 * sum(c and not a for c, a, _ in outcomes) / n,
        "abstained": 100 * sum(a for _, a, _ in outcomes) / n,
        "answer_in_passages": 100 * len(found) / n,
        "exact_match_when_found": 100 * sum(found) / len(found) if found else None,
        "batch": batch,
        "latency_ms": {
            stage: {"p50": float(np.percentile(v, 50)), "p95": float(np.percentile(v, 95))}
            for stage, v in times.items()
        },
    }
