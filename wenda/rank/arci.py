"""ARC-I: convolutional sentence matching (Hu, Lu, Li, Chen; NIPS 2014, "Convolutional Neural
Network Architectures for Matching Natural Language Sentences").

Each sentence is read on its own by the paper's convolutional sentence model (§2): layers of 1D
convolution over windows of ``k`` word vectors with ReLU, each followed by max-pooling over pairs of
adjacent units, which leaves a fixed-size matrix per sentence (padded to its maximum length). The two
flattened sentence vectors are concatenated and a two-layer MLP scores them (§3, Figure 3). The
sentences never meet before the MLP: the paper calls this the Siamese architecture and contrasts it
with ARC-II, so by default both sentences share one convolution tower (``shared``); ``shared=False``
gives each its own, as MatchZoo does.

Hyper-parameters followed: 3-word windows, ReLU, max-pooling of width 2, and "two for convolution,
two for pooling, and two for MLP" layers (experiments: ARC-I did better with fewer than ARC-II); the
paper tests 200 to 500 feature maps, we default to 128 as MatchZoo's WikiQA configuration
(``arci_wikiqa.config``: kernel_count 128, kernel_size 3). Padding follows §2:
sentences are zero-padded to a fixed length and a gate sets the output of a window holding only
padding to zero; on right-padded text that gate is the real-prefix mask, carried through each
pooling as ``ceil(n / 2)``.

Departures: the MLP's hidden size (128) and the dropout on its input (0.5) are ours: the paper uses
dropout on its smaller data sets without stating a rate or a hidden size. The output layer has no
bias (a shift shared by every score is invisible to the ranking losses, so it would never learn).
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
class ArcIConfig(RankerConfig):
    """Attributes: filters: feature maps per convolution; window: words per convolution window;
    layers: convolution + pooling layers per sentence; hidden: MLP hidden units; dropout: on the
    MLP's input; shared: one convolution tower for both sentences (Siamese)."""

    filters: int = 128
    window: int = 3
    layers: int = 2
    hidden: int = 128
    dropout: float = 0.5
    shared: bool = True


@register("rank", "arci")
class ArcI(Ranker):
    """ARC-I (see the module docstring)."""

    Config = ArcIConfig

    def __init__(self, config: ArcIConfig, vocab) -> None:
        super().__init__(config, vocab)
        # towers[0] reads the query, towers[-1] the text: the same tower when shared.
        self.towers = nn.ModuleList(self._tower(config) for _ in range(1 if config.shared else 2))
        width = pooled_size(config.max_query_len, config.layers) + pooled_size(
            config.max_doc_len, config.layers
        )
        self.mlp = mlp_head(config.filters * width, config.hidden, config.dropout)

    @staticmethod
    def _tower(config: ArcIConfig) -> nn.ModuleList:
        sizes = [config.embed_dim] + [config.filters] * config.layers
        return nn.ModuleList(nn.Conv1d(a, b, config.window) for a, b in zip(sizes, sizes[1:], strict=False))

    def _sentence(self, tower: nn.ModuleList, ids: Tensor) -> Tensor:
        """The convolutional sentence model (§2): ``[B, L]`` ids -> ``[B, F * L']`` vector."""
        size = pooled_size(ids.shape[1], len(tower))
        ids = trim(ids)  # gated positions are zeros: compute the batch's real span, pad back below
        x, lengths = self.embedding(ids), (ids != 0).sum(1)  # [B, L, E], [B]
        for conv in tower:
            x = torch.relu(conv1d_right(x, conv))  # [B, L, F]
            x = x * length_mask(lengths, x.shape[1])[:, :, None]  # [B, L, F], the gate
            x = F.max_pool1d(x.transpose(1, 2), 2, ceil_mode=True).transpose(1, 2)  # [B, ceil(L/2), F]
            lengths = halve(lengths)  # [B]
        return F.pad(x, (0, 0, 0, size - x.shape[1])).flatten(1)  # [B, L' * F]

    def forward(self, query: Tensor, doc: Tensor) -> Tensor:
        q = self._sentence(self.towers[0], query)  # [B, Lq' * F]
        d = self._sentence(self.towers[-1], doc)  # [B, Ld' * F]
        return self.mlp(torch.cat([q, d], dim=1)).squeeze(-1)  # [B]
