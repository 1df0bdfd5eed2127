"""Request and response models of the HTTP API (pydantic v2); the OpenAPI document is built from
them. Field limits here are the API's input validation: a request outside them gets 422."""

from __future__ import annotations

from pydantic import BaseModel, Field

from wenda.types import AnswerHit, AskResult, Hit


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, max_length=2000, description="what to look for")
    k: int = Field(10, ge=1, le=100, description="passages returned")
    retriever: str | None = Field(
        None, description="bm25, tfidf, dense, binary or hybrid (default: the index's first)"
    )


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    passages: int | None = Field(
        None, ge=1, le=100, description="passages read (default: setting ask_passages)"
    )
    retriever: str | None = Field(None, description="default: hybrid when the index has a learned retriever")
    top: int = Field(3, ge=1, le=20, description="answers returned")
    audio: bool = Field(False, description="reply with the best answer spoken, as audio/wav")


class AnswerOut(BaseModel):
    """An answer: ``passage.text[start:end] == text``; in the document, ``doc_start..doc_end``."""

    text: str
    prob: float
    support: int
    start: int
    end: int
    doc_start: int
    doc_end: int
    passage: Hit = Field(description="the passage with its provenance: text is document[start:end]")

    @classmethod
    def of(cls, a: AnswerHit) -> AnswerOut:
        return cls(**{**a.as_dict(), "passage": a.hit})


class SearchResponse(BaseModel):
    query: str
    hits: list[Hit]


class AskResponse(BaseModel):
    question: str
    abstained: bool = Field(description="the documents do not seem to hold an answer; answers are tentative")
    no_answer: float
    answers: list[AnswerOut]
    passages: list[Hit]
    timings_ms: dict[str, float]

    @classmethod
    def of(cls, r: AskResult) -> AskResponse:
        return cls(
            question=r.question, abstained=r.abstained, no_answer=r.no_answer,
            answers=[AnswerOut.of(a) for a in r.answers], passages=list(r.passages),
            timings_ms=dict(r.timings_ms),
        )  # fmt: skip


class DocumentIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="file name with its type, e.g. notes.md")
    text: str = Field(min_length=1, description="the document's content (UTF-8)")


class DocumentsIn(BaseModel):
    documents: list[DocumentIn] = Field(min_length=1, max_length=1000)


class DocumentOut(BaseModel):
    id: int
    file: str
    source: str
    title: str
    chars: int
    passages: int


class DocumentsOut(BaseModel):
    documents: list[DocumentOut]
    total: int


class IngestOut(BaseModel):
    updated: int
    unchanged: int
    failed: list[str]
    documents_added: int
    documents_removed: int


class Health(BaseModel):
    status: str
    documents: int
    passages: int
    retrievers: list[str]
    version: str
    server: str = Field(description="host:pid of the process that answered (one of several replicas)")
