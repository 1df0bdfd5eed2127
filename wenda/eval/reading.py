"""Evaluating a reader on a SQuAD-format file: official EM/F1 (v1.1, or v2.0 with the stored
no-answer threshold) and the calibration of its answer probabilities (ECE), in one reading pass."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path

from wenda.eval.squad import evaluate_squad, exact_match
from wenda.eval.squad_v2 import Judged, best_threshold, evaluate_squad_v2
from wenda.read.calibrate import Scored, expected_calibration_error, score_questions
from wenda.scale.raymap import RayTarget, chunked, run_chunks, shared_path


def squad_questions(articles: Iterable[Mapping], limit: int = 0) -> list[tuple[Mapping, str]]:
    """(question entry, its paragraph's context) for every question, the first ``limit`` if > 0."""
    questions = [(qa, p["context"]) for a in articles for p in a["paragraphs"] for qa in p["qas"]]
    return questions[:limit] if limit else questions


def calibration_report(scored: list[Scored], temperature: float) -> dict[str, float]:
    """ECE of the best answer's probability against its exact match, over answerable questions,
    with the stored temperature and without (T = 1)."""
    answerable = [s for s in scored if s.golds]
    hits = [exact_match(s.text, s.golds) for s in answerable]
    ece = {}
    for name, t in (("ece", temperature), ("ece_uncalibrated", 1.0)):
        ece[name] = expected_calibration_error([s.probs(t)[0] for s in answerable], hits)
    return {**ece, "temperature": temperature}


class _Scorer:
    """Reads (question, [context], golds) items with a reader, ``batch`` per forward pass: the
    unit of work :func:`evaluate_reader` hands out (to a Ray actor, which loads its own reader)."""

    def __init__(self, service, batch: int) -> None:
        self.service, self.batch = service, batch

    @classmethod
    def load(cls, model_dir: str | None, batch: int, precision: str = "fp32") -> _Scorer:
        from wenda.read.answer import load_reader

        return cls(load_reader(model_dir, precision=precision), batch)

    def score(self, items: list) -> list[Scored]:
        return score_questions(self.service, items, self.batch)


def evaluate_reader(
    service,
    articles: list[Mapping],
    limit: int = 0,
    advance: Callable[[], None] | None = None,
    batch: int = 32,
    ray: RayTarget | None = None,
    model_dir: str | Path | None = None,
) -> dict:
    """Read every question of a SQuAD-format ``articles`` list in its own paragraph with
    ``service`` (:class:`~wenda.read.answer.ReaderService`), ``batch`` questions per forward pass
    (:func:`~wenda.read.calibrate.score_questions`), and score it. With ``ray``, the questions are
    read on Ray actors, each loading the reader at ``model_dir`` (None: the packaged one) itself.

    Returns: ``questions``; ``exact_match``/``f1`` (official v1.1 rules) when every question is
    answerable, else the official v2.0 keys (``exact``, ``f1``, ``HasAns_*``, ``NoAns_*``) at the
    stored threshold, the same never abstaining (``no_abstention``) and the dev-tuned best
    (``oracle_best_f1``: for reference only, the threshold is chosen on dev itself); and
    :func:`calibration_report`'s ECE.
    """
    questions = squad_questions(articles, limit)
    items = [(qa["question"], [context], [a["text"] for a in qa["answers"]]) for qa, context in questions]
    factory = (
        partial(_Scorer, service, batch)
        if ray is None
        else partial(_Scorer.load, shared_path(model_dir), batch, service.precision)
    )
    scored = []
    for part in run_chunks(factory, "score", chunked(items, batch), ray):
        scored += part
        if advance:
            for _ in part:
                advance()
    t = service.calibration.temperature
    result: dict = {"questions": len(questions)}
    if all(s.golds for s in scored):
        predictions = {qa["id"]: s.text for (qa, _), s in zip(questions, scored, strict=True)}
        result.update(evaluate_squad([{"paragraphs": [{"qas": [qa for qa, _ in questions]}]}], predictions))
    else:
        judged = [Judged(s.golds, s.text, s.probs(t)[1]) for s in scored]
        result.update(evaluate_squad_v2(judged, service.calibration.no_answer_threshold))
        result["no_abstention"] = evaluate_squad_v2(judged, 1.0)
        result["oracle_best_f1"] = best_threshold(judged)[1]
    return {**result, **calibration_report(scored, t)}
