"""Recommended training settings per ranker, chosen on WikiQA dev (never on test).

``wenda train ranker`` starts from these and applies ``--set`` on top; the benchmark table in
BENCHMARKS.md was produced with exactly these (see ``bench/rankers.py``). A model without an entry
uses :class:`~wenda.train.trainer.TrainConfig`'s defaults.
"""

from __future__ import annotations

# Chosen by dev MAP (filtered WikiQA dev, seed 0, one thread) among softmax-over-4-negatives at
# lr 1e-3 and 1e-2 (and, where those disagreed or stayed low, 3e-2, 3e-3 or frozen vectors); the
# sweep's dev figures are in BENCHMARKS.md. TrainConfig's defaults (softmax loss, lr 1e-3) apply
# to anything not listed.
PRESETS: dict[str, dict] = {
    "anmm": {"bins": 11, "hidden": 4, "loss": "hinge", "lr": 0.01},
    "arci": {"lr": 0.001},
    "arcii": {"lr": 0.01},
    "cdssm": {"lr": 0.01},
    "cntn": {"lr": 0.001},
    "conv_knrm": {"lr": 0.01},
    "drmm": {"histogram": "ch", "lr": 0.03, "loss": "hinge"},
    "dssm": {"lr": 0.001},
    "knrm": {"lr": 0.01, "freeze_embeddings": True},
    "match_srnn": {"lr": 0.001},
    "matchpyramid": {"lr": 0.01, "matching": "dot"},
    "mvlstm": {"lr": 0.001},
}


def preset(model: str) -> dict:
    """The recommended settings for ``model`` (a copy; empty when none are recorded)."""
    return dict(PRESETS.get(model, {}))
