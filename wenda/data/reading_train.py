"""The reader's training data: the span-annotated sets by name, checked against SQuAD dev.

SQuAD v1.1 train is not in the shared data, so the reader trains on the sets of
:data:`DEFAULT_NAMES` (SQuAD-Shifts Amazon, Reddit and the New-Wiki train half; TyDi QA GoldP
English; MLQA en-en dev; QED dev; SubjQA; COVID-QA). SQuAD v1.1/v2.0 train load the same way where
they have been downloaded (``wenda data download squad-v1.1-train``).

SQuAD dev is the reader's evaluation set, so nothing under ``squad-dev`` is ever read as training
data, and a training context is dropped when it is a SQuAD dev paragraph (up to whitespace and case)
or shares a run of :data:`SHINGLE` words with one. On the shared data that drops 13 contexts of
TyDi, MLQA and QED: other revisions of SQuAD dev's articles (Oxygen, Warsaw, Harvard, Kenya, ...)
and, as a deliberately conservative cost, a few that only share Wikipedia's US-census boilerplate.
Choose hyperparameters on :func:`split_held_out`'s held-out part, never on SQuAD dev.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from wenda.data.download import SOURCES
from wenda.data.paths import data_dir, require
from wenda.data.reading import DropReport, SpanExample
from wenda.data.reading_formats import load_qed, load_squad_spans, load_subjqa, load_tydiqa
from wenda.data.squad import SQUAD_V11_DEV, load_squad

log = logging.getLogger(__name__)

SHINGLE = 13
"""Words in a run shared with a SQuAD dev paragraph that disqualify a training context."""

OVERLAPS_DEV = "overlaps SQuAD dev"
SHARES_DEV = f"shares a {SHINGLE}-word passage with SQuAD dev"
SQUAD_DEV_FILES = (SQUAD_V11_DEV, "squad-dev/squad-v2.0-dev.json")

_SUBJQA = [
    (f"subjqa/{domain}_{split}.csv", domain in ("books", "movies") and split == "train")
    for domain in ("books", "electronics", "grocery", "movies", "restaurants", "tripadvisor")
    for split in ("train", "dev", "test")
]


@dataclass(frozen=True)
class ReadingSet:
    """A training set: its loader and files.

    Attributes:
        loader: ``(paths, name, exclude) -> (examples, DropReport)``, from
            :mod:`wenda.data.reading_formats`.
        files: for each file, its possible paths under the data directory in order of preference
            (e.g. a local English split first, the official all-language file last).
        optional: files read only when present (not staged here, or not in the official release).
        titled: its examples' titles name what the context is about (a Wikipedia article's title),
            rather than identify it (a product id, a paper number, one name for a whole forum).
    """

    loader: Callable
    files: tuple[tuple[str, ...], ...]
    optional: tuple[str, ...] = ()
    titled: bool = False


READING_SETS: dict[str, ReadingSet] = {
    "squad-shifts-amazon": ReadingSet(load_squad_spans, (("squad-shifts/amazon_reviews_v1.0.json",),)),
    "squad-shifts-reddit": ReadingSet(load_squad_spans, (("squad-shifts/reddit_v1.0.json",),)),
    # A train half of New-Wiki staged in the shared data (21 of its 48 articles); the official file
    # (`wenda data download squad-shifts-new-wiki`) holds all of it.
    "squad-shifts-new-wiki": ReadingSet(
        load_squad_spans, (("squad-shifts/new_wiki_train_half.json",),), titled=True
    ),
    "tydiqa-en": ReadingSet(
        load_tydiqa,
        (("tydiqa-en/tydiqa.goldp.en.train.json", "tydiqa/tydiqa-goldp-v1.1-train.json"),),
        optional=("tydiqa-en/tydiqa.goldp.en.dev.json",),
    ),
    "mlqa-en-dev": ReadingSet(
        load_squad_spans, (("mlqa-en-dev/dev-context-en-question-en.json",),), titled=True
    ),
    "qed-dev": ReadingSet(load_qed, (("qed-dev/qed-dev.jsonlines",),), titled=True),
    "subjqa": ReadingSet(
        load_subjqa,
        tuple((path,) for path, optional in _SUBJQA if not optional),
        optional=tuple(path for path, optional in _SUBJQA if optional),
    ),
    "covid-qa": ReadingSet(load_squad_spans, (("covid-qa/COVID-QA.json", "covid-qa/200423_covidQA.json"),)),
    "squad-v1.1-train": ReadingSet(load_squad_spans, ((SOURCES["squad-v1.1-train"].relpath,),), titled=True),
    "squad-v2.0-train": ReadingSet(load_squad_spans, ((SOURCES["squad-v2.0-train"].relpath,),), titled=True),
}

DEFAULT_NAMES = (
    "squad-shifts-amazon",
    "squad-shifts-reddit",
    "squad-shifts-new-wiki",
    "tydiqa-en",
    "mlqa-en-dev",
    "qed-dev",
    "subjqa",
    "covid-qa",
)
"""The sets the reader trains on where SQuAD v1.1 train is not available."""


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _shingles(words: list[str]) -> set[int]:
    return {hash(tuple(words[i : i + SHINGLE])) for i in range(max(len(words) - SHINGLE + 1, 1))}


class SquadDevOverlap:
    """A check of training contexts against SQuAD dev paragraphs (a drop reason, or None).

    Args:
        contexts: the SQuAD dev paragraphs.
    """

    def __init__(self, contexts: Iterable[str]) -> None:
        self._same: set[str] = set()
        self._shingles: set[int] = set()
        for context in contexts:
            words = _words(context)
            self._same.add(" ".join(words))
            self._shingles |= _shingles(words)

    @classmethod
    def from_data(cls, root: Path | str | None = None) -> SquadDevOverlap | None:
        """The check built from the SQuAD dev files present under the data directory, else None."""
        root = Path(root) if root is not None else data_dir()
        paths = [root / relpath for relpath in SQUAD_DEV_FILES if (root / relpath).exists()]
        if not paths:
            return None
        return cls(p["context"] for path in paths for a in load_squad(path) for p in a["paragraphs"])

    def __call__(self, context: str) -> str | None:
        words = _words(context)
        if " ".join(words) in self._same:
            return OVERLAPS_DEV
        return SHARES_DEV if not self._shingles.isdisjoint(_shingles(words)) else None


def _resolve(candidates: tuple[str, ...], root: Path) -> Path:
    """The first candidate present; when none is, the error names one that can be downloaded."""
    for relpath in candidates:
        if (root / relpath).exists():
            return root / relpath
    fetchable = [c for c in candidates if any(s.relpath == c for s in SOURCES.values())]
    return require((fetchable or list(candidates))[0], root=root)


def reading_set_paths(name: str, root: Path | str | None = None) -> list[Path]:
    """The files of training set ``name`` under the data directory.

    Raises:
        KeyError: unknown name (the message lists the known ones).
        DatasetMissing: a required file is absent; the message says how to fetch it.
    """
    if name not in READING_SETS:
        raise KeyError(f"unknown reading set {name!r}; known: {', '.join(READING_SETS)}")
    spec, root = READING_SETS[name], Path(root) if root is not None else data_dir()
    paths = [_resolve(candidates, root) for candidates in spec.files]
    return paths + [root / p for p in spec.optional if (root / p).exists()]


def load_reading_training(
    names: Sequence[str] = DEFAULT_NAMES, root: Path | str | None = None, check_squad_dev: bool = True
) -> tuple[list[SpanExample], dict[str, DropReport]]:
    """The span-annotated training examples of the named sets, and a report per set.

    Args:
        names: keys of :data:`READING_SETS`.
        root: the data directory (default :func:`wenda.data.data_dir`).
        check_squad_dev: drop contexts that overlap SQuAD dev (skipped, with a warning, when the
            SQuAD dev files are absent).

    Raises:
        EvalDataLeak: a set's file lies under ``squad-dev``.
        DatasetMissing: a required file is absent.
    """
    overlap = SquadDevOverlap.from_data(root) if check_squad_dev else None
    if check_squad_dev and overlap is None:
        log.warning("SQuAD dev not found: training contexts are not checked against it")
    examples: list[SpanExample] = []
    reports: dict[str, DropReport] = {}
    for name in names:
        loaded, reports[name] = READING_SETS[name].loader(reading_set_paths(name, root), name, overlap)
        examples += loaded
    return examples, reports


# The share of contexts every training run holds out (readers, retrievers, their dev sets): the
# same split everywhere, so a held-out question is unseen by every packaged model.
HELD_OUT_FRACTION = 0.05


def _bucket(key: str, salt: str) -> float:
    digest = hashlib.blake2b(f"{salt}\0{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _group(example: SpanExample, by: str) -> str:
    if by == "context":
        return example.context
    if by == "title":
        return f"{example.source}\0{example.title}" if example.title else example.context
    raise ValueError(f"split by 'context' or 'title', not {by!r}")


def split_held_out(
    examples: Iterable[SpanExample], fraction: float = 0.1, by: str = "context", salt: str = "wenda"
) -> tuple[list[SpanExample], list[SpanExample]]:
    """Split training examples into (train, held-out) by a hash of their context or document.

    The same inputs give the same split on every machine and run (no random state), and all the
    questions about one context (``by="context"``) or one title within a source (``by="title"``;
    examples without a title fall back on their context) land on the same side. Note that
    SQuAD-Shifts Reddit has a single title, so ``by="title"`` puts all of it on one side.

    Args:
        examples: the examples to split.
        fraction: the expected share of groups held out, in [0, 1].
        by: ``"context"`` or ``"title"``.
        salt: changes which groups are held out.
    """
    train: list[SpanExample] = []
    held: list[SpanExample] = []
    for example in examples:
        (held if _bucket(_group(example, by), salt) < fraction else train).append(example)
    return train, held


def held_out_examples(
    names: Sequence[str] = DEFAULT_NAMES, root: Path | str | None = None
) -> list[SpanExample]:
    """The examples of the named sets that ``wenda train reader`` holds out (:data:`HELD_OUT_FRACTION`
    by context): the same questions whichever of the sets a run trained on, since the split hashes
    each context alone."""
    return split_held_out(load_reading_training(names, root)[0], HELD_OUT_FRACTION)[1]
