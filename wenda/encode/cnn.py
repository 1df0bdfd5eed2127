"""A convolutional sentence encoder over GloVe (Kim, EMNLP 2014; the sentence model of ARC-I, Hu
et al., NIPS 2014), as a dual encoder for retrieval.

Words -> GloVe vectors -> parallel 1-d convolutions of widths ``widths`` (``filters`` each, ReLU)
-> max over time of each filter -> a linear map to ``dim``. Kim used widths 3, 4, 5 with 100 filters
each over 300d word2vec; ours 1, 2, 3 (unigram to trigram matches matter most for short queries)
with 128 filters over 50d GloVe, and the final linear layer so the index size is a setting.
Padding positions never win the max (they are masked), so a text's vector does not depend on
how much padding its batch gave it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from wenda.encode.base import Encoder, EncoderConfig
from wenda.nn import masked_max
from wenda.registry import register


@dataclass
class CNNEncoderConfig(EncoderConfig):
    """Attributes: widths: convolution window sizes in words; filters: per width; dropout: on the
    word vectors and the pooled features."""

    widths: tuple[int, ...] = (1, 2, 3)
    filters: int = 128
    dropout: float = 0.1

    def __post_init__(self) -> None:
        self.widths = tuple(self.widths)  # JSON gives a list back


@register("encode", "cnn")
class CNNEncoder(Encoder):
    """Multi-width CNN + max pooling (see the module docstring)."""

    Config = CNNEncoderConfig

    def __init__(self, config: CNNEncoderConfig, vocab) -> None:
        super().__init__(config, vocab)
        c = config
        if not c.widths or min(c.widths) < 1:
            raise ValueError(f"widths must be positive window sizes, not {c.widths}")
        self.convs = nn.ModuleList(nn.Conv1d(c.embed_dim, c.filters, w, padding=w - 1) for w in c.widths)
        self.dropout = nn.Dropout(c.dropout)
        self.out = nn.Linear(c.filters * len(c.widths), c.dim)

    def forward(self, ids: Tensor) -> Tensor:
        lengths = (ids != 0).sum(1)  # [B] (texts are left-aligned)
        x = self.dropout(self.embedding(ids)).transpose(1, 2)  # [B, E, L]
        pooled = []
        for conv, w in zip(self.convs, self.config.widths, strict=True):
            h = torch.relu(conv(x)).transpose(1, 2)  # [B, L + w - 1, F]; window t ends at word t
            # Window t holds a real word when t - w + 1 < length: padding words are zero vectors,
            # like the convolution's own padding, so such windows do not depend on the batch.
            t = torch.arange(h.shape[1], device=ids.device)  # [L + w - 1]
            real = (t[None, :] < (lengths + w - 1)[:, None]) & (lengths > 0)[:, None]  # [B, L + w - 1]
            pooled.append(masked_max(h, real[:, :, None], dim=1))  # [B, F]
        return self.out(self.dropout(torch.cat(pooled, -1)))  # [B, dim]
