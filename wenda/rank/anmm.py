"""aNMM: attention-based neural matching model (Yang, Ai, Guo, Croft; CIKM 2016).

The question-answer matching matrix holds the cosine of every (question word, answer word) pair's
vectors. Value-shared weighting replaces a CNN's position-shared weights: for each question
word the matching signals are grouped into bins by value, summed per bin (``x_jk``, the sum of the
signals of question word j falling in bin k), and each bin's sum gets one weight shared by all
positions, ``h_j = tanh(sum_k w_k x_jk + b)``. A question attention network gates the words,
``g_j = softmax_j(v^T q_j)`` over the question's real words, and the score is ``sum_j g_j h_j``: aNMM-1.
With ``hidden > 1`` each bin vector feeds ``hidden`` value-shared nodes that a second tanh layer
combines into ``h_j``: aNMM-2.

Defaults: aNMM-1 (one value-shared node per question word); 21 bins, twenty 0.1-wide bins over
[-1, 1) and one for exact matches, DRMM's layout, which MatchZoo's aNMM features also use. The
count is a tuning choice (MatchZoo's WikiQA setting uses 20, MatchZoo-py defaults to 200); we could
not read the paper's own setting here.

Departures: the matrix is computed inside ``forward`` from the embedding (MatchZoo precomputes bin
sums), and exact matches are found by equal word ids with their signal counted as 1 (see
``wenda.nn.matching``). Padding is masked explicitly: a padded position's cosine is 0 and would add
nothing to a sum, but a padded question position and a padded answer position share id 0, which
would otherwise count as an exact match; padded question words also get no attention.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from wenda.nn import cosine_matrix, masked_softmax
from wenda.nn.matching import bin_sums, match_bins
from wenda.rank.base import Ranker, RankerConfig
from wenda.registry import register


@dataclass
class ANMMConfig(RankerConfig):
    """Attributes: bins: value bins, the exact-match bin included; hidden: value-shared nodes per
    question word (1 = aNMM-1, more = aNMM-2)."""

    bins: int = 21
    hidden: int = 1


@register("rank", "anmm")
class ANMM(Ranker):
    """aNMM (see the module docstring)."""

    Config = ANMMConfig

    def __init__(self, config: ANMMConfig, vocab) -> None:
        super().__init__(config, vocab)
        if config.hidden < 1:
            raise ValueError("aNMM needs at least one value-shared node per question word")
        self.value_shared = nn.Linear(config.bins, config.hidden)
        self.combine = nn.Linear(config.hidden, 1) if config.hidden > 1 else None
        self.attention = nn.Linear(config.embed_dim, 1, bias=False)

    def bin_sums(self, query: Tensor, doc: Tensor) -> Tensor:
        """``x_jk`` ``[B, Lq, bins]``: per question word, the sum of its matching signals in each bin."""
        q, d = self.embedding(query), self.embedding(doc)  # [B, Lq, E], [B, Ld, E]
        exact = query[:, :, None] == doc[:, None, :]  # [B, Lq, Ld]
        sim = torch.where(exact, torch.ones_like(exact, dtype=q.dtype), cosine_matrix(q, d))  # [B, Lq, Ld]
        index = match_bins(sim, exact, self.config.bins)  # [B, Lq, Ld]
        signals = sim * (doc != 0)[:, None, :] * (query != 0)[:, :, None]  # [B, Lq, Ld]
        return bin_sums(index, signals, self.config.bins)  # [B, Lq, bins]

    def forward(self, query: Tensor, doc: Tensor) -> Tensor:
        h = torch.tanh(self.value_shared(self.bin_sums(query, doc)))  # [B, Lq, hidden]
        if self.combine is not None:
            h = torch.tanh(self.combine(h))  # [B, Lq, 1]
        g = masked_softmax(self.attention(self.embedding(query)).squeeze(-1), query != 0, 1)  # [B, Lq]
        return (g * h.squeeze(-1)).sum(1)  # [B]
