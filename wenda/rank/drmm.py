"""DRMM: deep relevance matching model (Guo, Fan, Ai, Croft; CIKM 2016).

Each query term is compared with every document word by the cosine of their word vectors; the
cosines are binned into a fixed-length matching histogram, a feed-forward matching
network turns each term's histogram into a score, and a term gating network weighs the terms'
scores with a softmax over the query: ``s = sum_i g_i z_i``, ``g_i = softmax_i(w * x_i)``.

Paper choices followed: histograms of 30 bins, the last one holding exact matches only (the other
29 split [-1, 1) evenly); the three histogram variants, count (CH), normalized by the document length
(NH) and log count (LCH), selectable with ``histogram``; the gate's input either the term's IDF or its
term vector (TV), selectable with ``gate``; a 30-5-1 matching network with tanh on every layer; word
vectors frozen. Defaults are the paper's best, DRMM_LCH×IDF. We could not read the paper's
experimental section here to re-check its sizes: 30 bins and the 30-5-1 tanh network are the values
in MatchZoo's DRMM example (MatchZoo is by the paper's group), and the log is MatchZoo's
``log10(1 + count)`` (the paper only says "logarithm", and log 0 needs the +1).

IDF is ``ln((1 + N) / (1 + df))`` over the vocabulary's building corpus (``Vocab.df``, ``n_docs``):
never negative or zero-divided on small corpora; a word the corpus never saw (an OOV bucket, or a word
added from the embedding only) gets ``df = 0``, hence the largest IDF, ``ln(1 + N)``. Padding gets 0
and is masked out of the gate's softmax anyway.

Departures: histograms are computed inside ``forward`` from the (frozen) embedding table rather than
precomputed per pair, so the model reads plain word ids; exact matches are found by equal word ids
rather than a cosine of exactly 1 (see ``wenda.nn.matching``), and padding, which the model now sees,
is masked out of the counts, the length and the gate; the gate's weight starts at 1 (gates
proportional to ``1 / (1 + df)``) rather than at random; the paper's pairwise hinge loss is a training
setting and lives with the trainer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from wenda.nn import cosine_matrix, masked_softmax
from wenda.nn.matching import bin_sums, match_bins
from wenda.rank.base import Ranker, RankerConfig
from wenda.registry import register

HISTOGRAMS = {
    "ch": lambda counts, length: counts,
    "nh": lambda counts, length: counts / length.clamp_min(1.0)[:, None, None],
    "lch": lambda counts, length: torch.log10(1.0 + counts),
}


@dataclass
class DRMMConfig(RankerConfig):
    """Attributes: bins: histogram bins, the exact-match bin included; histogram: "ch", "nh" or "lch";
    gate: "idf" or "tv" (term vector); hidden: width of the matching network's hidden layer."""

    bins: int = 30
    histogram: str = "lch"
    gate: str = "idf"
    hidden: int = 5
    freeze_embeddings: bool = True


def idf_table(vocab) -> Tensor:
    """``ln((1 + N) / (1 + df))`` per vocabulary id ``[len(vocab)]``; 0 for padding (module docstring)."""
    df = torch.zeros(len(vocab), dtype=torch.float64)
    df[vocab.offset :] = torch.tensor(vocab.df, dtype=torch.float64)
    idf = torch.log((1.0 + vocab.n_docs) / (1.0 + df))
    idf[0] = 0.0
    return idf.float()


@register("rank", "drmm")
class DRMM(Ranker):
    """DRMM (see the module docstring)."""

    Config = DRMMConfig

    def __init__(self, config: DRMMConfig, vocab) -> None:
        super().__init__(config, vocab)
        if config.histogram not in HISTOGRAMS:
            raise ValueError(
                f"unknown DRMM histogram {config.histogram!r}; use one of: {', '.join(HISTOGRAMS)}"
            )
        if config.gate not in ("idf", "tv"):
            raise ValueError(f"unknown DRMM gate {config.gate!r}; use idf or tv")
        self.register_buffer("idf", idf_table(vocab), persistent=False)
        self.matching = nn.Sequential(
            nn.Linear(config.bins, config.hidden), nn.Tanh(), nn.Linear(config.hidden, 1), nn.Tanh()
        )
        if config.gate == "idf":
            self.gate_weight = nn.Parameter(torch.ones(1))
        else:
            self.gate_weight = nn.Parameter(
                torch.empty(config.embed_dim).uniform_(-1, 1) / math.sqrt(config.embed_dim)
            )

    def histogram(self, query: Tensor, doc: Tensor) -> Tensor:
        """Matching histograms ``[B, Lq, bins]`` of the configured variant (padding never counted)."""
        d_mask = (doc != 0).float()  # [B, Ld]
        sim = cosine_matrix(self.embedding(query), self.embedding(doc))  # [B, Lq, Ld]
        exact = query[:, :, None] == doc[:, None, :]  # [B, Lq, Ld]
        index = match_bins(sim, exact, self.config.bins)  # [B, Lq, Ld]
        counts = bin_sums(index, d_mask[:, None, :].expand_as(sim), self.config.bins)  # [B, Lq, bins]
        counts = counts * (query != 0)[:, :, None]  # [B, Lq, bins]
        return HISTOGRAMS[self.config.histogram](counts, d_mask.sum(1))  # [B, Lq, bins]

    def gates(self, query: Tensor) -> Tensor:
        """Term gates ``[B, Lq]``: a softmax over the real query terms, 0 on padding."""
        if self.config.gate == "idf":
            logits = self.gate_weight * self.idf[query]  # [B, Lq]
        else:
            logits = self.embedding(query) @ self.gate_weight  # [B, Lq]
        return masked_softmax(logits, query != 0, 1)  # [B, Lq]

    def forward(self, query: Tensor, doc: Tensor) -> Tensor:
        z = self.matching(self.histogram(query, doc)).squeeze(-1)  # [B, Lq]
        return (self.gates(query) * z).sum(1)  # [B]
