"""Distractor passages: what a retriever returns for a question that does not hold its answer.

Readers that rank passages train on groups of a gold passage and distractors
(:mod:`wenda.train.grouped`); readers with a no-answer logit learn to abstain on them (as Clark &
Gardner 2018 train on paragraphs without the answer), and their no-answer threshold is chosen on
held-out questions paired with held-out distractors (:func:`calibrate_saved`, which chooses a saved
reader's temperature and threshold).
Distractors are BM25's best (bm25s, Lucene's formula, the retrieval tokenizer's terms) among the
candidates whose text holds none of the question's gold answers (a lower-cased token match).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from wenda.read.base import TOKENIZER
from wenda.read.calibrate import Calibration
from wenda.text import Tokenizer, TokenizerConfig


def windows_of(tokens: list[str], length: int) -> list[list[str]]:
    """``tokens`` cut into consecutive windows of ``length`` (one empty window for no tokens)."""
    return [tokens[i : i + length] for i in range(0, len(tokens), length)] or [[]]


def distractors(
    questions: Sequence[list[str]], windows: Sequence[list[str]], golds, k: int, depth: int = 20
) -> list[list[int]]:
    """For each question (tokens), up to ``k`` indices of ``windows`` (token lists): the BM25 best
    whose text holds none of the question's ``golds`` answers (texts, tokens joined by spaces)."""
    if k <= 0:  # groups of the gold passage alone (R^3's reader pre-training, ``negatives=0``)
        return [[] for _ in questions]
    import bm25s

    retrieval = Tokenizer()
    engine = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
    engine.index([retrieval.tokens(" ".join(w)) or ["<empty>"] for w in windows], show_progress=False)
    texts = [" " + " ".join(w).lower() + " " for w in windows]
    out = []
    for question, answers in zip(questions, golds, strict=True):
        scores = engine.get_scores(retrieval.tokens(" ".join(question)))
        ranked = np.argsort(-scores, kind="stable")[:depth]
        needles = [" " + a.lower() + " " for a in answers]
        out.append([int(i) for i in ranked if not any(n in texts[i] for n in needles)][:k])
    return out


def every(share: float, n: int) -> list[int]:
    """Indices ``i < n`` spread evenly so that about ``share * n`` are picked (``share`` <= 1)."""
    return [i for i in range(n) if int((i + 1) * share) > int(i * share)]


def held_out_distractors(held_out, share: float, tokenizer: TokenizerConfig = TOKENIZER) -> list:
    """Unanswerable held-out examples: a ``share`` of the answerable ones, each with the best BM25
    held-out context that holds none of its answers (``wenda.train.distractors``)."""
    tok = Tokenizer(tokenizer)
    answerable = [ex for ex in held_out if not ex.is_impossible]
    chosen = [answerable[i] for i in every(min(1.0, share), len(answerable))]
    contexts = list(dict.fromkeys(ex.context for ex in answerable))
    golds = [tuple(" ".join(tok.tokens(t)) for t, _ in ex.answers) for ex in chosen]
    picks = distractors(
        [tok.tokens(ex.question) for ex in chosen], [tok.tokens(c) for c in contexts], golds, 1
    )
    return [replace(ex, context=contexts[p[0]], answers=()) for ex, p in zip(chosen, picks, strict=True) if p]


def calibrate_saved(directory: Path, held_out, distractor_share: float = 0.0) -> Calibration:
    """Choose the saved reader's temperature and no-answer threshold on ``held_out`` (answerable
    and unanswerable training-side examples, plus for a reader with a no-answer logit a
    ``distractor_share`` of :func:`held_out_distractors`; ``wenda.read.calibrate``) and store them
    beside it."""
    from wenda.read.answer import load_reader
    from wenda.read.calibrate import calibrate, score_examples

    service = load_reader(directory)
    if service.model.config.no_answer and distractor_share > 0:
        held_out = [*held_out, *held_out_distractors(held_out, distractor_share)]
    scored = score_examples(service, held_out)
    unanswerable = sum(not s.golds for s in scored)
    calibration = calibrate(
        scored, f"{len(scored)} held-out training questions ({unanswerable} unanswerable)"
    )
    calibration.save(directory)
    return calibration
