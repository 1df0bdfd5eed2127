"""Span decoding for extractive readers: from start/end logits to the best answer spans, with
probabilities that are comparable across passages.

A reader scores every token of a passage as an answer start (``s_i``) and end (``e_j``); a span
``(i, j)`` with ``i <= j < i + max_len`` scores ``s_i + e_j``. DrQA normalizes start and end per
passage and compares ``exp`` products across passages, which are not probabilities of anything (its
issue #96). Here the span scores of all the passages read for one question, plus an optional
no-answer score, share one softmax (the "shared normalization" of Clark & Gardner 2018): each
span's probability is its share of all valid spans of all passages, so a 0.9 in one passage and a 0.1
in another mean the same thing, and the no-answer option competes on the same scale.

Ties are broken towards the earlier passage, then the earlier start, then the shorter span, so
decoding is deterministic. Nothing here depends on which reader produced the logits.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class Span:
    """One decoded answer: passage index, token start/end (inclusive), score and probability."""

    passage: int
    start: int
    end: int
    score: float
    prob: float


def span_scores(start: Tensor, end: Tensor, mask: Tensor, max_len: int) -> Tensor:
    """``[P, L, L]`` scores ``start[p, i] + end[p, j]`` for valid spans, ``-inf`` elsewhere.

    Args:
        start, end: ``[P, L]`` logits. mask: ``[P, L]`` True at real tokens (answers may not touch
            padding or question tokens). max_len: longest span in tokens (>= 1).
    """
    if max_len < 1:
        raise ValueError("max_len must be at least 1")
    length = start.shape[1]
    i = torch.arange(length, device=start.device)
    band = (i[None, :] >= i[:, None]) & (i[None, :] < i[:, None] + max_len)  # [L, L]: j in [i, i + max_len)
    valid = band[None] & mask[:, :, None] & mask[:, None, :]  # [P, L, L]
    scores = start[:, :, None] + end[:, None, :]  # [P, L, L]
    return scores.masked_fill(~valid, float("-inf"))


def _log_normalizer(scores: Tensor, no_answer: Tensor | None) -> Tensor:
    flat = scores.reshape(-1)
    if no_answer is not None:
        flat = torch.cat([flat, no_answer.float().reshape(1)])
    return torch.logsumexp(flat, 0)


def span_log_probs(
    start: Tensor, end: Tensor, mask: Tensor, max_len: int, no_answer: Tensor | None = None
) -> tuple[Tensor, Tensor | None]:
    """The shared normalization: ``[P, L, L]`` log-probabilities of every span of every passage
    (``-inf`` where invalid) and the log-probability of "no answer" (None without its logit), all
    under one softmax. Arguments as for :func:`span_scores` and :func:`decode`."""
    scores = span_scores(start.float(), end.float(), mask, max_len)  # [P, L, L]
    log_z = _log_normalizer(scores, no_answer)
    return scores - log_z, None if no_answer is None else no_answer.float() - log_z


def _top_indices(flat: Tensor, k: int) -> Tensor:
    """The indices of the ``k`` largest values, ties in flat order (earlier passage, start, end).

    Everything at least the ``k``-th largest value is kept in index order, then stably sorted: the
    same result as a stable sort of the whole ``[P * L * L]`` table, without sorting it."""
    kth = torch.topk(flat, k).values[-1]
    candidates = torch.nonzero(flat >= kth).squeeze(1)  # ascending flat order
    return candidates[torch.sort(-flat[candidates], stable=True).indices[:k]]


def decode(
    start: Tensor,
    end: Tensor,
    mask: Tensor,
    max_len: int = 15,
    top_k: int = 1,
    no_answer: Tensor | None = None,
) -> tuple[list[Span], float]:
    """The ``top_k`` best spans over all ``P`` passages read for one question, and the probability
    that the answer is in none of them (0 without a ``no_answer`` logit).

    Args:
        start, end, mask: ``[P, L]`` as in :func:`span_scores`.
        max_len: longest span in tokens. top_k: spans to return (fewer if fewer are valid).
        no_answer: a scalar logit for "no answer here" (SQuAD v2.0 readers), or None.
    """
    scores = span_scores(start.float(), end.float(), mask, max_len)  # [P, L, L]
    log_z = _log_normalizer(scores, no_answer)
    p_none = 0.0 if no_answer is None else float(torch.exp(no_answer.float() - log_z))
    flat = scores.reshape(-1)
    valid = int(torch.isfinite(flat).sum())
    if valid == 0:
        return [], p_none
    length = scores.shape[1]
    order = _top_indices(flat, min(top_k, valid))
    spans = []
    for index in order.tolist():
        p, rest = divmod(index, length * length)
        i, j = divmod(rest, length)
        spans.append(Span(p, i, j, float(flat[index]), float(torch.exp(flat[index] - log_z))))
    return spans, p_none


def char_span(offsets: list[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
    """Character offsets ``(begin, stop)`` in the original text of tokens ``start..end`` (inclusive),
    given each token's ``(begin, stop)``; ``text[begin:stop]`` is the answer exactly as written."""
    return offsets[start][0], offsets[end][1]
