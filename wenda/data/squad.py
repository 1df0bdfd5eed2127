"""SQuAD-format datasets (Rajpurkar et al. 2016): the article list and its questions.

The format: ``{"version", "data": [{"title", "paragraphs": [{"context", "qas": [{"id", "question",
"answers": [{"text", "answer_start"}], "is_impossible"?}]}]}]}``. SQuAD-derived sets (SQuAD-Shifts,
MLQA, TyDi GoldP, CMRC, DRCD) share it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from wenda.errors import WendaError

SQUAD_V11_DEV = "squad-dev/squad-v1.1-dev.json"
"""Path of SQuAD v1.1 dev under the data directory."""


class DatasetFormatError(WendaError, ValueError):
    """A dataset file whose content is not in the expected format."""


def read_json_file(path: Path | str) -> object:
    """Parse a JSON dataset file, turning a syntax error into :class:`DatasetFormatError`."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        raise DatasetFormatError(f"{path} is not valid JSON: {exc}") from exc


@dataclass(frozen=True)
class Question:
    """One SQuAD question with its gold answers and the paragraph it was asked about.

    Attributes:
        id: the dataset's question id.
        question: the question text.
        answers: gold answer texts in file order (duplicates kept, as the official scorer sees
            them); empty for SQuAD v2.0's unanswerable questions.
        context: the paragraph.
        title: the article's title.
    """

    id: str
    question: str
    answers: tuple[str, ...]
    context: str
    title: str


def load_squad(path: Path | str) -> list[dict]:
    """The ``"data"`` list (articles) of a SQuAD-format JSON file.

    Raises:
        DatasetFormatError: the file is not JSON or has no ``"data"`` list.
    """
    data = read_json_file(path)
    articles = data.get("data") if isinstance(data, dict) else None
    if not isinstance(articles, list):
        raise DatasetFormatError(f"{path} is not a SQuAD file: no top-level 'data' list")
    return articles


def squad_questions(articles: Iterable[Mapping]) -> list[Question]:
    """Every question of the articles, in file order."""
    return [
        _question(qa, paragraph["context"], article.get("title", ""))
        for article in articles
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]


def _question(qa: Mapping, context: str, title: str) -> Question:
    answers = tuple(answer["text"] for answer in qa.get("answers", ()))
    return Question(id=str(qa["id"]), question=qa["question"], answers=answers, context=context, title=title)
