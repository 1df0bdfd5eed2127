"""The pipeline that wires the stages together: retrieve -> re-rank -> read -> aggregate.

Only this module, ``api``, ``serve/`` and ``cli/`` combine stages (STYLE §1).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from wenda.collection import HYBRID, LEARNED, Collection
from wenda.eval.squad import normalize_answer
from wenda.types import AnswerHit, AskResult, Hit

SPANS = 20  # candidate spans taken from the reader before aggregation


def search(collection: Collection, query: str, k: int = 10, **options) -> list[Hit]:
    """The ``k`` best passages for ``query``: retrieved, then, with a ``reranker`` (a
    :class:`wenda.rank.reranker.Reranker`), the top ``max(depth, k)`` re-scored and re-ordered by it.
    ``options``: ``retriever``, ``reranker``, ``depth``, as for :func:`search_timed`."""
    return search_timed(collection, query, k, **options)[0]


def search_timed(
    collection: Collection,
    query: str,
    k: int = 10,
    retriever: str | None = None,
    reranker=None,
    depth: int = 50,
) -> tuple[list[Hit], dict[str, float]]:
    """:func:`search`, with the milliseconds each stage took (``retrieve`` and, when re-ranked,
    ``rerank``)."""
    clock = time.perf_counter()
    hits = collection.search(query, k=max(depth, k) if reranker else k, retriever=retriever)
    times = {"retrieve": _lap(clock)}
    if reranker is not None:
        clock = time.perf_counter()
        hits = reranker.rerank(query, hits)[:k]
        times["rerank"] = _lap(clock)
    return hits, times


def default_retriever(collection: Collection) -> str | None:
    """``hybrid`` when the index has a learned retriever (dense or binary), else the index's first."""
    return HYBRID if any(name in LEARNED for name in collection.meta["retrievers"]) else None


def widen(collection: Collection, hits: Sequence[Hit], neighbours: int) -> list[Hit]:
    """``hits`` with each passage read together with its ``neighbours`` passages of the same
    document on each side, so the reader sees the context around a retrieved passage (as DrQA reads
    whole paragraphs and the reader trained on whole contexts). A hit whose widened span overlaps a
    better-ranked one's of the same document is merged into it (the union is read once, at the
    better rank), so no text is read, and no answer counted, twice. ``neighbours`` = 0: ``hits``."""
    if neighbours <= 0 or not hits:
        return list(hits)
    spans = collection.store.neighbourhoods([h.passage_id for h in hits], neighbours)
    kept: list[Hit] = []
    for hit in hits:
        start, end = spans.get(hit.passage_id, (hit.start, hit.end))
        same = [k for k in kept if k.doc_id == hit.doc_id and k.start < end and start < k.end]
        if same:  # joins every overlapping one into the best-ranked of them
            start, end = min(start, *(k.start for k in same)), max(end, *(k.end for k in same))
            at = kept.index(same[0])
            kept = [k for k in kept if k not in same[1:]]
            kept[at] = replace(same[0], start=start, end=end)
        else:
            kept.append(replace(hit, start=start, end=end))
    return [replace(h, text=collection.store.text_span(h.doc_id, h.start, h.end) or h.text) for h in kept]


def aggregate(spans: Sequence, hits: Sequence[Hit], rank_prior: float = 0.0) -> list[AnswerHit]:
    """Evidence aggregation (R^3, Wang et al. 2018, "strength"): reader spans (``wenda.read.answer.
    Answer``, indexing ``hits``) that normalise to the same answer (SQuAD's rules: "the Seine" is
    "Seine") pool their probabilities, each answer keeping its most probable occurrence as evidence;
    then an answer whose evidence overlaps a more probable answer's is left out ("Seine flows" is
    the same finding as "Seine", not another answer). Best first (ties: the better-ranked passage).
    With ``rank_prior`` > 0 the retriever's order counts too (:func:`with_rank_prior`)."""
    groups: dict[str, list] = {}
    for span in with_rank_prior(spans, hits, rank_prior):
        groups.setdefault(normalize_answer(span.text) or span.text, []).append(span)
    answers = []
    for group in groups.values():
        best = max(group, key=lambda s: s.prob)
        support = len({s.passage for s in group})
        hit = hits[best.passage]
        answers.append(AnswerHit(best.text, sum(s.prob for s in group), hit, best.start, best.end, support))
    return _distinct(sorted(answers, key=lambda a: (-a.prob, a.hit.rank)))


