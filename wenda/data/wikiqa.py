"""WikiQA answer-sentence selection (Yang, Yih, Meek; EMNLP 2015).

Read from the tokenized ``WikiQA-<split>.txt`` (question TAB sentence TAB label) with its TREC
reference file ``WikiQA-<split>.ref`` (``qidx 0 sentidx label``), line for line; the train split
exists only in this form in the shared data, so every split is read the same way.

Two evaluation sets, both from the official reference files:
- ``filtered`` (the standard one: ``WikiQA-<split>-filtered.ref``): questions with at least one
  correct and one incorrect candidate (237 test questions);
- ``full`` (``WikiQA-<split>.ref``): every question (633 test); trec_eval scores the questions
  with no correct sentence 0, which lowers every metric.
"""

from __future__ import annotations

from itertools import groupby
from pathlib import Path

from wenda.data.paths import require
from wenda.data.squad import DatasetFormatError
from wenda.types import Candidate, RankQuery

SPLITS = ("train", "dev", "test")


def _path(name: str, root: Path | str | None) -> Path:
    return require(f"wikiqa/{name}", f"wikiqa-{name.removeprefix('WikiQA-').removesuffix('.txt').replace('.', '-')}", root)


def _rows(split: str, root: Path | str | None) -> list[tuple[str, str, str, str, int]]:
    """``(qid, sentence id, question, sentence, label)`` for every line of a split."""
    text = _path(f"WikiQA-{split}.txt", root).read_text(encoding="utf-8").splitlines()
    ref = _path(f"WikiQA-{split}.ref", root).read_text(encoding="utf-8").splitlines()
    if len(text) != len(ref):
        raise DatasetFormatError(f"WikiQA {split}: {len(text)} text lines but {len(ref)} reference lines")
    rows = []
    for n, (line, judgment) in enumerate(zip(text, ref, strict=True), 1):
        fields, ids = line.split("\t"), judgment.split()
        if len(fields) != 3 or len(ids) != 4 or fields[2] != ids[3]:
            raise DatasetFormatError(f"WikiQA {split} line {n}: text and reference lines disagree")
        rows.append((f"Q{ids[0]}", f"S{ids[2]}", fields[0], fields[1], int(ids[3])))
    return rows


def load_wikiqa(split: str, root: Path | str | None = None) -> list[RankQuery]:
    """The questions of a WikiQA split with all their candidate sentences, in file order.

    Raises:
        ValueError: an unknown split.
        DatasetMissing: the files are absent (the message says how to fetch them).
        DatasetFormatError: the text and reference files disagree.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown WikiQA split {split!r}; use one of {SPLITS}")
    queries = []
    for qid, rows in groupby(_rows(split, root), key=lambda r: r[0]):
        rows = list(rows)
        candidates = tuple(Candidate(sid, sentence, label) for _, sid, _, sentence, label in rows)
        queries.append(RankQuery(qid, rows[0][2], candidates))
    return queries


def wikiqa_qrels(split: str, filtered: bool = True, root: Path | str | None = None) -> dict[str, dict[str, int]]:
    """The official judgments of a dev/test split: ``qid -> sentence id -> label``.

    Args:
        filtered: the standard filtered set (see the module docstring) or the full one.
    """
    if split not in ("dev", "test"):
        raise ValueError("WikiQA has reference judgments for 'dev' and 'test' only")
    name = f"WikiQA-{split}-filtered.ref" if filtered else f"WikiQA-{split}.ref"
    qrels: dict[str, dict[str, int]] = {}
    for line in _path(name, root).read_text(encoding="utf-8").splitlines():
        qidx, _, sidx, label = line.split()
        qrels.setdefault(f"Q{qidx}", {})[f"S{sidx}"] = int(label)
    return qrels
