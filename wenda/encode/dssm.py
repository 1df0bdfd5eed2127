"""DSSM as a dual encoder (Huang, He, Gao, Deng, Acero, Heck; CIKM 2013): a text's bag of letter
trigrams through tanh layers to one semantic vector (:class:`~wenda.nn.towers.DSSMTower`).

The paper trains DSSM on click-through pairs with a softmax over ``gamma * cosine`` of one clicked
and four sampled unclicked titles; as an encoder it is trained here the same way with the other
passages of the batch as the negatives (``similarity = "cosine"``, ``scale`` = gamma, module
``wenda.encode.base``), and its vectors go to an inner-product index. Paper sizes: 30k trigrams ->
300 -> 300 -> 128, tanh (kept: ``hidden_dim``, ``hidden_layers``, ``dim``). Trigram ids are fixed,
with no vocabulary file (:mod:`wenda.nn.trigrams`, as in the ranker ``wenda.rank.dssm``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from torch import Tensor

from wenda.encode.base import Encoder, EncoderConfig
from wenda.nn.towers import DSSMTower
from wenda.nn.trigrams import trigram_bags
from wenda.registry import register


@dataclass
class DSSMEncoderConfig(EncoderConfig):
    """Attributes: hash_buckets: ids for trigrams not of ``a-z`` letters; hidden_dim,
    hidden_layers: the tanh layers' width and count (paper: 300, 2)."""

    hash_buckets: int = 8192
    hidden_dim: int = 300
    hidden_layers: int = 2


@register("encode", "dssm")
class DSSMEncoder(Encoder):
    """DSSM's tower as a dual encoder (see the module docstring)."""

    Config = DSSMEncoderConfig
    uses_embeddings = False

    def __init__(self, config: DSSMEncoderConfig, vocab) -> None:
        super().__init__(config, vocab)
        c = config
        self.tower = DSSMTower(c.hash_buckets, c.hidden_dim, c.hidden_layers, c.dim)

    def featurize(self, texts: Sequence[Sequence[str]], side: str) -> dict[str, Tensor]:
        """Trigram bags of the first ``cap(side)`` words: distinct ``ids`` ``[B, T]`` and ``counts``."""
        ids, counts = trigram_bags(texts, self.config.hash_buckets, self.cap(side))
        return {"ids": ids, "counts": counts}

    def forward(self, ids: Tensor, counts: Tensor) -> Tensor:
        return self.tower(ids, counts)  # [B, dim]
