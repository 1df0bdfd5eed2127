"""Passage ranking data made from the span-annotated reading sets: a ranker for ``ask``'s passages.

WikiQA and TrecQA teach a ranker to pick answer *sentences*; ``ask`` re-ranks ~100-word *passages*
(the retriever's top ``depth`` before the reader reads the best 10), and a sentence ranker orders
them weakly (BENCHMARKS.md, issue 6). Here each answerable question is a ranking query whose relevant
candidate is the window of its context holding the answer (the reader's training window,
:func:`~wenda.train.reading.training_item`) and whose other candidates are the BM25 best windows of
the split's contexts that hold none of its answers (hard negatives, as a retriever returns them:
:func:`~wenda.train.distractors.distractors`). The same data trains any registered ranker
(``wenda train ranker --model knrm --dataset passages``).

Splits: ``train`` and ``dev`` are the reading training sets split as ``wenda train reader`` splits
them (``dev`` is its held-out 5%, for choosing the epoch); ``test`` is SQuAD v1.1 dev's questions
and paragraphs, for evaluation only (nothing derived from it is trained on).
"""

from __future__ import annotations

from functools import cache

from wenda.data.answer_selection import AnswerSelection
from wenda.read.base import TOKENIZER
from wenda.text import Tokenizer
from wenda.types import Candidate, RankQuery

WINDOW = 100  # tokens per window: ask reads passages of about 100 words
NEGATIVES = {"train": 4, "dev": 9, "test": 9}  # BM25 distractors per query


def _examples(split: str) -> list:
    """The answerable span examples of ``split`` (see the module docstring)."""
    if split == "test":
        examples = _squad_dev()
    elif split in ("train", "dev"):
        from wenda.data.reading_train import (
            DEFAULT_NAMES,
            HELD_OUT_FRACTION,
            load_reading_training,
            split_held_out,
        )

        train, held = split_held_out(load_reading_training(DEFAULT_NAMES)[0], HELD_OUT_FRACTION)
        examples = train if split == "train" else held
    else:
        raise ValueError(f"unknown split {split!r} of the passages dataset; use train, dev or test")
    return [ex for ex in examples if not ex.is_impossible]


def _squad_dev() -> list:
    """SQuAD v1.1 dev as span examples (evaluation only: the training loaders refuse ``squad-dev``)."""
    from wenda.data import load_squad, require
    from wenda.data.reading import SpanExample

    out = []
    for article in load_squad(require("squad-dev/squad-v1.1-dev.json")):
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                answers = tuple((a["text"], int(a["answer_start"])) for a in qa["answers"])
                out.append(
                    SpanExample(str(qa["id"]), qa["question"], para["context"], answers, "squad-v1.1-dev")
                )
    return out


@cache
def load_passages(split: str) -> list[RankQuery]:
    """The ranking queries of ``split``: each question with its gold window first, then its
    distractors (queries without any distractor are left out: nothing to rank)."""
    from wenda.train.grouped import with_distractors

    queries = []
    for ex, (_, window, _, _, _), others in with_distractors(
        _examples(split), Tokenizer(TOKENIZER), WINDOW, NEGATIVES[split]
    ):
        if not others:
            continue
        qid = f"{ex.source}/{ex.id}"
        gold = Candidate(f"{qid}/gold", " ".join(window), 1)
        rest = (Candidate(f"{qid}/w{i}", " ".join(w), 0) for i, w in enumerate(others))
        queries.append(RankQuery(qid, ex.question, (gold, *rest)))
    return queries


PASSAGES = AnswerSelection("passages", load_passages)
