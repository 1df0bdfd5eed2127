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
