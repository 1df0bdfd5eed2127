"""NQ-open (Lee, Chang & Toutanova 2019; Kwiatkowski et al. 2019): Natural Questions' real Google
queries with short answers, asked without a document -- the standard open-domain benchmark of DPR
and BPR (Karpukhin et al. 2020; Yamada et al. 2021).

The files are JSON lines ``{"question": str, "answer": [str, ...]}`` from
``google-research-datasets/natural-questions/nq_open`` (see :mod:`wenda.data.download`). Those
papers search all of Wikipedia (21M passages); here the collection is the 10,033 Wikipedia lead
summaries (:mod:`wenda.data.wiki`), which hold the answer to only a minority of the questions,
so recall is bounded well below theirs and comparable only between our retrievers.
"""

from __future__ import annotations

import json
from pathlib import Path

from wenda.data.paths import require
from wenda.data.squad import DatasetFormatError, Question
from wenda.data.squad_open import wiki_documents
from wenda.data.wiki import WIKI_SUMMARIES, load_wiki_summaries
from wenda.types import Document

NQ_OPEN_DEV = "nq-open/NQ-open.dev.jsonl"


def load_nq_open(path: Path | str) -> list[Question]:
    """The questions of an NQ-open JSON-lines file (ids ``nq-open/<line number>``, from 1).

    Raises:
        DatasetFormatError: a line is not JSON or lacks a question or its answer list.
    """
    questions = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text, answers = row["question"], row["answer"]
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise DatasetFormatError(f"{path}:{n}: not an NQ-open row ({exc})") from None
            if not isinstance(text, str) or not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
                raise DatasetFormatError(f"{path}:{n}: question must be text and answer a list of texts")
            questions.append(Question(f"nq-open/{n}", text, tuple(answers), "", ""))
    return questions


def build_nq_open(data_dir: Path | str | None = None) -> tuple[list[Document], list[Question]]:
    """The nq-open benchmark here: the Wikipedia summaries as documents, NQ-open dev's 3,610
    questions.

    Raises:
        DatasetMissing: a source file is absent (the message says how to get it).
    """
    summaries = load_wiki_summaries(require(WIKI_SUMMARIES, root=data_dir))
    return wiki_documents(summaries), load_nq_open(require(NQ_OPEN_DEV, root=data_dir))
