"""Ranking objectives, a table of functions over group scores (sentence-transformers passes losses
as values; bm25s keeps formula variants in a table).

Every training batch is a ``[G, 1 + n]`` score matrix: row g holds one relevant text's score in
column 0 and n sampled non-relevant texts' scores after it, for the same query.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

Loss = Callable[[Tensor], Tensor]


def pointwise(scores: Tensor) -> Tensor:
    """Binary cross-entropy of each score as a logit: column 0 labelled 1, the rest 0."""
    labels = torch.zeros_like(scores)
    labels[:, 0] = 1.0
    return F.binary_cross_entropy_with_logits(scores, labels)


def hinge(scores: Tensor, margin: float = 1.0) -> Tensor:
    """Pairwise hinge ``max(0, margin - s+ + s-)`` averaged over every (positive, negative) pair
    (Hu et al. 2014 eq. 5; Guo et al. 2016 eq. 7; Xiong et al. 2017 eq. 5)."""
    return F.relu(margin - scores[:, :1] + scores[:, 1:]).mean()


def softmax(scores: Tensor) -> Tensor:
    """Cross-entropy of a softmax over the group, target column 0 (DSSM's posterior, Huang et al.
    2013 eq. 6 with smoothing factor 1; MatchZoo's RankCrossEntropyLoss)."""
    target = torch.zeros(scores.shape[0], dtype=torch.long, device=scores.device)
    return F.cross_entropy(scores, target)


LOSSES: dict[str, Loss] = {"pointwise": pointwise, "hinge": hinge, "softmax": softmax}


def get_loss(name: str) -> Loss:
    """The loss called ``name``, or a ValueError listing the choices."""
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; use one of: {', '.join(LOSSES)}")
    return LOSSES[name]
