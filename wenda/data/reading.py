"""Span-annotated reading-comprehension examples: one record type for every training source.

Each source's loader (:mod:`wenda.data.reading_formats`) turns its own format into
:class:`SpanExample` through an :class:`ExampleBuilder`, which enforces the one invariant the reader
relies on, ``context[start:start + len(text)] == text`` for every answer, and tallies what it had to
drop or repair in a :class:`DropReport`.

Repair rule: an answer whose ``answer_start`` does not point at its text is looked up in the context
with whitespace between its tokens made optional (SubjQA's answers are tokenized, ``"did n't"`` for
``"didn't"``; COVID-QA's carry stray leading or trailing spaces). It is kept when that is
unambiguous: the text occurs once in the context, or one occurrence is nearest to the stated start
within :data:`WINDOW` characters. Otherwise the answer is dropped, and an example left without
answers is dropped with that answer's reason. Unanswerable examples (SQuAD v2.0 ``is_impossible``,
SubjQA's ``ANSWERNOTFOUND``) are kept with no answers so the reader can learn to abstain.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from wenda.errors import WendaError

log = logging.getLogger(__name__)

WINDOW = 10
"""How far (characters) from the stated start a repaired answer may be when its text recurs."""

EMPTY_QUESTION = "empty question"
EMPTY_CONTEXT = "empty context"
DUPLICATE_ID = "duplicate id"
UNPARSABLE = "unparsable row"
EMPTY_ANSWER = "empty answer text"
NOT_FOUND = "answer not found in context"
AMBIGUOUS = "answer ambiguous in context"
NO_ANSWER = "no answer annotated"

Answer = tuple[str, int]
"""An answer: its text and the character offset where it starts in the context."""


class EvalDataLeak(WendaError, ValueError):
    """An attempt to train on evaluation data (anything under ``squad-dev``)."""


def refuse_eval_data(path: Path | str) -> Path:
    """``path`` unless it lies under a ``squad-dev`` folder, the reader's evaluation set.

    Raises:
        EvalDataLeak: the path is under ``squad-dev``; nothing derived from SQuAD dev may be trained on.
    """
    path = Path(path)
    if "squad-dev" in path.resolve().parts or "squad-dev" in path.parts:
        raise EvalDataLeak(f"refusing to train on {path}: squad-dev is the reader's evaluation set")
    return path


@dataclass(frozen=True)
class SpanExample:
    """A question about a context with its answer spans.

    Attributes:
        id: the dataset's question id (unique within ``source``).
        question: the question text.
        context: the passage the answers are spans of.
        answers: ``(text, start)`` pairs with ``context[start:start + len(text)] == text``, in file
            order, without repeats; empty when the question is unanswerable from the context.
        source: the training-set name, e.g. ``"squad-shifts-amazon"``.
        title: the article, product or document the context comes from ("" when unknown).
    """

    id: str
    question: str
    context: str
    answers: tuple[Answer, ...]
    source: str
    title: str = ""

    def __post_init__(self) -> None:
        for text, start in self.answers:
            if not text or self.context[start : start + len(text)] != text:
                raise ValueError(f"{self.source}/{self.id}: answer {text!r} is not at {start} in the context")

    @property
    def is_impossible(self) -> bool:
        """Whether the question has no answer in the context (SQuAD v2.0's flag)."""
        return not self.answers


@dataclass
class DropReport:
    """What one source's loader kept, dropped and repaired.

    Attributes:
        source: the training-set name.
        kept: examples kept (answerable and unanswerable).
        unanswerable: how many of the kept examples have no answer.
        dropped: examples dropped, by reason.
        answers_repaired: kept answers whose offset or surrounding whitespace had to be fixed.
        answers_dropped: answers dropped (by reason) from examples that were otherwise kept or dropped.
        notes: other events worth knowing, by description (e.g. annotation rows merged).
    """

    source: str
    kept: int = 0
    unanswerable: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    answers_repaired: int = 0
    answers_dropped: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)

    @property
    def read(self) -> int:
        """Examples read: kept plus dropped."""
        return self.kept + sum(self.dropped.values())

    def __str__(self) -> str:
        parts = [f"{self.source}: read {self.read}, kept {self.kept} ({self.unanswerable} unanswerable)"]
        parts += [f"dropped {n} {reason}" for reason, n in sorted(self.dropped.items())]
        parts.append(f"answers repaired {self.answers_repaired}")
        parts += [f"answers dropped {n} {reason}" for reason, n in sorted(self.answers_dropped.items())]
        parts += [f"{n} {note}" for note, n in sorted(self.notes.items())]
        return "; ".join(parts)


