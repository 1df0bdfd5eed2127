"""One loader per file format of the span-annotated training sets, each into :class:`SpanExample`.

- SQuAD format (Rajpurkar et al. 2016, 2018): SQuAD v1.1/v2.0 train, SQuAD-Shifts (Miller et al.
  2020), MLQA (Lewis et al. 2020), COVID-QA (Möller et al. 2020); TyDi QA GoldP (Clark et al. 2020)
  adds a language filter.
- QED (Lamm et al. 2021): JSON lines of Natural Questions passages with annotator answer spans.
- SubjQA (Bjerva et al. 2020): CSV, one row per annotation of a question-review pair.

Every loader takes the files, the training-set name and an optional context check, refuses paths
under ``squad-dev`` and returns ``(examples, DropReport)``.
"""

from __future__ import annotations

import csv
import json
import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from wenda.data.reading import UNPARSABLE, DropReport, ExampleBuilder, SpanExample, refuse_eval_data
from wenda.data.squad import load_squad

log = logging.getLogger(__name__)

NON_ENGLISH = "non-English"
MULTI_SPAN = "multi-span answer"
SUBJQA_NO_ANSWER = "ANSWERNOTFOUND"

Exclude = Callable[[str], str | None] | None
Loaded = tuple[list[SpanExample], DropReport]


def _finish(builder: ExampleBuilder, examples: list[SpanExample | None]) -> Loaded:
    log.info("%s", builder.report)
    return [e for e in examples if e is not None], builder.report


def _squad_rows(path: Path) -> Iterator[tuple[int, Mapping, Mapping, Mapping]]:
    """``(article index, article, paragraph, qa)`` for every question of a SQuAD-format file."""
    for index, article in enumerate(load_squad(refuse_eval_data(path))):
        for paragraph in article.get("paragraphs", ()):
            for qa in paragraph.get("qas", ()):
                yield index, article, paragraph, qa


def _squad_example(builder: ExampleBuilder, article: Mapping, paragraph: Mapping, qa: Mapping, id: str):
    answers = [(a["text"], int(a["answer_start"])) for a in qa.get("answers", ())]
    title = article.get("title") or str(paragraph.get("document_id", ""))
    impossible = bool(qa.get("is_impossible", False))
    return builder.build(id, qa["question"], paragraph["context"], answers, title, impossible)


def load_squad_spans(paths: Sequence[Path], source: str, exclude: Exclude = None) -> Loaded:
    """SQuAD-format files (v1.1 or v2.0) as span examples.

    The title is the article's, else the paragraph's ``document_id`` (COVID-QA). Questions marked
    ``is_impossible`` are kept as unanswerable; one with no answers and no such mark is dropped.
    """
    builder, examples = ExampleBuilder(source, exclude), []
    for path in paths:
        for _, article, paragraph, qa in _squad_rows(path):
            try:
                examples.append(_squad_example(builder, article, paragraph, qa, str(qa["id"])))
            except (KeyError, TypeError, ValueError, AttributeError):
                builder.drop(UNPARSABLE)
    return _finish(builder, examples)


def _language(qid: str, question: str) -> str:
    """TyDi's language: the official ids start with it (``english-...``); XTREME's English files
    number their questions instead, so fall back on the question's script."""
    prefix = qid.split("-", 1)[0]
    if "-" in qid and prefix.isalpha():
        return prefix.lower()
    letters = [c for c in question if c.isalpha()]
    latin = sum("LATIN" in unicodedata.name(c, "") for c in letters)
    return "english" if letters and latin / len(letters) >= 0.5 else "unknown"


