"""MV-LSTM: matching with multiple positional sentence representations (Wan, Lan, Guo, Xu, Pang, Cheng;
AAAI 2016).

A bidirectional LSTM reads each text; the concatenated forward and backward states at a position are
that position's representation, a view of the whole sentence centred there. Every query position is
compared with every text position by one of the paper's three interaction functions: cosine,
bilinear ``u^T M v + b``, or a tensor layer ``f(u^T M^[1:c] v + W [u; v] + b)`` with ``c`` slices and
f = ReLU. k-max pooling keeps the ``k`` strongest interactions of each slice and a multi-layer
perceptron scores them.

Defaults: the tensor interaction, the best of the three in the paper's experiments; LSTM hidden size
50 per direction and a shared BiLSTM (MatchZoo's WikiQA setting and its Keras implementation, by the
paper's group); k = 10 (MatchZoo-py's default); c = 10 slices and a 50-unit tanh hidden layer in the
perceptron are our choices, sized for WikiQA: we could not read the paper's own values here.

Departures: padding is masked everywhere the paper's operations would otherwise see it: sequences are
packed, so the backward LSTM starts at each text's last real word rather than at the padding, and
padded cells never enter the k-max pool (when a pair has fewer than ``k`` real cells the pool is
topped up with zeros). No dropout (MatchZoo's WikiQA setting uses a rate of 0.5).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from wenda.nn import cosine_matrix
from wenda.nn.matching import NeuralTensor, masked_kmax
from wenda.rank.base import Ranker, RankerConfig
from wenda.registry import register

MATCHES = ("cosine", "bilinear", "tensor")


@dataclass
class MVLSTMConfig(RankerConfig):
    """Attributes: hidden: LSTM size per direction; match: "cosine", "bilinear" or "tensor";
    channels: tensor slices c (tensor only); top_k: values kept per slice; mlp_hidden: width of the
    perceptron's hidden layer."""

    hidden: int = 50
    match: str = "tensor"
    channels: int = 10
    top_k: int = 10
    mlp_hidden: int = 50


def encode(lstm: nn.LSTM, x: Tensor, mask: Tensor) -> Tensor:
    """BiLSTM states ``[B, L, 2H]`` of padded inputs ``[B, L, E]``, packed so that padding never
    reaches the backward direction; padded positions are 0."""
    lengths = mask.sum(1).clamp_min(1).cpu()  # [B]; packing refuses empty rows, masked out below
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, _ = lstm(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])  # [B, L, 2H]
    return out * mask[:, :, None]  # [B, L, 2H]


@register("rank", "mvlstm")
class MVLSTM(Ranker):
    """MV-LSTM (see the module docstring)."""

    Config = MVLSTMConfig

    def __init__(self, config: MVLSTMConfig, vocab) -> None:
        super().__init__(config, vocab)
        if config.match not in MATCHES:
            raise ValueError(f"unknown MV-LSTM match {config.match!r}; use one of: {', '.join(MATCHES)}")
        self.lstm = nn.LSTM(config.embed_dim, config.hidden, batch_first=True, bidirectional=True)
        channels = config.channels if config.match == "tensor" else 1
        if config.match != "cosine":
            self.interaction = NeuralTensor(2 * config.hidden, channels, linear=config.match == "tensor")
        self.mlp = nn.Sequential(
            nn.Linear(channels * config.top_k, config.mlp_hidden), nn.Tanh(), nn.Linear(config.mlp_hidden, 1)
        )

    def match(self, u: Tensor, v: Tensor) -> Tensor:
        """Interaction of every position pair, ``[B, Lq, 2H] x [B, Ld, 2H] -> [B, C, Lq, Ld]``."""
        if self.config.match == "cosine":
            return cosine_matrix(u, v).unsqueeze(1)  # [B, 1, Lq, Ld]
        s = self.interaction(u, v)  # [B, C, Lq, Ld]
        return torch.relu(s) if self.config.match == "tensor" else s

    def forward(self, query: Tensor, doc: Tensor) -> Tensor:
        q_mask, d_mask = query != 0, doc != 0  # [B, Lq], [B, Ld]
        u = encode(self.lstm, self.embedding(query), q_mask)  # [B, Lq, 2H]
        v = encode(self.lstm, self.embedding(doc), d_mask)  # [B, Ld, 2H]
        s = self.match(u, v).flatten(2)  # [B, C, Lq * Ld]
        cells = (q_mask[:, :, None] & d_mask[:, None, :]).flatten(1)[:, None, :]  # [B, 1, Lq * Ld]
        pooled = masked_kmax(s, cells, self.config.top_k)  # [B, C, k]
        return self.mlp(pooled.flatten(1)).squeeze(-1)  # [B]
