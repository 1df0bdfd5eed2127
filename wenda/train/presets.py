"""Recommended training settings per ranker, chosen on WikiQA dev (never on test).

``wenda train ranker`` starts from these and applies ``--set`` on top; the benchmark table in
BENCHMARKS.md was produced with exactly these (see ``bench/rankers.py``). A model without an entry
uses :class:`~wenda.train.trainer.TrainConfig`'s defaults.
"""

from __future__ import annotations

PRESETS: dict[str, dict] = {
    "knrm": {"loss": "softmax", "lr": 0.01},
}


def preset(model: str) -> dict:
    """The recommended settings for ``model`` (a copy; empty when none are recorded)."""
    return dict(PRESETS.get(model, {}))
