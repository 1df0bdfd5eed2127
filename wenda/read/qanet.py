"""QANet (Yu, Dohan, Luong, Zhao, Chen, Norouzi, Le; ICLR 2018, "QANet: Combining Local Convolution
with Global Self-Attention for Reading Comprehension").

A word is its embedding and a character CNN's pooled filters (:mod:`wenda.nn.charcnn`), through a
2-layer highway and a linear map to width ``d``. An *encoder block* adds a sinusoidal position
encoding, then runs ``n`` depthwise-separable convolutions, multi-head self-attention and a
feed-forward layer, each as ``x + f(layernorm(x))``. One embedding-encoder block (shared by passage and question) gives ``C``
and ``Q``; context-query attention takes BiDAF's trilinear ``S`` (:func:`~wenda.read.bidaf.similarity`),
``A = S̄ Q`` with ``S̄`` the softmax over question words and, DCN-style, ``B = S̄ S̿ᵀ C`` with ``S̿``
the softmax over passage words; ``[C; A; C ∘ A; C ∘ B]`` is mapped to ``d`` and a stack of encoder
blocks, one set of weights, runs three times: ``M0``, ``M1``, ``M2``. Start logits are
``W1 [M0; M1]``, end logits ``W2 [M0; M2]``. Stochastic depth drops sublayer ``l`` of ``L`` with
probability ``l / L * layer_dropout`` while training.

Hyper-parameters. Paper: d = 128, 8 heads, 1 embedding block of 4 convolutions of kernel 7, 7
model blocks of 2 convolutions of kernel 5, dropout 0.1 (0.05 on characters, kept here), layer
dropout 0.1, 300-d fixed GloVe, 200-d characters. Defaults: ``hidden = 64``, 4 heads (16 per head,
as 128 / 8), 3 model blocks, BiDAF's character CNN with 64 filters: a step on 32 passages of 300
tokens took ~2.5 s on one CPU thread (shared 2-core machine; BiDAF's defaults ~1.9 s beside it),
~12-17 s at the paper's sizes, so ~37k examples make a ~45-minute one-thread epoch and 90 minutes
on two cores hold about two. ``layer_dropout`` is 0 (paper 0.1) by default: a dropped sublayer's
weights get no gradient that step.

Departures: padding is exact (zeroed before every convolution and after every block, attention and
both context-query softmaxes masked, an empty side gives zeros), so it never changes a pair's
logits. Position encoding: Vaswani et al.'s interleaved sin/cos (the paper's tensor2tensor code
concatenates the halves). No bias in the similarity or output layers (softmaxes cancel it). A
dropped sublayer is skipped for the whole batch, unrescaled, like common reimplementations. The
no-answer logit (``no_answer``, not in the paper) reads the passage max of ``[M0; M1; M2]``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wenda.nn import masked_max, masked_softmax
from wenda.nn.charcnn import Highway
from wenda.read.base import Reader, ReaderConfig, ReaderOutput
from wenda.read.bidaf import similarity
from wenda.registry import register


@dataclass
class QANetConfig(ReaderConfig):
    """Attributes: hidden: width d; heads; embed_convs, embed_kernel, model_blocks, model_convs,
    model_kernel: the two encoders; dropout: after every sublayer and on words (half on characters);
    layer_dropout: the last sublayer's drop probability; char_filters (other character settings:
    :class:`ReaderConfig`'s) and highway_layers: BiDAF's."""

    hidden: int = 64
    heads: int = 4
    embed_convs: int = 4
    embed_kernel: int = 7
    model_blocks: int = 3
    model_convs: int = 2
    model_kernel: int = 5
    dropout: float = 0.1
    layer_dropout: float = 0.0
    char_filters: int = 64
    highway_layers: int = 2


def position_encoding(length: int, dim: int) -> Tensor:
    """``[length, dim]``: ``PE[p, 2i] = sin(p / 10000^(2i/dim))``, ``PE[p, 2i+1] = cos(...)``."""
    pos = torch.arange(length, dtype=torch.float)[:, None]  # [L, 1]
    rate = torch.exp(torch.arange(0, dim, 2, dtype=torch.float) * (-math.log(10000.0) / dim))  # [ceil(D/2)]
    out = torch.zeros(length, dim + dim % 2)
    out[:, 0::2], out[:, 1::2] = torch.sin(pos * rate), torch.cos(pos * rate)
    return out[:, :dim]


class SeparableConv(nn.Module):
    """Depthwise then pointwise convolution and ReLU; padding is zeroed first, read as the conv's own."""

    def __init__(self, dim: int, kernel: int) -> None:
        super().__init__()
        self.depthwise = nn.Conv1d(dim, dim, kernel, padding=kernel // 2, groups=dim, bias=False)
        self.pointwise = nn.Conv1d(dim, dim, 1)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """``[B, L, D]``, mask ``[B, L]`` -> ``[B, L, D]``."""
        x = (x * mask[:, :, None]).transpose(1, 2)  # [B, D, L]
        return torch.relu(self.pointwise(self.depthwise(x))).transpose(1, 2)  # [B, L, D]


class SelfAttention(nn.Module):
    """Multi-head scaled dot-product self-attention over the real keys only (no key: zero output)."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads, self.qkv, self.out = heads, nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """``[B, L, D]``, mask ``[B, L]`` -> ``[B, L, D]``."""
        b, length, dim = x.shape
        q, k, v = self.qkv(x).view(b, length, 3, self.heads, -1).permute(2, 0, 3, 1, 4)  # [B, h, L, D/h] each
        # Fused: ~4x faster on CPU. An empty text attends to its padding (never NaN), then is zeroed.
        keys = mask | ~mask.any(1, keepdim=True)  # [B, L]
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=keys[:, None, None, :])  # [B, h, L, D/h]
        return self.out(y.transpose(1, 2).reshape(b, length, dim)) * mask.any(1)[:, None, None]  # [B, L, D]


class EncoderBlock(nn.Module):
    """Position encoding, then each sublayer ``x + dropout(f(layernorm(x)))`` (``x`` if dropped)."""

    def __init__(self, dim: int, convs: int, kernel: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.convs = nn.ModuleList(SeparableConv(dim, kernel) for _ in range(convs))
        self.attention = SelfAttention(dim, heads)
        self.ffn = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))
        self.norms = nn.ModuleList(nn.LayerNorm(dim) for _ in range(convs + 2))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, mask: Tensor, drop: Sequence[float]) -> Tensor:
        """``[B, L, D]``, mask ``[B, L]``, a drop probability per sublayer -> ``[B, L, D]``, 0 at padding."""
        x = x + position_encoding(x.shape[1], x.shape[2]).to(x)  # [B, L, D]
        sublayers = [*self.convs, self.attention, lambda y, _: self.ffn(y)]
        for f, norm, p in zip(sublayers, self.norms, drop, strict=True):
            if not (self.training and p > 0 and torch.rand(()).item() < p):
                x = x + self.dropout(f(norm(x), mask))  # [B, L, D]
        return x * mask[:, :, None]


@register("read", "qanet")
class QANet(Reader):
    """QANet (see the module docstring)."""

    Config = QANetConfig

    def __init__(self, config: QANetConfig, vocab) -> None:
        super().__init__(config, vocab)
        c, d = config, config.hidden
        self.dropout = nn.Dropout(c.dropout)
        self.char_cnn = self.char_encoder(c.dropout / 2)
        self.highway = Highway(c.embed_dim + c.char_filters, c.highway_layers)
        self.embed_proj = nn.Linear(c.embed_dim + c.char_filters, d)
        self.embed_block = EncoderBlock(d, c.embed_convs, c.embed_kernel, c.heads, c.dropout)
        self.similarity = nn.Parameter(torch.empty(3 * d).uniform_(-(d**-0.5), d**-0.5))
        self.model_proj = nn.Linear(4 * d, d)
        self.model_blocks = nn.ModuleList(
            EncoderBlock(d, c.model_convs, c.model_kernel, c.heads, c.dropout) for _ in range(c.model_blocks)
        )
        self.start_head, self.end_head = (nn.Linear(2 * d, 1, bias=False) for _ in range(2))
        self.no_answer_head = nn.Linear(3 * d, 1) if c.no_answer else None

    def _drops(self, blocks: int, convs: int) -> list[list[float]]:
        """Stochastic depth: sublayer ``l = 1..L`` of a stack is dropped with ``l / L * layer_dropout``."""
        per, p = convs + 2, self.config.layer_dropout
        return [[(i * per + j + 1) / (blocks * per) * p for j in range(per)] for i in range(blocks)]

    def _encode(self, words: Tensor, chars: Tensor, mask: Tensor) -> Tensor:
        """``[B, L]``, ``[B, L, W]`` -> the embedding encoder's ``[B, L, d]``."""
        x = self.highway(torch.cat([self.dropout(self.embedding(words)), self.char_cnn(chars)], -1))
        drop = self._drops(1, self.config.embed_convs)[0]
        return self.embed_block(self.embed_proj(self.dropout(x)), mask, drop)

    def _model(self, x: Tensor, mask: Tensor) -> Tensor:
        """One pass of the shared model-encoder stack: ``[B, T, d] -> [B, T, d]``."""
        drops = self._drops(len(self.model_blocks), self.config.model_convs)
        for block, drop in zip(self.model_blocks, drops, strict=True):
            x = block(x, mask, drop)
        return x

    def forward(
        self, question: Tensor, passage: Tensor, question_chars: Tensor, passage_chars: Tensor
    ) -> ReaderOutput:
        q_mask, p_mask = question != 0, passage != 0  # [B, J], [B, T]
        q = self._encode(question, question_chars, q_mask)  # [B, J, d]
        c = self._encode(passage, passage_chars, p_mask)  # [B, T, d]
        s = similarity(c, q, self.similarity)  # [B, T, J]
        s_bar = masked_softmax(s, q_mask[:, None, :], -1)  # [B, T, J] over question words
        s_bbar = masked_softmax(s, p_mask[:, :, None], 1)  # [B, T, J] over passage words
        a = torch.bmm(s_bar, q)  # [B, T, d]
        b = torch.bmm(s_bar, torch.bmm(s_bbar.transpose(1, 2), c))  # [B, T, d], (S̄ S̿ᵀ) C without [T, T]
        x = self.model_proj(self.dropout(torch.cat([c, a, c * a, c * b], -1)))  # [B, T, d]
        m0 = self._model(x, p_mask)  # [B, T, d]; the same stack thrice
        m1 = self._model(m0, p_mask)  # [B, T, d]
        m2 = self._model(m1, p_mask)  # [B, T, d]
        start = self.start_head(torch.cat([m0, m1], -1)).squeeze(-1)  # [B, T]
        end = self.end_head(torch.cat([m0, m2], -1)).squeeze(-1)  # [B, T]
        pooled = masked_max(torch.cat([m0, m1, m2], -1), p_mask[:, :, None], 1)  # [B, 3d]
        no_answer = None if self.no_answer_head is None else self.no_answer_head(pooled).squeeze(-1)  # [B]
        return ReaderOutput(start, end, no_answer)
