"""Match-SRNN: recursive matching structure with a spatial RNN (Wan, Lan, Guo, Xu, Pang, Cheng; IJCAI 2016).

A neural tensor layer turns every (query word, text word) pair into a ``c``-channel interaction
``s_ij = ReLU(u_i^T T^[1:c] v_j + W [u_i; v_j] + b)``. A spatial GRU then sweeps the grid
from the top-left corner: cell (i, j) sees its top, left and diagonal neighbours' states
``q = [h_top; h_left; h_diag]`` and ``s_ij``; reset gates ``r = sigmoid(W_r [q; s] + b_r)``, four update
gates ``z_i, z_t, z_l, z_d`` normalized by a softmax over the four per unit, a candidate
``h' = tanh(W s + U (r * q) + b)``, and ``h_ij = z_t h_top + z_l h_left + z_d h_diag + z_i h'``. The
state at the last cell, a summary of the two prefixes' interaction, is scored linearly.

Cell (i, j) needs only cells of the two previous anti-diagonals, so we compute one whole anti-diagonal
at a time (Lq + Ld - 1 steps, every cell of a diagonal in parallel) instead of Lq * Ld steps.

Defaults: c = 10 tensor channels and 10 hidden units, the sizes we recall the paper settling on after
trying 1-20 (we could not read its text here to confirm; MatchZoo-py defaults to 4 and 10); a
10-unit GRU also trains in minutes on two CPU cores.

Departures: the state is read at each pair's real last cell ``h[len(q), len(d)]``, not the padded
corner (texts are right-padded, so every cell up to the real corner is real and padding never enters
it; an empty text scores from the zero initial state); the sweep stops at the batch's longest real
texts. Word vectors are L2-normalized before the tensor layer (as MatchZoo-py does), so the tensor
slices, which start as the identity (a cosine), see the same scale whatever the embedding's norms.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wenda.nn.matching import NeuralTensor
from wenda.rank.base import Ranker, RankerConfig
from wenda.registry import register


@dataclass
class MatchSRNNConfig(RankerConfig):
    """Attributes: channels: tensor channels c; hidden: spatial GRU units."""

    channels: int = 10
    hidden: int = 10


class SpatialGRU(nn.Module):
    """The paper's spatial GRU over an interaction grid, swept by anti-diagonals (module docstring)."""

    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__()
        self.hidden = hidden
        self.from_input = nn.Linear(channels, 8 * hidden)  # r (3U), z (4U), h' (U) parts of s_ij
        self.from_state = nn.Linear(3 * hidden, 7 * hidden, bias=False)  # r (3U), z (4U) parts of q
        self.recur = nn.Linear(3 * hidden, hidden, bias=False)  # U in h'

    def forward(self, s: Tensor) -> Tensor:
        """States ``[B, T, Lq, U]`` of every cell of ``s`` ``[B, Lq, Ld, C]``, indexed by anti-diagonal
        ``t = i + j`` and row ``i``."""
        batch, lq, ld, _ = s.shape
        u = self.hidden
        rows = torch.arange(lq, device=s.device)  # [Lq]
        cols = torch.arange(lq + ld - 1, device=s.device)[:, None] - rows  # [T, Lq]: column of (t, i)
        valid = ((cols >= 0) & (cols < ld)).to(s.dtype)[..., None]  # [T, Lq, 1]
        # One gather lays the input part of every gate out by anti-diagonal and one unbind splits it
        # (indexing it per step would cost a full-size zero gradient per step in backward).
        gates_in = self.from_input(s)[:, rows, cols.clamp(0, ld - 1)].unbind(1)  # T x [B, Lq, 8U]
        zero = s.new_zeros(batch, lq, u)  # [B, Lq, U]
        prev2, prev1, states = zero, zero, []
        for t, a in enumerate(gates_in):  # a: [B, Lq, 8U]
            top = F.pad(prev1, (0, 0, 1, 0))[:, :lq]  # [B, Lq, U]: cell (i-1, j)
            diag = F.pad(prev2, (0, 0, 1, 0))[:, :lq]  # [B, Lq, U]: cell (i-1, j-1)
            q = torch.cat([top, prev1, diag], -1)  # [B, Lq, 3U]; prev1 row i is cell (i, j-1)
            g = a[..., : 7 * u] + self.from_state(q)  # [B, Lq, 7U]
            r = torch.sigmoid(g[..., : 3 * u])  # [B, Lq, 3U]
            z = torch.softmax(g[..., 3 * u :].unflatten(-1, (4, u)), -2)  # [B, Lq, 4, U]
            cand = torch.tanh(a[..., 7 * u :] + self.recur(r * q))  # [B, Lq, U]
            h = z[..., 0, :] * cand + (z[..., 1:, :] * q.unflatten(-1, (3, u))).sum(-2)  # [B, Lq, U]
            prev2, prev1 = prev1, h * valid[t]  # outside the grid stays 0: the boundary's zero states
            states.append(prev1)
        return torch.stack(states, 1)  # [B, T, Lq, U]


@register("rank", "match_srnn")
class MatchSRNN(Ranker):
    """Match-SRNN (see the module docstring)."""

    Config = MatchSRNNConfig

    def __init__(self, config: MatchSRNNConfig, vocab) -> None:
        super().__init__(config, vocab)
        self.tensor = NeuralTensor(config.embed_dim, config.channels)
        self.gru = SpatialGRU(config.channels, config.hidden)
        self.out = nn.Linear(config.hidden, 1)

    def forward(self, query: Tensor, doc: Tensor) -> Tensor:
        q_len, d_len = (query != 0).sum(1), (doc != 0).sum(1)  # [B], [B]
        lq, ld = max(int(q_len.max()), 1), max(int(d_len.max()), 1)  # the sweep's extent
        u = F.normalize(self.embedding(query[:, :lq]), dim=-1)  # [B, lq, E]
        v = F.normalize(self.embedding(doc[:, :ld]), dim=-1)  # [B, ld, E]
        s = torch.relu(self.tensor(u, v)).permute(0, 2, 3, 1)  # [B, lq, ld, C]
        states = self.gru(s)  # [B, lq + ld - 1, lq, U]
        last = states[
            torch.arange(len(query), device=query.device),
            (q_len + d_len - 2).clamp_min(0),
            (q_len - 1).clamp_min(0),
        ]  # [B, U]
        last = last * ((q_len > 0) & (d_len > 0))[:, None]  # [B, U]; an empty text keeps the zero state
        return self.out(last).squeeze(-1)  # [B]
