"""Evaluating a reader on a SQuAD-format file: official EM/F1 (v1.1, or v2.0 with the stored
no-answer threshold) and the calibration of its answer probabilities (ECE), in one reading pass."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from wenda.eval.squad import evaluate_squad, exact_match
from wenda.eval.squad_v2 import Judged, best_threshold, evaluate_squad_v2
from wenda.read.calibrate import Scored, expected_calibration_error, score_questions


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


def evaluate_reader(
    service,
    articles: list[Mapping],
    limit: int = 0,
    advance: Callable[[], None] | None = None,
    batch: int = 32,
) -> dict:
    """Read every question of a SQuAD-format ``articles`` list in its own paragraph with
    ``service`` (:class:`~wenda.read.answer.ReaderService`), ``batch`` questions per forward pass
    (:func:`~wenda.read.calibrate.score_questions`), and score it.

    Returns: ``questions``; ``exact_match``/``f1`` (official v1.1 rules) when every question is
    answerable, else the official v2.0 keys (``exact``, ``f1``, ``HasAns_*``, ``NoAns_*``) at the
    stored threshold, the same never abstaining (``no_abstention``) and the dev-tuned best
    (``oracle_best_f1``: for reference only, the threshold is chosen on dev itself); and
    :func:`calibration_report`'s ECE.
    """
    questions = squad_questions(articles, limit)
    scored = []
    for begin in range(0, len(questions), batch):
        part = questions[begin : begin + batch]
        items = [(qa["question"], [context], [a["text"] for a in qa["answers"]]) for qa, context in part]
        scored += score_questions(service, items, batch)
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
