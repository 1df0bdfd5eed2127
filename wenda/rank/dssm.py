"""DSSM: the deep structured semantic model (Huang, He, Gao, Deng, Acero, Heck; CIKM 2013).

Word hashing turns a text into its bag of letter trigrams (``good -> #go goo ood od#``, counts kept;
see :mod:`wenda.nn.trigrams`); a multilayer tanh network maps the query's bag and the text's bag,
with the same weights, to 128-d semantic vectors, and the relevance is their cosine (paper §3).
Training maximizes the posterior of the clicked text among it and sampled unclicked ones, a softmax
over ``gamma * cosine``, so the score returned here is ``gamma * cosine`` and the trainer's
``softmax`` loss is exactly the paper's objective. Paper hyper-parameters we follow: 30k trigrams ->
300 -> 300 -> 128, tanh everywhere, weights uniform in +-sqrt(6 / (fan_in + fan_out)), biases 0
(§4). MatchZoo-py's DSSM keeps the 300-300-128 sizes (with ReLU).

Departures: the paper's trigram vocabulary is the ~30k trigrams of its training queries and titles;
ours is fixed and needs no vocabulary file: 18,954 exact ids for the trigrams of ``a-z`` words plus
``hash_buckets`` murmur3 buckets for the rest (digits, other scripts), about the paper's 30k rows,
so any Unicode text has a bag and ``len(vocab)`` plays no part. The sparse first layer is an
``nn.EmbeddingBag`` summing count-weighted rows, never a dense 27k-wide input. Texts are cut at
``max_query_len``/``max_doc_len`` words. The paper sets the smoothing factor gamma on held-out data
without reporting it; we fix it at 10 (Yih et al. 2014 use 5 with the same cosine posterior; a
cosine spans only [-1, 1], so a small gamma caps how confident the softmax can get);
``learn_gamma`` trains it instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch.nn.functional as F
from torch import Tensor

from wenda.nn.towers import DSSMTower
from wenda.nn.trigrams import add_gamma, trigram_bags
from wenda.rank.base import Ranker, RankerConfig
from wenda.registry import register


@dataclass
class DSSMConfig(RankerConfig):
    """Attributes: hash_buckets: ids for trigrams not of ``a-z`` letters; hidden_dim, hidden_layers:
    the tanh layers' width and count (paper: 300, 2); semantic_dim: the output vector's size (128);
    gamma: the softmax smoothing factor scaling the cosine; learn_gamma: train gamma too."""

    hash_buckets: int = 8192
    hidden_dim: int = 300
    hidden_layers: int = 2
    semantic_dim: int = 128
    gamma: float = 10.0
    learn_gamma: bool = False


@register("rank", "dssm")
class DSSM(Ranker):
    """DSSM (see the module docstring)."""

    Config = DSSMConfig
    uses_embeddings = False

    def __init__(self, config: DSSMConfig, vocab) -> None:
        super().__init__(config, vocab)
        self.tower = DSSMTower(
            config.hash_buckets, config.hidden_dim, config.hidden_layers, config.semantic_dim
        )
        add_gamma(self, config.gamma, config.learn_gamma)

    def featurize(self, queries: Sequence[Sequence[str]], docs: Sequence[Sequence[str]]) -> dict[str, Tensor]:
        """Trigram bags: distinct ids ``query``/``doc`` ``[B, T]`` (0 = padding) and their counts
        ``query_counts``/``doc_counts`` ``[B, T]``."""
        buckets = self.config.hash_buckets
        query, query_counts = trigram_bags(queries, buckets, self.config.max_query_len)
        doc, doc_counts = trigram_bags(docs, buckets, self.config.max_doc_len)
        return {"query": query, "query_counts": query_counts, "doc": doc, "doc_counts": doc_counts}

    def forward(self, query: Tensor, doc: Tensor, query_counts: Tensor, doc_counts: Tensor) -> Tensor:
        q = self.tower(query, query_counts)  # [B, S]
        d = self.tower(doc, doc_counts)  # [B, S]
        return self.gamma * F.cosine_similarity(q, d, dim=-1, eps=1e-8)  # [B]
