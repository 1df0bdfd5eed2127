"""The held-out-open dev set: squad-open's shape on training-side data, for choosing settings (the
hybrid fusion weight) without looking at any test questions.

The questions are the answerable ones among the reading training sets' held-out contexts (the
:data:`~wenda.data.reading_train.HELD_OUT_FRACTION` split that every reader and retriever trained
here holds out, so no packaged model has seen them); the documents are those contexts among the
10,033 Wikipedia summaries, as squad-open puts SQuAD dev's paragraphs among them. On the full data:
1,902 questions, 901 contexts (2,441 passages) beside the summaries.

A context keeps its title where its set's titles name what it is about (a Wikipedia article's, as
squad-open's SQuAD paragraphs keep theirs; :attr:`~wenda.data.reading_train.ReadingSet.titled`),
so indexing with titles (``index_titles``) can be judged here; elsewhere its title is empty.
"""

from __future__ import annotations

from pathlib import Path

from wenda.data.paths import require
from wenda.data.reading_train import DEFAULT_NAMES, READING_SETS, held_out_examples
from wenda.data.squad import Question
from wenda.data.squad_open import wiki_documents
from wenda.data.wiki import WIKI_SUMMARIES, load_wiki_summaries
from wenda.types import Document


def build_held_out_open(data_dir: Path | str | None = None) -> tuple[list[Document], list[Question]]:
    """The held-out contexts (source ``held-out/<i>``, first) and the summaries; the answerable
    held-out questions (id ``<training set>/<its id>``).

    Raises:
        DatasetMissing: a source file is absent (the message says how to get it).
    """
    held = held_out_examples(DEFAULT_NAMES, data_dir)
    titles: dict[str, str] = {}  # context -> title, in first-seen order
    for ex in held:
        titled = ex.source in READING_SETS and READING_SETS[ex.source].titled
        titles.setdefault(ex.context, ex.title if titled else "")
    docs = [
        Document(
            source=f"held-out/{i}", title=title, text=text, meta={"dataset": "reading-training-held-out"}
        )
        for i, (text, title) in enumerate(titles.items())
    ]
    questions = [
        Question(f"{ex.source}/{ex.id}", ex.question, tuple(t for t, _ in ex.answers), ex.context, ex.title)
        for ex in held
        if ex.answers
    ]
    summaries = load_wiki_summaries(require(WIKI_SUMMARIES, root=data_dir))
    return docs + wiki_documents(summaries), questions
