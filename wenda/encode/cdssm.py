"""CDSSM / CLSM as a dual encoder (Shen, He, Gao, Deng, Mesnil; CIKM 2014): per-word letter
trigrams, a 3-word convolution with tanh, max pooling over positions and a tanh semantic layer
(:class:`~wenda.nn.towers.CDSSMTower`; the paper's sizes and our factored convolution are
described in ``wenda.rank.cdssm``).

Trained as the paper trains it, a softmax over ``gamma * cosine``, with the batch's other passages
as the negatives (``wenda.encode.base``). Texts are padded to the batch's longest (at most
``max_query_len``/``max_passage_len`` words); padding positions are skipped by the max pooling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from torch import Tensor

from wenda.encode.base import Encoder, EncoderConfig
from wenda.nn import padded_length
from wenda.nn.towers import CDSSMTower
from wenda.nn.trigrams import word_trigram_ids_padded
from wenda.registry import register


@dataclass
class CDSSMEncoderConfig(EncoderConfig):
    """Attributes: hash_buckets: ids for trigrams not of ``a-z`` letters; trigram_dim: a word's
    projected trigram vector; window: words per n-gram (odd; paper 3); filters: convolution
    features (paper 300)."""

    hash_buckets: int = 8192
    trigram_dim: int = 300
    window: int = 3
    filters: int = 300


@register("encode", "cdssm")
class CDSSMEncoder(Encoder):
    """CDSSM's tower as a dual encoder (see the module docstring)."""

    Config = CDSSMEncoderConfig
    uses_embeddings = False

    def __init__(self, config: CDSSMEncoderConfig, vocab) -> None:
        super().__init__(config, vocab)
        c = config
        self.tower = CDSSMTower(c.hash_buckets, c.trigram_dim, c.window, c.filters, c.dim)

    def featurize(self, texts: Sequence[Sequence[str]], side: str) -> dict[str, Tensor]:
        """Per-word trigram ids ``ids`` ``[B, L, T]``, L the longest text (capped, at least 1)."""
        length = padded_length(map(len, texts), self.cap(side))
        return {"ids": word_trigram_ids_padded(texts, self.config.hash_buckets, length)}

    def forward(self, ids: Tensor) -> Tensor:
        return self.tower(ids)  # [B, dim]
