"""MatchPyramid: text matching as image recognition (Pang, Lan, Guo, Xu, Wan, Cheng; AAAI 2016).

The query and the text meet first, as a word-by-word matching matrix (the paper's indicator, cosine
or dot product of the word vectors), which is read as a one-channel image: a 2D convolution with ReLU
finds n-gram and n-term matching patterns, dynamic pooling cuts each matrix into a fixed grid of
regions whatever the two lengths are and keeps each region's maximum, and an MLP scores the pooled
grid.

Dynamic pooling, as in the paper: the pooling kernel of an ``n x m`` matrix is about
``n/d1 x m/d2`` so that the output is always ``d1 x d2``. We implement it as adaptive max pooling
over each matrix's *real* ``n x m`` corner (:func:`wenda.nn.conv.dynamic_max_pool2d`): region ``i``
along an axis of real length ``n`` is ``[floor(i n/d), ceil((i+1) n/d))``, so the regions tile the
real words only, a 7-word question's 3 row regions cover rows 0-2, 2-4 and 4-6 (not 20 padded rows),
and a question shorter than ``d1`` repeats its rows. Padding never enters a pooled region.

Hyper-parameters: one conv layer of 64 kernels of 3 x 3 and a dynamic pooling grid of 3 x 10, as
MatchZoo's WikiQA configuration (``matchpyramid_wikiqa.config``: kernel_count 64, kernel_size
[3, 3], dpool_size [3, 10]); cosine matching by default: MatchZoo's WikiQA run takes the dot product
of L2-normalised GloVe vectors, which is the cosine (our GloVe table is not normalised, so ``dot``
here would weigh words by their vector norms). ``indicator`` and ``dot`` are the paper's other two.

Departures: the matching matrix is zeroed outside the real ``n x m`` corner (with ``indicator`` a
padding position would otherwise "match" every other padding position); convolution pads with zeros
on all sides ("same"), as MatchZoo's Keras version does; the MLP has one hidden layer of 128 ReLU units, a size
neither the paper nor MatchZoo (a bare linear output) fixes for this data, and its output layer has
no bias (the ranking losses cannot see a shift shared by every score, so it would never learn).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from wenda.nn import cosine_matrix, dot_matrix
from wenda.nn.conv import dynamic_max_pool2d, mlp_head, trim
from wenda.rank.base import Ranker, RankerConfig
from wenda.registry import register

# (query ids, doc ids, query vectors, doc vectors) -> [B, Lq, Ld] matching matrix.
Matching = Callable[[Tensor, Tensor, Tensor, Tensor], Tensor]
MATCHING: dict[str, Matching] = {
    "indicator": lambda qi, di, q, d: (qi[:, :, None] == di[:, None, :]).to(q.dtype),
    "cosine": lambda qi, di, q, d: cosine_matrix(q, d),
    "dot": lambda qi, di, q, d: dot_matrix(q, d),
}


@dataclass
class MatchPyramidConfig(RankerConfig):
    """Attributes: matching: ``indicator``, ``cosine`` or ``dot`` (the paper's three); filters: 2D
    convolution kernels; kernel_size: their side; pool_rows / pool_cols: the dynamic pooling grid;
    hidden: MLP hidden units; dropout: on the pooled grid."""

    matching: str = "cosine"
    filters: int = 64
    kernel_size: int = 3
    pool_rows: int = 3
    pool_cols: int = 10
    hidden: int = 128
    dropout: float = 0.0

    def __post_init__(self) -> None:
        if self.matching not in MATCHING:
            raise ValueError(f"unknown matching {self.matching!r}; choose from {sorted(MATCHING)}")


@register("rank", "matchpyramid")
class MatchPyramid(Ranker):
    """MatchPyramid (see the module docstring)."""

    Config = MatchPyramidConfig

    def __init__(self, config: MatchPyramidConfig, vocab) -> None:
        super().__init__(config, vocab)
        if config.matching == "indicator":  # word identity alone: the vectors are never read
            self.embedding.weight.requires_grad_(False)
        self.match = MATCHING[config.matching]
        self.conv = nn.Conv2d(1, config.filters, config.kernel_size, padding="same")
        self.pool = (config.pool_rows, config.pool_cols)
        self.mlp = mlp_head(
            config.filters * config.pool_rows * config.pool_cols, config.hidden, config.dropout
        )

    def forward(self, query: Tensor, doc: Tensor) -> Tensor:
        query, doc = trim(query), trim(doc)  # the pooled grid's size is fixed: padding beyond is dead weight
        q_mask, d_mask = query != 0, doc != 0  # [B, Lq], [B, Ld]
        sim = self.match(query, doc, self.embedding(query), self.embedding(doc))  # [B, Lq, Ld]
        sim = sim * (q_mask[:, :, None] & d_mask[:, None, :])  # [B, Lq, Ld], 0 outside the real corner
        maps = torch.relu(self.conv(sim.unsqueeze(1)))  # [B, F, Lq, Ld]
        pooled = dynamic_max_pool2d(maps, q_mask.sum(1), d_mask.sum(1), self.pool)  # [B, F, P1, P2]
        return self.mlp(pooled.flatten(1)).squeeze(-1)  # [B]
