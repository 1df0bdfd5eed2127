"""Two more open-domain question sets of DrQA's evaluation (Chen et al. 2017, Table 4), asked here
of the Wikipedia summaries like NQ-open (:mod:`wenda.data.nq_open`):

- **CuratedTREC** (Baudiš & Šedivý 2015, brmson/dataset-factoid-curated): TREC QA questions whose
  answers are *regular expressions* (``Sept?(ember)?|Feb(ruary)?``); a prediction is right when a
  pattern matches it from its start, case-insensitively, as DrQA's ``regex_match_score`` judges.
  Only the train splits are available here (``curated-train.tsv``: 430 questions); DrQA reports
  the 694-question test split, so our figures are not comparable to its.
- **WebQuestions** (Berant et al. 2013, brmson's organised splits): Google Suggest questions
  answered from Freebase; ``val.json`` (755 questions, part of the original train split) is what is
  available here; DrQA reports the 2,032-question test split.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from wenda.data.paths import require
from wenda.data.squad import DatasetFormatError, Question
from wenda.data.squad_open import wiki_documents
from wenda.data.wiki import WIKI_SUMMARIES, load_wiki_summaries
from wenda.types import Document

CURATED_TREC = "curated-trec/curated-train.tsv"
WEBQUESTIONS = "webquestions/val.json"


def load_curated_trec(path: Path | str) -> list[Question]:
    """Questions of a CuratedTREC TSV (``id  type  question  answer-regex``); each question's
    ``answers`` holds its one pattern.

    Raises:
        DatasetFormatError: a line lacks a field, or its pattern does not compile.
    """
    questions = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 4 or not fields[2].strip():
            raise DatasetFormatError(f"{path}:{n}: not a CuratedTREC row (id, type, question, pattern)")
        try:
            re.compile(fields[3])
        except re.error as exc:
            raise DatasetFormatError(f"{path}:{n}: answer pattern does not compile ({exc})") from None
        questions.append(Question(f"curated-trec/{fields[0]}", fields[2].strip(), (fields[3],), "", ""))
    return questions


def load_webquestions(path: Path | str) -> list[Question]:
    """Questions of a brmson WebQuestions JSON file (``[{"qId", "qText", "answers"}]``).

    Raises:
        DatasetFormatError: not a list of such records.
    """
    try:
        rows = json.loads(Path(path).read_text(encoding="utf-8"))
        return [Question(r["qId"], r["qText"], tuple(r["answers"]), "", "") for r in rows]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DatasetFormatError(f"{path}: not a WebQuestions file ({exc})") from None


def _compiled(pattern: str) -> re.Pattern | None:
    """An answer pattern as DrQA compiles it (ignoring case), or None when it does not compile."""
    try:
        return re.compile(pattern, flags=re.IGNORECASE | re.UNICODE | re.MULTILINE)
    except re.error:
        return None


def regex_match(prediction: str, pattern: str) -> bool:
    """DrQA's ``regex_match_score``: the pattern matches the prediction from its start, ignoring
    case (a pattern that does not compile matches nothing)."""
    compiled = _compiled(pattern)
    return compiled is not None and compiled.match(prediction) is not None


def regex_search(text: str, pattern: str) -> bool:
    """DrQA's check that a passage holds a pattern answer: found anywhere in ``text``, ignoring case
    (a pattern that does not compile is found nowhere)."""
    compiled = _compiled(pattern)
    return compiled is not None and compiled.search(text) is not None


def build_curated_trec(data_dir: Path | str | None = None) -> tuple[list[Document], list[Question]]:
    """The Wikipedia summaries and CuratedTREC's train questions."""
    summaries = load_wiki_summaries(require(WIKI_SUMMARIES, root=data_dir))
    return wiki_documents(summaries), load_curated_trec(require(CURATED_TREC, root=data_dir))


def build_webquestions(data_dir: Path | str | None = None) -> tuple[list[Document], list[Question]]:
    """The Wikipedia summaries and WebQuestions' val questions."""
    summaries = load_wiki_summaries(require(WIKI_SUMMARIES, root=data_dir))
    return wiki_documents(summaries), load_webquestions(require(WEBQUESTIONS, root=data_dir))