def _flexible(text: str) -> re.Pattern[str]:
    """A pattern for ``text`` (stripped) with optional whitespace between its tokens."""
    return re.compile(r"\s*".join(re.escape(token) for token in text.split()))


def align_answer(context: str, text: str, start: int | None) -> tuple[Answer | None, str]:
    """Place an answer in its context.

    Returns:
        ``((text, start), "exact")`` when the answer is where it says, ``((text', start'),
        "repaired")`` with the context's own text when it was found by the repair rule (see the
        module docstring), else ``(None, reason)``.
    """
    if not text.strip():
        return None, EMPTY_ANSWER
    if start is not None and text == text.strip() and context.startswith(text, start):
        return (text, start), "exact"
    matches = list(_flexible(text).finditer(context))
    if len(matches) > 1 and start is not None:
        distances = sorted((abs(m.start() - start), i) for i, m in enumerate(matches))
        near = [i for d, i in distances if d == distances[0][0] and d <= WINDOW]
        matches = [matches[i] for i in near] if near else matches
    if len(matches) != 1:
        return None, NOT_FOUND if not matches else AMBIGUOUS
    return (matches[0].group(), matches[0].start()), "repaired"


class ExampleBuilder:
    """Builds one source's examples, dropping and counting what breaks the record's invariants.

    Args:
        source: the training-set name put on every example and on the report.
        exclude: a check of each distinct context returning a drop reason (e.g. overlap with
            evaluation data) or None to keep it.
    """

    def __init__(self, source: str, exclude: Callable[[str], str | None] | None = None) -> None:
        self.report = DropReport(source)
        self._exclude = exclude
        self._excluded: dict[str, str | None] = {}
        self._ids: set[str] = set()

    def drop(self, reason: str) -> None:
        """Count one example dropped before it could be built (e.g. an unparsable row)."""
        self.report.dropped[reason] += 1

    def build(
        self,
        id: str,
        question: str,
        context: str,
        answers: Iterable[tuple[str, int | None]],
        title: str = "",
        impossible: bool = False,
    ) -> SpanExample | None:
        """The example, or None (counted in the report) when it has to be dropped.

        Args:
            answers: ``(text, stated start)`` pairs as the file gives them (start None if unknown).
            impossible: the source marks the question unanswerable; its answers are ignored.
        """
        reason = self._check(str(id), question, context)
        if reason is None and not impossible:
            answers, reason = self._align(context, answers)
        if reason is not None:
            self.drop(reason)
            return None
        self._ids.add(str(id))
        self.report.kept += 1
        self.report.unanswerable += impossible
        answers = () if impossible else answers
        return SpanExample(str(id), question.strip(), context, answers, self.report.source, title or "")

    def _check(self, id: str, question: str, context: str) -> str | None:
        if not question.strip():
            return EMPTY_QUESTION
        if not context.strip():
            return EMPTY_CONTEXT
        if id in self._ids:
            return DUPLICATE_ID
        if self._exclude is None:
            return None
        if context not in self._excluded:
            self._excluded[context] = self._exclude(context)
        return self._excluded[context]

    def _align(self, context: str, answers: Iterable[tuple[str, int | None]]) -> tuple[tuple, str | None]:
        kept: list[Answer] = []
        failures: list[str] = []
        for text, start in answers:
            answer, status = align_answer(context, text, start)
            if answer is None:
                failures.append(status)
            elif answer not in kept:
                kept.append(answer)
                self.report.answers_repaired += status == "repaired"
        self.report.answers_dropped.update(failures)
        if not kept:
            return (), failures[0] if failures else NO_ANSWER
        return tuple(kept), None
