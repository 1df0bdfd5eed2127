"""Distractor passages: what a retriever returns for a question that does not hold its answer.

Readers that rank passages train on groups of a gold passage and distractors
(:mod:`wenda.train.grouped`); readers with a no-answer logit learn to abstain on them (as Clark &
Gardner 2018 train on paragraphs without the answer), and their no-answer threshold is chosen on
held-out questions paired with held-out distractors (:func:`wenda.train.reading.calibrate_saved`).
Distractors are BM25's best (bm25s, Lucene's formula, the retrieval tokenizer's terms) among the
candidates whose text holds none of the question's gold answers (a lower-cased token match).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from wenda.text import Tokenizer


def windows_of(tokens: list[str], length: int) -> list[list[str]]:
    """``tokens`` cut into consecutive windows of ``length`` (one empty window for no tokens)."""
    return [tokens[i : i + length] for i in range(0, len(tokens), length)] or [[]]


def distractors(
    questions: Sequence[list[str]], windows: Sequence[list[str]], golds, k: int, depth: int = 20
) -> list[list[int]]:
    """For each question (tokens), up to ``k`` indices of ``windows`` (token lists): the BM25 best
    whose text holds none of the question's ``golds`` answers (texts, tokens joined by spaces)."""
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
