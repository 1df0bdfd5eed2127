"""CNTN: the convolutional neural tensor network (Qiu and Huang; IJCAI 2015).

A convolutional sentence model encodes the question and the text separately: each layer is a
one-dimensional convolution over word windows followed by dynamic k-max pooling (Kalchbrenner et
al. 2014), which keeps each feature's k largest values in their original order, with
``k_l = max(k_top, ceil((depth - l) / depth * s))`` at layer l of a sentence of s words, so the
topmost layer yields a fixed ``filters x k_top`` matrix, flattened into the sentence vector. A
neural tensor layer then scores the pair: ``s(q, d) = u^T tanh(q^T M[1:r] d + V [q; d] + b)``, r
bilinear slices M plus a linear term. Paper choices we follow: this architecture, tanh, the tensor
layer as written. The paper trains with a pairwise ranking hinge loss (``hinge`` in wenda.train).

Departures: the defaults (2 layers of 50 filters over 3-word windows, k_top 4, r = 5 slices) are
ours, sized for WikiQA's ~7-word questions and ~25-word answers with 50-d GloVe: the paper tuned
its settings on Chinese and English cQA sets, and its text was not at hand to copy them. The
convolution is wide (every word is in ``width`` windows), as in the DCNN whose pooling the paper
takes. One sentence model (shared weights) encodes both sides, since question and answer share a
vocabulary and WikiQA is small. Padding never enters the pooling: k-max pooling chooses only among
a sentence's real positions, s is its real length, and pooled slots past them are zero (the wide
convolution's zero padding), so a sentence's vector does not depend on how far it was padded.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from wenda.rank.base import Ranker, RankerConfig
from wenda.registry import register


@dataclass
class CNTNConfig(RankerConfig):
    """Attributes: filters: feature maps per convolution layer; width: words per convolution window;
    depth: convolution + pooling layers; k_top: values kept per feature by the topmost pooling;
    slices: tensor slices r of the matching layer."""

    filters: int = 50
    width: int = 3
    depth: int = 2
    k_top: int = 4
    slices: int = 5


def kmax_pooling(x: Tensor, valid: Tensor, k: Tensor, size: int) -> tuple[Tensor, Tensor]:
    """k-max pooling of each feature row over a sentence's valid leading positions, order kept.

    Args:
        x: ``[B, F, L]`` features; positions ``>= valid[b]`` are padding.
        valid: ``[B]`` number of valid positions; k: ``[B]`` values to keep per row.
        size: output length (at least ``min(k, valid)``); slots past a row's kept values are 0.

    Returns:
        ``[B, F, size]`` pooled features and ``[B]`` the number of valid slots, ``min(k, valid)``.
    """
    length = x.shape[-1]
    keep = torch.minimum(k, valid)  # [B]
    pos = torch.arange(length, device=x.device)  # [L]
    filled = x.masked_fill(pos >= valid[:, None, None], float("-inf"))  # [B, F, L]
    n = min(size, length)
    top = filled.topk(n, dim=-1).indices  # [B, F, n], largest first
    rank = torch.arange(n, device=x.device)  # [n]
    # Unkept picks get keys past every position, so sorting puts the kept ones first, in order.
    key = torch.where(rank < keep[:, None, None], top, length + rank).sort(dim=-1).values  # [B, F, n]
    pooled = x.gather(-1, key.clamp_max(length - 1)) * (key < length)  # [B, F, n]
    return nn.functional.pad(pooled, (0, size - n)), keep  # [B, F, size], [B]


@register("rank", "cntn")
class CNTN(Ranker):
    """CNTN (see the module docstring)."""

    Config = CNTNConfig

    def __init__(self, config: CNTNConfig, vocab) -> None:
        super().__init__(config, vocab)
        if min(config.filters, config.width, config.depth, config.k_top, config.slices) < 1:
            raise ValueError("CNTN's filters, width, depth, k_top and slices must all be at least 1")
        dims = [config.embed_dim] + [config.filters] * config.depth
        # Wide convolution: width - 1 zero positions each side, every word in `width` windows.
        self.convs = nn.ModuleList(
            nn.Conv1d(a, b, config.width, padding=config.width - 1)
            for a, b in zip(dims[:-1], dims[1:], strict=True)
        )
        size = config.filters * config.k_top
        self.tensor = nn.Bilinear(size, size, config.slices)  # q^T M[1:r] d + b
        self.linear = nn.Linear(2 * size, config.slices, bias=False)  # V [q; d]
        self.u = nn.Linear(config.slices, 1, bias=False)

    def encode(self, ids: Tensor) -> Tensor:
        """Sentence vectors ``[B, filters * k_top]`` of word ids ``[B, L]``."""
        c = self.config
        words = (ids != 0).sum(1)  # [B] sentence length s
        x = self.embedding(ids).transpose(1, 2)  # [B, E, L], zero at padding
        valid = words
        for layer, conv in enumerate(self.convs, start=1):
            x = torch.tanh(conv(x))  # [B, F, L + width - 1]
            valid = torch.where(valid > 0, valid + c.width - 1, 0)  # [B] wide-convolution outputs
            k = torch.ceil((c.depth - layer) / c.depth * words).long().clamp_min(c.k_top)  # [B]
            size = c.k_top if layer == c.depth else max(int(torch.minimum(k, valid).max()), 1)
            x, valid = kmax_pooling(x, valid, k, size)  # [B, F, size], [B]
        return x.flatten(1)  # [B, F * k_top]

    def match(self, q: Tensor, d: Tensor) -> Tensor:
        """The neural tensor layer: ``u^T tanh(q^T M[1:r] d + V [q; d] + b)`` for ``[B, N]`` vectors."""
        hidden = torch.tanh(self.tensor(q, d) + self.linear(torch.cat([q, d], dim=-1)))  # [B, r]
        return self.u(hidden).squeeze(-1)  # [B]

    def forward(self, query: Tensor, doc: Tensor) -> Tensor:
        q = self.encode(query)  # [B, N]
        d = self.encode(doc)  # [B, N]
        return self.match(q, d)  # [B]
