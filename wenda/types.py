"""Small frozen records that flow between the pipeline's stages (Haystack's dataclasses/)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """A document as read from a source, before it is stored.

    Attributes:
        source: a stable key for the document: the file path, or ``path#id`` for one record of a
            multi-document file (JSONL line, SQuAD paragraph).
        title: a human-readable title (file name when the format has none).
        text: the document's text; passages keep character offsets into it.
        meta: small format-specific extras (e.g. ``{"format": "pdf", "pages": 3}``).
    """

    source: str
    title: str
    text: str
    meta: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Passage:
    """A window of a stored document: ``document.text[start:end] == text``."""

    id: int
    doc_id: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Hit:
    """One ranked search result with its provenance."""

    passage_id: int
    score: float
    rank: int
    text: str
    doc_id: int
    source: str
    title: str
    start: int
    end: int
    retriever: str

    def as_dict(self) -> dict:
        """A JSON-ready dict of this hit."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Candidate:
    """One text to be ranked for a query, with its relevance label (0 = not relevant)."""

    id: str
    text: str
    label: int = 0


@dataclass(frozen=True)
class RankQuery:
    """A query and its candidate texts: one answer-selection question (WikiQA, TrecQA) or one
    query's retrieved passages."""

    id: str
    text: str
    candidates: tuple[Candidate, ...]

    @property
    def has_positive(self) -> bool:
        """Whether some candidate is relevant."""
        return any(c.label > 0 for c in self.candidates)


@dataclass(frozen=True)
class AnswerHit:
    """An extracted answer with its evidence: ``hit.text[start:end] == text``, and in the document
    the answer spans ``hit.start + start .. hit.start + end``.

    Attributes:
        prob: the reader's probability of this answer string, summed over every passage where it
            was found (one softmax covers all the passages read, so the sum is at most 1).
        support: how many of the passages read gave this answer string.
    """

    text: str
    prob: float
    hit: Hit
    start: int
    end: int
    support: int = 1

    @property
    def doc_start(self) -> int:
        return self.hit.start + self.start

    @property
    def doc_end(self) -> int:
        return self.hit.start + self.end

    def as_dict(self) -> dict:
        """A JSON-ready dict, offsets in the passage and in the document."""
        fields = {k: v for k, v in self.__dict__.items() if k != "hit"}
        return {**fields, "doc_start": self.doc_start, "doc_end": self.doc_end, "passage": self.hit.as_dict()}


@dataclass(frozen=True)
class AskResult:
    """What ``ask`` returns: the best answers (best first; empty when the reader abstains), the
    passages that were read, P(no answer), and each stage's time in milliseconds."""

    question: str
    answers: tuple[AnswerHit, ...]
    passages: tuple[Hit, ...]
    no_answer: float
    abstained: bool
    timings_ms: dict = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict:
        """A JSON-ready dict of the result."""
        return {
            "question": self.question,
            "abstained": self.abstained,
            "no_answer": self.no_answer,
            "answers": [a.as_dict() for a in self.answers],
            "passages": [h.as_dict() for h in self.passages],
            "timings_ms": dict(self.timings_ms),
        }
