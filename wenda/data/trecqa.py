"""TrecQA answer-sentence selection (Wang, Smith, Mitamura; EMNLP 2007), in Yao et al.'s 2013
"jacana" release: pseudo-XML with ``<QApairs id=...>`` holding a ``<question>`` and ``<positive>`` /
``<negative>`` blocks, each a few tab-separated lines of which the first is the tokens.

The shared data holds TRAIN (94 questions, the manually judged "less than 40" train set) and DEV (82);
TEST (100) loads when present. Judgments come from the positive/negative tags.
"""

from __future__ import annotations

import re
from pathlib import Path

from wenda.data.paths import require
from wenda.data.squad import DatasetFormatError
from wenda.types import Candidate, RankQuery

SPLITS = ("train", "dev", "test")
_PAIRS = re.compile(r"<QApairs id='([^']+)'>(.*?)</QApairs>", re.S)
_BLOCK = re.compile(r"<(question|positive|negative)>\n(.*?)\n", re.S)


def _detokenize(line: str) -> str:
    return " ".join(line.split("\t"))


def _query(qid: str, body: str) -> RankQuery:
    blocks = _BLOCK.findall(body)
    if not blocks or blocks[0][0] != "question":
        raise DatasetFormatError(f"TrecQA pair {qid}: no <question> block first")
    candidates = tuple(
        Candidate(f"{qid}-{n}", _detokenize(tokens), int(tag == "positive"))
        for n, (tag, tokens) in enumerate(blocks[1:])
    )
    return RankQuery(qid, _detokenize(blocks[0][1]), candidates)


def load_trecqa(split: str, root: Path | str | None = None) -> list[RankQuery]:
    """The questions of a TrecQA split with their candidate sentences.

    Raises:
        ValueError: an unknown split. DatasetMissing: the file is absent.
        DatasetFormatError: the file holds no question pairs.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown TrecQA split {split!r}; use one of {SPLITS}")
    path = require(f"trecqa/{split.upper()}.xml", f"trecqa-{split}", root)
    queries = [_query(qid, body) for qid, body in _PAIRS.findall(path.read_text(encoding="utf-8"))]
    if not queries:
        raise DatasetFormatError(f"{path} holds no <QApairs> blocks")
    return queries