def with_rank_prior(spans: Sequence, hits: Sequence[Hit], beta: float) -> list:
    """The reader's spans with the retriever's opinion mixed in: each span's probability weighted
    by ``rank ** -beta``, its passage's rank in ``hits`` (1 = best), then scaled so that the spans
    keep their total (P(no answer), and the mass of spans not listed, are unchanged).

    BERTserini (Yang et al. 2019, "End-to-End Open-Domain Question Answering with BERTserini")
    interpolates the retriever's score with the reader's; ranks stand in for scores here because
    wenda's retrievers score on unrelated scales (BM25, cosines, RRF), so one ``beta`` serves them
    all, re-ranked hits included. ``beta`` = 0 leaves the spans as they are."""
    if beta <= 0 or not spans:
        return list(spans)
    weighted = [s.prob * float(hits[s.passage].rank) ** -beta for s in spans]
    total, new_total = sum(s.prob for s in spans), sum(weighted)
    scale = total / new_total if new_total > 0 else 0.0
    return [replace(s, prob=w * scale) for s, w in zip(spans, weighted, strict=True)]


def _distinct(answers: list[AnswerHit]) -> list[AnswerHit]:
    """``answers`` (best first) without those whose evidence overlaps a better one's."""
    kept: list[AnswerHit] = []
    for a in answers:
        if not any(
            k.hit.passage_id == a.hit.passage_id and k.start < a.end and a.start < k.end for k in kept
        ):
            kept.append(a)
    return kept


def ask(collection: Collection, question: str, reader, **options) -> AskResult:
    """Answer ``question`` from the index: retrieve (``retriever``, default
    :func:`default_retriever`), optionally re-rank (``reranker``, the top ``depth``), read the best
    ``passages`` with ``reader`` (a :class:`~wenda.read.answer.ReaderService`), aggregate
    (:func:`aggregate`) and keep the ``top`` answers; ``options`` are :func:`ask_many`'s. The result
    is ``abstained`` when nothing was found, when P(no answer) is above the reader's calibrated
    threshold, or when the best answer's probability is below ``min_confidence``; its answers are
    then the tentative ones."""
    return ask_many(collection, [question], reader, **options)[0]


def ask_many(
    collection: Collection,
    questions: Sequence[str],
    reader,
    passages: int = 10,
    retriever: str | None = None,
    reranker=None,
    depth: int = 50,
    top: int = 3,
    min_confidence: float = 0.0,
    rank_prior: float = 0.0,
    context: int = 0,
) -> list[AskResult]:
    """:func:`ask` for several questions, their passages read together
    (:meth:`~wenda.read.answer.ReaderService.read_many`: fewer, fuller forward passes, which is how
    the HTTP API serves concurrent requests); with ``context`` > 0 each passage is read with that
    many neighbours on each side (:func:`widen`). Each result equals :func:`ask`'s for its question;
    its ``read`` time is the shared reading's."""
    name = retriever or default_retriever(collection)
    searched = [search_timed(collection, q, passages, name, reranker, depth) for q in questions]
    found, timings = [widen(collection, h, context) for h, _ in searched], [t for _, t in searched]
    clock = time.perf_counter()
    read = reader.read_many(list(questions), [[h.text for h in hits] for hits in found], top_k=SPANS)
    read_ms = _lap(clock)
    results = []
    for question, hits, times, (spans, _) in zip(questions, found, timings, read, strict=True):
        answers = aggregate(spans, hits, rank_prior)[:top]
        no_answer = spans[0].no_answer if spans else 1.0
        abstained = (
            not answers
            or no_answer > reader.calibration.no_answer_threshold
            or answers[0].prob < min_confidence
        )
        results.append(
            AskResult(question, tuple(answers), tuple(hits), no_answer, abstained, {**times, "read": read_ms})
        )
    return results


def _lap(start: float) -> float:
    return round(1000 * (time.perf_counter() - start), 3)
