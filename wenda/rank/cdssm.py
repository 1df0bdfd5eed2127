"""CDSSM / CLSM: a latent semantic model with convolutional-pooling structure (Shen, He, Gao, Deng,
Mesnil; CIKM 2014).

Each word becomes its letter-trigram count vector (DSSM's word hashing, :mod:`wenda.nn.trigrams`);
a window of three words (a word-n-gram, with empty padding words at the text's ends) is the
concatenation of their trigram vectors, which a convolution with tanh maps to a 300-d local feature
per word position; max pooling over the positions keeps each feature's most salient n-gram, and a
tanh semantic layer gives the 128-d text vector. The score is the cosine of the query's and text's
vectors scaled by gamma, the smoothing factor of the softmax training objective (paper §3), so the
trainer's ``softmax`` loss is the paper's. Paper hyper-parameters we follow: window 3, 300
convolution filters, 128 semantic units, tanh, no bias terms (``h_t = tanh(W_c l_t)``,
``y = tanh(W_s v)``), weights uniform in +-sqrt(6 / (fan_in + fan_out)), one network for queries
and texts. MatchZoo-py's CDSSM uses 32 filters with ReLU; we keep the paper's sizes.

Departures: the convolution matrix W_c (300 x 3 * 30k in the paper) is factored into a trigram
projection shared by the window's three words (``nn.EmbeddingBag``, trigrams -> ``trigram_dim``)
and a ``3 * trigram_dim -> 300`` convolution, so W_c's three blocks share a ``trigram_dim``-d row
space: at 300 this is 8.4M parameters, not 24M, and trains twice as fast on a CPU;
``trigram_dim = 3 * filters`` allows any W_c, as in the paper. The trigram id space is fixed
(18,954 exact ids for ``a-z`` trigrams plus ``hash_buckets`` murmur3 buckets, no vocabulary file;
see DSSM), a word keeps at most 32 trigrams, and texts are cut at ``max_query_len``/``max_doc_len``
words. Max pooling skips padding positions. Gamma, tuned on held-out data in the paper, is fixed at
10 as in our DSSM (``learn_gamma`` trains it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch.nn.functional as F
from torch import Tensor

from wenda.nn.towers import CDSSMTower
from wenda.nn.trigrams import add_gamma, word_trigram_ids_padded
from wenda.rank.base import Ranker, RankerConfig
from wenda.registry import register


@dataclass
class CDSSMConfig(RankerConfig):
    """Attributes: hash_buckets: ids for trigrams not of ``a-z`` letters; trigram_dim: size of a word's
    projected trigram vector (the factor of W_c); window: words per n-gram (odd); filters:
    convolution features (paper: 300); semantic_dim: the text vector's size (128); gamma: the
    softmax smoothing factor scaling the cosine; learn_gamma: train gamma too."""

    hash_buckets: int = 8192
    trigram_dim: int = 300
    window: int = 3
    filters: int = 300
    semantic_dim: int = 128
    gamma: float = 10.0
    learn_gamma: bool = False


@register("rank", "cdssm")
class CDSSM(Ranker):
    """CDSSM (see the module docstring)."""

    Config = CDSSMConfig
    uses_embeddings = False

    def __init__(self, config: CDSSMConfig, vocab) -> None:
        super().__init__(config, vocab)
        c = config
        self.tower = CDSSMTower(c.hash_buckets, c.trigram_dim, c.window, c.filters, c.semantic_dim)
        add_gamma(self, config.gamma, config.learn_gamma)

    def featurize(self, queries: Sequence[Sequence[str]], docs: Sequence[Sequence[str]]) -> dict[str, Tensor]:
        """Per-word trigram ids: ``query`` ``[B, max_query_len, T]`` and ``doc`` ``[B, max_doc_len, T]``
        (0 = padding; a padding word is all 0)."""
        buckets = self.config.hash_buckets
        return {
            "query": word_trigram_ids_padded(queries, buckets, self.config.max_query_len),
            "doc": word_trigram_ids_padded(docs, buckets, self.config.max_doc_len),
        }

    def forward(self, query: Tensor, doc: Tensor) -> Tensor:
        q = self.tower(query)  # [B, S]
        d = self.tower(doc)  # [B, S]
        return self.gamma * F.cosine_similarity(q, d, dim=-1, eps=1e-8)  # [B]
