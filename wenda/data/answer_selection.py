"""Answer-sentence selection datasets by name, for training and evaluating rankers.

Each dataset gives its splits as :class:`~wenda.types.RankQuery` lists and its judgments:
- ``wikiqa``: official reference files; ``filtered`` = the standard set (questions with a correct
  and an incorrect candidate), else the full one.
- ``trecqa``: judgments from the positive/negative tags; ``filtered`` = the "clean" set (questions
  with both a positive and a negative candidate), else every question.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from wenda.data.trecqa import load_trecqa
from wenda.data.wikiqa import load_wikiqa, wikiqa_qrels
from wenda.types import RankQuery

Qrels = dict[str, dict[str, int]]


def _label_qrels(queries: list[RankQuery], filtered: bool) -> Qrels:
    def keep(q: RankQuery) -> bool:
        labels = {c.label > 0 for c in q.candidates}
        return labels == {True, False} or not filtered

    return {q.id: {c.id: c.label for c in q.candidates} for q in queries if keep(q)}


@dataclass(frozen=True)
class AnswerSelection:
    """A named dataset: ``load(split)`` and ``qrels(split, filtered)``."""

    name: str
    load: Callable[[str], list[RankQuery]]
    official_qrels: Callable[[str, bool], Qrels] | None = None

    def qrels(self, split: str, filtered: bool = True) -> Qrels:
        """Judgments of ``split`` (see the module docstring for ``filtered``)."""
        if self.official_qrels is not None:
            return self.official_qrels(split, filtered)
        return _label_qrels(self.load(split), filtered)


DATASETS = {
    "wikiqa": AnswerSelection("wikiqa", load_wikiqa, wikiqa_qrels),
    "trecqa": AnswerSelection("trecqa", load_trecqa),
}


def answer_selection(name: str) -> AnswerSelection:
    """The dataset called ``name``, or a ValueError listing the choices."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; use one of: {', '.join(DATASETS)}")
    return DATASETS[name]
