"""The ask pipeline: evidence aggregation, abstention, provenance (a stand-in reader, no torch)."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from wenda import pipeline
from wenda.collection import Collection
from wenda.types import Hit


@dataclass(frozen=True)
class Span:  # the fields of wenda.read.answer.Answer that the pipeline reads
    text: str
    passage: int
    start: int
    end: int
    prob: float
    no_answer: float = 0.01


def _hit(pid: int, rank: int) -> Hit:
    return Hit(
        pid,
        1.0,
        rank,
        "The Seine flows through Paris, as the Seine always has.",
        1,
        "s",
        "t",
        100,
        155,
        "bm25",
    )


def test_aggregate_pools_one_answer_and_drops_overlapping_findings():
    hits = [_hit(7, 1), _hit(8, 2)]
    spans = [
        Span("Seine", 0, 4, 9, 0.30),
        Span("Seine flows", 0, 4, 15, 0.25),  # overlaps the better "Seine" in passage 0
        Span("the Seine", 1, 34, 43, 0.20),  # normalises to "seine": pooled
        Span("Paris", 0, 24, 29, 0.10),
        Span("Seine", 1, 38, 43, 0.05),
    ]
    answers = pipeline.aggregate(spans, hits)
    assert [(a.text, round(a.prob, 2), a.support) for a in answers] == [("Seine", 0.55, 2), ("Paris", 0.1, 1)]
    best = answers[0]
    assert best.hit.passage_id == 7 and best.hit.text[best.start : best.end] == "Seine"
    assert (best.doc_start, best.doc_end) == (104, 109)
    assert best.as_dict()["passage"]["passage_id"] == 7


def test_a_rank_prior_weighs_the_retriever_s_order_and_keeps_the_spans_total():
    hits = [_hit(7, 1), _hit(8, 2), _hit(9, 4)]
    spans = [Span("Loire", 1, 0, 5, 0.40), Span("Seine", 0, 4, 9, 0.30), Span("Rhone", 2, 0, 5, 0.10)]
    assert pipeline.with_rank_prior(spans, hits, 0.0) == spans
    weighted = pipeline.with_rank_prior(spans, hits, 1.0)  # weights 1/2, 1, 1/4 before scaling
    assert sum(s.prob for s in weighted) == pytest.approx(0.80)
    raw = [0.40 / 2, 0.30, 0.10 / 4]
    assert [s.prob for s in weighted] == pytest.approx([0.80 * r / sum(raw) for r in raw])
    assert [(s.text, s.passage, s.start) for s in weighted] == [(s.text, s.passage, s.start) for s in spans]
    assert [a.text for a in pipeline.aggregate(spans, hits)] == ["Loire", "Seine", "Rhone"]
    assert [a.text for a in pipeline.aggregate(spans, hits, 1.0)] == ["Seine", "Loire", "Rhone"]
    assert pipeline.with_rank_prior([], hits, 2.0) == []


class Reader:
    """Answers with the first occurrence of ``answer`` in the passages, at probability ``prob``."""

    def __init__(self, answer: str, prob: float, no_answer: float, threshold: float = 0.5) -> None:
        self.answer, self.prob, self.no_answer = answer, prob, no_answer
        self.calibration = SimpleNamespace(temperature=1.0, no_answer_threshold=threshold)
        self.calls: list[list[str]] = []

    def read_many(self, questions, passages, top_k=1):
        return [(self.read(q, p, top_k), None) for q, p in zip(questions, passages, strict=True)]

    def read(self, question, passages, top_k=1):
        self.calls.append(list(passages))
        for i, p in enumerate(passages):
            if (at := p.find(self.answer)) >= 0:
                return [Span(self.answer, i, at, at + len(self.answer), self.prob, self.no_answer)]
        return []


@pytest.fixture
def collection(tmp_path, docs_dir):
    with Collection.open_or_create(tmp_path / "idx", ["bm25"]) as col:
        col.add([docs_dir])
        yield col


def test_ask_answers_with_provenance_and_times_each_stage(collection):
    reader = Reader("Vienna", 0.8, 0.01)
    result = pipeline.ask(collection, "Which city does the Danube flow through?", reader, passages=2)
    assert not result.abstained and [a.text for a in result.answers] == ["Vienna"]
    a = result.answers[0]
    assert a.hit.source.endswith("rivers.txt") and a.hit.text[a.start : a.end] == "Vienna"
    assert len(reader.calls[0]) == len(result.passages) <= 2
    assert set(result.timings_ms) == {"retrieve", "read"} and all(t >= 0 for t in result.timings_ms.values())


@pytest.mark.parametrize(
    ("reader", "question", "min_confidence"),
    [
        (Reader("Vienna", 0.8, 0.9), "Which city does the Danube flow through?", 0.0),  # P(none) > threshold
        (Reader("Vienna", 0.2, 0.01), "Which city does the Danube flow through?", 0.5),  # not confident
        (Reader("Vienna", 0.8, 0.01), "zebra quantum", 0.0),  # nothing retrieved
        (Reader("Lisbon", 0.8, 0.01), "Which city does the Danube flow through?", 0.0),  # nothing read
    ],
)
def test_ask_abstains(collection, reader, question, min_confidence):
    result = pipeline.ask(collection, question, reader, min_confidence=min_confidence)
    assert result.abstained
    assert result.as_dict()["abstained"] is True


def test_hybrid_is_the_default_only_with_a_learned_retriever(collection):
    assert pipeline.default_retriever(collection) is None
    collection.meta["retrievers"].append("dense")
    assert pipeline.default_retriever(collection) == "hybrid"


def test_questions_asked_together_get_what_each_gets_alone(collection):
    reader = Reader("Vienna", 0.8, 0.01)
    questions = ["Which city does the Danube flow through?", "zebra quantum", "What is green tea?"]
    together = pipeline.ask_many(collection, questions, reader, passages=3)
    alone = [pipeline.ask(collection, q, reader, passages=3) for q in questions]
    assert [(r.answers, r.passages, r.abstained) for r in together] == [
        (r.answers, r.passages, r.abstained) for r in alone
    ]


@pytest.fixture
def long_doc(tmp_path):
    """One document of 400 numbered words: passages of 100 words, 20 shared (starts 0, 80, 160 ...)."""
    folder = tmp_path / "long"
    folder.mkdir()
    words = [f"w{i}" for i in range(400)]
    words[250] = "Zanzibar"
    (folder / "long.txt").write_text(" ".join(words))
    with Collection.open_or_create(tmp_path / "long-idx", ["bm25"]) as col:
        col.add([folder])
        yield col


def test_widen_reads_each_passage_with_its_neighbours_and_merges_overlaps(long_doc):
    doc = long_doc.store.document(1)["text"]
    hits = long_doc.search("w130", k=1)  # the passage of words 80-179
    assert pipeline.widen(long_doc, hits, 0) == hits
    (hit,) = hits
    (wide,) = pipeline.widen(long_doc, [hit], 1)
    assert wide.passage_id == hit.passage_id and wide.rank == hit.rank
    assert wide.start < hit.start and wide.end > hit.end and wide.text == doc[wide.start : wide.end]
    assert hit.text in wide.text
    ranked = long_doc.search("w5 w85 w170 w250 w330", k=5)  # all five passages, best first
    merged = pipeline.widen(long_doc, ranked, 1)  # every passage's neighbourhood overlaps another's
    assert len(merged) == 1 and merged[0].text == doc and merged[0].rank == ranked[0].rank == 1
    first, last = min(ranked, key=lambda h: h.start), max(ranked, key=lambda h: h.start)
    apart = pipeline.widen(long_doc, [first, last], 1)  # words 0-179 and 240-399: apart, kept two
    assert [(h.passage_id, h.text) for h in apart] == [
        (first.passage_id, doc[first.start : apart[0].end]),
        (last.passage_id, doc[apart[1].start : last.end]),
    ]


def test_ask_with_context_finds_the_answer_beside_the_retrieved_passage(long_doc):
    reader = Reader("Zanzibar", 0.9, 0.01)
    question = "w10 w12 w14"  # retrieves the first passage (words 0-99); the answer is word 250
    assert pipeline.ask(long_doc, question, reader, passages=1).abstained
    (answer,) = pipeline.ask(long_doc, question, reader, passages=1, context=2).answers
    doc = long_doc.store.document(answer.hit.doc_id)["text"]
    assert doc[answer.doc_start : answer.doc_end] == "Zanzibar"
