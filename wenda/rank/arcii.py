"""ARC-II: convolutional matching on the interaction space (Hu, Lu, Li, Chen; NIPS 2014,
"Convolutional Neural Network Architectures for Matching Natural Language Sentences").

The sentences meet at the first layer (§3, Figure 4). Layer 1 is a 1D convolution over every pair
of windows: unit ``(i, j)`` sees the concatenation of query words ``i .. i+k-1`` and text words
``j .. j+k-1``, which yields a 2D grid of feature vectors. Then 2 x 2 max-pooling, and
further layers of 2D convolution (``k x k`` windows) each followed by 2 x 2 max-pooling, keep the
order of both sentences (the paper's "order preservation"); a two-layer MLP scores the final grid.

A weight vector over a concatenation is the sum of one weight vector per half, so layer 1 is computed
as a 1D convolution of each sentence (``k``-word windows, one bias between them) added for every
pair ``(i, j)``: the same numbers as the paper's layer, without building the ``Lq x Ld x 2kE``
input.

Hyper-parameters followed: 3-word (3 x 3) windows, ReLU everywhere, 2 x 2 max-pooling, and "eight
layers (three for convolution, three for pooling, and two for MLP)" (experiments); the paper tests 200 to 500
feature maps, we default to 64, between MatchZoo's WikiQA configuration (``arcii_wikiqa.config``: 20
kernels for the 1D and the 2D layer) and the paper's, to stay fast on a CPU.

Padding follows §2's gate (the output of an all-padding input is zero), made stricter: a cell
``(i, j)`` is kept only when both its query window and its text window hold a real word (the paper
zeroes a cell only when both are padding), so no cell built on padding alone on one side reaches
the pooling. Pooling uses ``ceil_mode`` so a sentence's last word is never cut off by an odd length.
Departures: that gate; the MLP's hidden size (128) and dropout on its input (0.5), which the paper
leaves unstated; no bias in the output layer (the ranking losses cannot see a shift shared by
every score, so it would never learn).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wenda.nn.conv import conv1d_right, halve, length_mask, mlp_head, pooled_size, trim
from wenda.rank.base import Ranker, RankerConfig
from wenda.registry import register


@dataclass
class ArcIIConfig(RankerConfig):
    """Attributes: filters: feature maps per convolution; window: words per window (``k``, and
    ``k x k`` for the 2D layers); layers: convolution + pooling layers, the first being the 1D
    pair convolution; hidden: MLP hidden units; dropout: on the MLP's input."""

    filters: int = 64
    window: int = 3
    layers: int = 3
    hidden: int = 128
    dropout: float = 0.5


@register("rank", "arcii")
class ArcII(Ranker):
    """ARC-II (see the module docstring)."""

    Config = ArcIIConfig

    def __init__(self, config: ArcIIConfig, vocab) -> None:
        super().__init__(config, vocab)
        if config.layers < 1:
            raise ValueError("ARC-II needs at least its first (1D pair) convolution layer")
        self.q_conv = nn.Conv1d(config.embed_dim, config.filters, config.window, bias=False)
        self.d_conv = nn.Conv1d(config.embed_dim, config.filters, config.window)
        self.convs = nn.ModuleList(
            nn.Conv2d(config.filters, config.filters, config.window, padding="same")
            for _ in range(config.layers - 1)
        )
        rows = pooled_size(config.max_query_len, config.layers)
        cols = pooled_size(config.max_doc_len, config.layers)
        self.mlp = mlp_head(config.filters * rows * cols, config.hidden, config.dropout)

    @staticmethod
    def _gate_and_pool(x: Tensor, rows: Tensor, cols: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Zero the cells outside the real ``rows x cols`` corner, then 2 x 2 max-pool: ``[B, F, R, C]
        -> [B, F, ceil(R/2), ceil(C/2)]`` with the corner's new size. Values are ReLU outputs (>= 0),
        so a zeroed cell never wins a region that holds a real one."""
        keep = (
            length_mask(rows, x.shape[2])[:, None, :, None] & length_mask(cols, x.shape[3])[:, None, None, :]
        )
        x = F.max_pool2d(x * keep, 2, ceil_mode=True)  # [B, F, ceil(R/2), ceil(C/2)]
        return x, halve(rows), halve(cols)

    def forward(self, query: Tensor, doc: Tensor) -> Tensor:
        layers = self.config.layers
        size = (pooled_size(query.shape[1], layers), pooled_size(doc.shape[1], layers))
        query, doc = trim(query), trim(doc)  # gated cells are zeros: compute the real span, pad back below
        rows, cols = (query != 0).sum(1), (doc != 0).sum(1)  # [B], [B]
        q = conv1d_right(self.embedding(query), self.q_conv)  # [B, Lq, F]
        d = conv1d_right(self.embedding(doc), self.d_conv)  # [B, Ld, F]
        x = torch.relu(q[:, :, None, :] + d[:, None, :, :]).permute(0, 3, 1, 2)  # [B, F, Lq, Ld], layer 1
        x, rows, cols = self._gate_and_pool(x, rows, cols)  # [B, F, Lq/2, Ld/2]
        for conv in self.convs:
            x, rows, cols = self._gate_and_pool(torch.relu(conv(x)), rows, cols)  # [B, F, R/2, C/2]
        x = F.pad(x, (0, size[1] - x.shape[3], 0, size[0] - x.shape[2]))  # [B, F, R', C']
        return self.mlp(x.flatten(1)).squeeze(-1)  # [B]
