"""The squad-open benchmark: SQuAD v1.1 dev questions asked of an open passage collection.

As in DrQA's SQuAD-open setting (Chen et al. 2017), a question comes without its paragraph and the
system must retrieve it. Our collection is small: the 2,067 SQuAD v1.1 dev paragraphs plus 10,033
Wikipedia lead summaries as distractors (DrQA searched all of Wikipedia, so absolute numbers are not
comparable to theirs). Retrieval is judged by whether a passage contains an answer
(:func:`wenda.eval.squad.has_answer`), reading by the official EM/F1. Article indices in the
sources follow the file's article order (the rebuilt file in ``../shared/data`` sorts articles by
title, unlike the official ``dev-v1.1.json``), so sources are stable for a given file only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from wenda.data.paths import require
from wenda.data.squad import SQUAD_V11_DEV, Question, load_squad, squad_questions
from wenda.data.wiki import WIKI_SUMMARIES, load_wiki_summaries
from wenda.types import Document


def squad_documents(articles: Sequence[Mapping]) -> list[Document]:
    """One document per paragraph, source ``squad-dev/<article index>-<paragraph index>``."""
    return [
        Document(
            source=f"squad-dev/{a}-{p}",
            title=article.get("title", ""),
            text=paragraph["context"],
            meta={"dataset": "squad-v1.1-dev", "article": a, "paragraph": p},
        )
        for a, article in enumerate(articles)
        for p, paragraph in enumerate(article["paragraphs"])
    ]


def wiki_documents(summaries: Sequence[tuple[str, str]]) -> list[Document]:
    """One document per summary, source ``wiki/<title>``."""
    return [
        Document(source=f"wiki/{title}", title=title, text=text, meta={"dataset": "wiki-vital-summaries"})
        for title, text in summaries
    ]


def build_squad_open(data_dir: Path | str | None = None) -> tuple[list[Document], list[Question]]:
    """The squad-open documents (SQuAD paragraphs first, then summaries) and questions.

    Args:
        data_dir: the data directory; default :func:`wenda.data.data_dir` (``WENDA_DATA``).

    Returns:
        ``(documents, questions)``: 2,067 + 10,033 documents and 10,570 questions on the full data.

    Raises:
        DatasetMissing: a source file is absent (the message says how to get it).
    """
    articles = load_squad(require(SQUAD_V11_DEV, root=data_dir))
    summaries = load_wiki_summaries(require(WIKI_SUMMARIES, root=data_dir))
    return squad_documents(articles) + wiki_documents(summaries), squad_questions(articles)
