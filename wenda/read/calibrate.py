"""Calibrated reader confidence: temperature scaling, expected calibration error, and the no-answer
threshold, all chosen on held-out training data and stored beside the model.

A reader's answer probability (``wenda.read.decode``) is a softmax over span scores; neural readers
are overconfident, so the scores are divided by a temperature ``T`` (Guo et al. 2017, "On
Calibration of Modern Neural Networks") chosen to minimise the log-loss of "the top answer is an
exact match" under its probability. Dividing by ``T`` never changes which span is best, so each
question is read once and re-scored for every candidate ``T``. Then, for readers with a no-answer
logit, the threshold on P(no answer) above which the reader abstains is the official SQuAD v2.0
``find_best_thresh`` (:func:`wenda.eval.squad_v2.best_threshold`) on the same held-out questions.

The expected calibration error (ECE; Naeini et al. 2015) bins answers by confidence into ``bins``
equal-width bins and averages ``|accuracy - confidence|`` weighted by bin size. Both choices use
training-side data only; SQuAD dev is only ever scored with the stored values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from wenda.eval.squad import exact_match, f1
from wenda.eval.squad_v2 import Judged, best_threshold
from wenda.fileio import atomic_write_json, read_json
from wenda.nn.batching import by_length
from wenda.read.decode import span_scores

FILE = "calibration.json"
TEMPERATURES = np.geomspace(0.25, 8.0, 61)


@dataclass
class Calibration:
    """Attributes: temperature: span scores are divided by it; no_answer_threshold: abstain when
    P(no answer) is above it (1.0: never); chosen_on: what the values were chosen on."""

    temperature: float = 1.0
    no_answer_threshold: float = 1.0
    chosen_on: str = "nothing (defaults)"

    def save(self, directory: Path) -> None:
        atomic_write_json(Path(directory) / FILE, asdict(self))

    @classmethod
    def load(cls, directory: Path) -> Calibration:
        """The stored calibration, or the identity when the directory has none."""
        path = Path(directory) / FILE
        if not path.exists():
            return cls()
        data = read_json(path, "reader calibration")
        return cls(
            float(data["temperature"]), float(data["no_answer_threshold"]), str(data.get("chosen_on", ""))
        )


@dataclass
class Scored:
    """One question read once: every valid span score (flat), the best span's text, the no-answer
    score (None without a head) and the gold answers (empty: unanswerable)."""

    scores: np.ndarray
    text: str
    no_answer: float | None
    golds: tuple[str, ...]

    def probs(self, temperature: float) -> tuple[float, float]:
        """(P(best span), P(no answer)) with scores divided by ``temperature``."""
        scaled = self.scores / temperature
        if self.no_answer is not None:
            scaled = np.append(scaled, self.no_answer / temperature)
        log_z = float(np.logaddexp.reduce(scaled)) if scaled.size else 0.0
        best = math.exp(float(self.scores.max()) / temperature - log_z) if self.scores.size else 0.0
        none = math.exp(self.no_answer / temperature - log_z) if self.no_answer is not None else 0.0
        return best, none


def score_questions(
    service, items: Sequence[tuple[str, Sequence[str], Sequence[str]]], batch: int = 32
) -> list[Scored]:
    """Read each (question, passages, gold answers) with ``service`` (a
    :class:`~wenda.read.answer.ReaderService`), ``batch`` questions per forward pass, and keep
    what calibration needs (raw scores: the temperature is applied later); in the items' order.

    Questions whose passages are of similar length share a forward pass (less padding; a reader's
    scores do not depend on a row's padding: ``wenda.nn.rnn``)."""
    scored: list[Scored | None] = [None] * len(items)
    for part in by_length([sum(map(len, passages)) for _, passages, _ in items], batch):
        read = service.read_many([items[i][0] for i in part], [items[i][1] for i in part])
        for i, (answers, logits) in zip(part, read, strict=True):
            scored[i] = _scored(service, answers, logits, items[i][2])
    return scored


def score_examples(service, examples: Sequence, batch: int = 32) -> list[Scored]:
    """:func:`score_questions` for span-annotated examples (:class:`wenda.data.reading.SpanExample`),
    each read in its own context against its gold answer texts."""
    items = [(ex.question, [ex.context], [text for text, _ in ex.answers]) for ex in examples]
    return score_questions(service, items, batch)


def em_f1(scored: Sequence[Scored]) -> dict[str, float]:
    """Mean SQuAD exact match and F1 (percent) of the scored questions' top answers."""
    n = max(1, len(scored))
    return {
        "exact_match": 100 * sum(exact_match(s.text, s.golds) for s in scored) / n,
        "f1": 100 * sum(f1(s.text, s.golds) for s in scored) / n,
    }


def _scored(service, answers: list, logits: tuple | None, golds: Sequence[str]) -> Scored:
    """One question's :class:`Scored` from its answers and span logits."""
    if logits is None:
        return Scored(np.zeros(0), "", None, tuple(golds))
    start, end, mask, none = logits
    flat = span_scores(start.float(), end.float(), mask, service.max_answer_len).reshape(-1)
    flat = flat[torch.isfinite(flat)].cpu().numpy().astype(np.float64)
    return Scored(
        flat, answers[0].text if answers else "", None if none is None else float(none), tuple(golds)
    )


def expected_calibration_error(
    confidence: Sequence[float], correct: Sequence[float], bins: int = 10
) -> float:
    """ECE over ``bins`` equal-width confidence bins (the last one closed)."""
    conf, hit = np.asarray(confidence, dtype=float), np.asarray(correct, dtype=float)
    if conf.size == 0:
        return 0.0
    which = np.minimum((conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.sum() / conf.size * abs(hit[inside].mean() - conf[inside].mean())
    return float(total)


def fit_temperature(scored: Sequence[Scored]) -> float:
    """The temperature minimising the log-loss of "the best answer is an exact match" over the
    answerable questions (1.0 when there are none)."""
    answerable = [s for s in scored if s.golds and s.scores.size]
    if not answerable:
        return 1.0
    hits = np.array([exact_match(s.text, s.golds) for s in answerable])

    def log_loss(t: float) -> float:
        p = np.clip([s.probs(t)[0] for s in answerable], 1e-6, 1 - 1e-6)
        return float(-np.mean(hits * np.log(p) + (1 - hits) * np.log(1 - p)))

    return float(min(TEMPERATURES, key=log_loss))


def calibrate(scored: Sequence[Scored], chosen_on: str) -> Calibration:
    """Temperature, then (if any question has a no-answer score) the no-answer threshold."""
    t = fit_temperature(scored)
    threshold = 1.0
    if any(s.no_answer is not None for s in scored) and any(not s.golds for s in scored):
        judged = [Judged(s.golds, s.text, s.probs(t)[1]) for s in scored]
        threshold = best_threshold(judged)[0]
    return Calibration(t, threshold, chosen_on)