def load_tydiqa(paths: Sequence[Path], source: str, exclude: Exclude = None) -> Loaded:
    """TyDi QA GoldP (SQuAD format), English questions only.

    Reads the official all-language file or XTREME's English split. XTREME's ids restart in every
    document, so the example id is ``<file stem>-<article index>-<file id>``.
    """
    builder, examples = ExampleBuilder(source, exclude), []
    for path in paths:
        for index, article, paragraph, qa in _squad_rows(path):
            try:
                if _language(str(qa["id"]), qa["question"]) != "english":
                    builder.drop(NON_ENGLISH)
                    continue
                qid = f"{path.stem}-{index}-{qa['id']}"
                examples.append(_squad_example(builder, article, paragraph, qa, qid))
            except (KeyError, TypeError, ValueError, AttributeError):
                builder.drop(UNPARSABLE)
    return _finish(builder, examples)


def _qed_answers(row: Mapping, builder: ExampleBuilder) -> list[tuple[str, int]]:
    """One answer per annotator; an annotator's answer of several spans is dropped (a span reader
    cannot produce it)."""
    answers = []
    for spans in row["original_nq_answers"]:
        if len(spans) == 1:
            answers.append((spans[0]["string"], int(spans[0]["start"])))
        else:
            builder.report.answers_dropped[MULTI_SPAN] += 1
    return answers


def load_qed(paths: Sequence[Path], source: str, exclude: Exclude = None) -> Loaded:
    """QED JSON lines: context ``paragraph_text`` (NQ-tokenized), answers ``original_nq_answers``."""
    builder, examples = ExampleBuilder(source, exclude), []
    for path in paths:
        with refuse_eval_data(path).open(encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    answers = _qed_answers(row, builder)
                    if not answers and row["original_nq_answers"]:
                        builder.drop(MULTI_SPAN)
                        continue
                    args = (str(row["example_id"]), row["question_text"], row["paragraph_text"], answers)
                    examples.append(builder.build(*args, title=row.get("title_text", "")))
                except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
                    builder.drop(UNPARSABLE)
    return _finish(builder, examples)


_INDICES = re.compile(r"\(\s*(\d+)\s*,\s*(\d+)\s*\)")


def _subjqa_rows(paths: Sequence[Path], builder: ExampleBuilder) -> dict[str, list[dict]]:
    """Rows grouped by ``q_review_id`` (one group per question-review pair, one row per annotator)."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for path in paths:
        with refuse_eval_data(path).open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if not row.get("q_review_id") or None in row or None in row.values():
                    builder.drop(UNPARSABLE)
                else:
                    groups[row["q_review_id"]].append(row)
    return groups


def _subjqa_example(qid: str, rows: list[dict], builder: ExampleBuilder) -> SpanExample | None:
    """One question-review pair: answerable when any annotator marked a span."""
    first = rows[0]
    context = first["review"].removesuffix(SUBJQA_NO_ANSWER).rstrip()
    spans = [r for r in rows if r["human_ans_spans"].strip() != SUBJQA_NO_ANSWER]
    answers = []
    for row in spans:
        match = _INDICES.fullmatch(row["human_ans_indices"].strip())
        answers.append((row["human_ans_spans"], int(match.group(1)) if match else None))
    if spans and len(spans) < len(rows):
        builder.report.notes["questions whose annotators disagree on answerability"] += 1
    title = f"{first['domain']}/{first['item_id']}"
    return builder.build(qid, first["question"], context, answers, title, impossible=not spans)


def load_subjqa(paths: Sequence[Path], source: str, exclude: Exclude = None) -> Loaded:
    """SubjQA CSVs: the review (less its ``ANSWERNOTFOUND`` suffix) is the context.

    Rows sharing a ``q_review_id`` are one example whose answers are every annotator's span; it is
    unanswerable only when no annotator found one. The spans are tokenized text (``"was n't"``), so
    most mismatches are repaired against the review (see :func:`wenda.data.reading.align_answer`).
    """
    builder = ExampleBuilder(source, exclude)
    groups = _subjqa_rows(paths, builder)
    merged = sum(map(len, groups.values())) - len(groups)
    builder.report.notes["annotation rows merged into their question"] += merged
    return _finish(builder, [_subjqa_example(qid, rows, builder) for qid, rows in groups.items()])
