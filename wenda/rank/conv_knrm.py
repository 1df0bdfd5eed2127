"""Conv-KNRM: convolutional kernel-based neural ranking of n-grams (Dai, Xiong, Callan, Liu; WSDM 2018).

K-NRM's kernels applied to n-grams (paper §3): convolutions of 1, 2, ..., h words with ReLU turn the
word vectors of query and text into n-gram vectors (one convolution per n-gram length, shared by
query and text); every query n-gram length is cross-matched with every text n-gram length by cosine
similarity (``h x h`` translation matrices); each matrix is kernel-pooled into K log soft-TF
features exactly as in K-NRM (:func:`wenda.rank.knrm.kernel_pooling`), and a linear layer with tanh
scores the ``h^2 K`` features.

Hyper-parameters followed: n-grams of 1 to 3 words, 128 filters, ReLU, and K-NRM's 11 kernels (one
exact-match kernel mu = 1, sigma = 1e-3, ten soft ones mu = 0.9 .. -0.9, sigma = 0.1), as the paper
and MatchZoo's WikiQA configuration (``conv_knrm_wikiqa.config``: num_filters 128, kernel_num
11, sigma 0.1, exact_sigma 0.001, max_ngram 3, if_crossmatch true). ``crossmatch=False`` matches
only n-grams of equal length (MatchZoo's ``use_crossmatch``).

Padding: convolution windows run off a text's end into zero vectors, and an n-gram is real when it
starts on a real word and is complete, or when it is the one (padded) n-gram of a text shorter than
n; only real n-grams enter the kernel sums and the query sum. Departures: that masking (MatchZoo-py
counts padded positions); log soft-TF clamped at 1e-10 and scaled by 0.01, as in our K-NRM.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wenda.nn.conv import conv1d_right, length_mask, trim
from wenda.rank.base import Ranker, RankerConfig
from wenda.rank.knrm import kernel_centers, kernel_pooling
from wenda.registry import register


@dataclass
class ConvKNRMConfig(RankerConfig):
    """Attributes: filters: n-gram vector size; max_ngram: n-grams of 1 .. max_ngram words;
    crossmatch: match n-grams of different lengths too; kernels: number of kernels K (1 exact +
    K-1 soft); sigma: width of the soft ones; exact_sigma: width of the exact-match kernel."""

    filters: int = 128
    max_ngram: int = 3
    crossmatch: bool = True
    kernels: int = 11
    sigma: float = 0.1
    exact_sigma: float = 1e-3


def ngram_mask(lengths: Tensor, n: int, size: int) -> Tensor:
    """``[B, size]``: True at the start of each real n-gram of a text of real length ``lengths``:
    the ``L - n + 1`` complete ones, or the single padded one of a non-empty text shorter than n."""
    count = (lengths - n + 1).clamp_min(0).maximum(lengths.clamp_max(1))  # [B]
    return length_mask(count, size)


@register("rank", "conv_knrm")
class ConvKNRM(Ranker):
    """Conv-KNRM (see the module docstring)."""

    Config = ConvKNRMConfig

    def __init__(self, config: ConvKNRMConfig, vocab) -> None:
        super().__init__(config, vocab)
        self.convs = nn.ModuleList(
            nn.Conv1d(config.embed_dim, config.filters, n) for n in range(1, config.max_ngram + 1)
        )
        mu = torch.tensor(kernel_centers(config.kernels))
        sigma = torch.full_like(mu, config.sigma)
        sigma[0] = config.exact_sigma
        self.register_buffer("mu", mu, persistent=False)
        self.register_buffer("sigma", sigma, persistent=False)
        n = config.max_ngram
        pairs = [(a, b) for a in range(n) for b in range(n) if config.crossmatch or a == b]
        self.register_buffer("q_gram", torch.tensor([a for a, _ in pairs]), persistent=False)
        self.register_buffer("d_gram", torch.tensor([b for _, b in pairs]), persistent=False)
        self.out = nn.Linear(len(pairs) * config.kernels, 1)

    def _ngrams(self, ids: Tensor) -> tuple[Tensor, Tensor]:
        """Unit-length n-gram vectors ``[B, N, L, F]`` and their masks ``[B, N, L]`` (n = 1 .. N)."""
        ids = trim(ids)  # padding is masked out of the kernel sums: compute the real span only
        x, lengths = self.embedding(ids), (ids != 0).sum(1)  # [B, L, E], [B]
        grams = torch.stack([torch.relu(conv1d_right(x, conv)) for conv in self.convs], 1)  # [B, N, L, F]
        masks = torch.stack([ngram_mask(lengths, n, ids.shape[1]) for n in range(1, len(self.convs) + 1)], 1)
        return F.normalize(grams, dim=-1), masks  # [B, N, L, F], [B, N, L]

    def forward(self, query: Tensor, doc: Tensor) -> Tensor:
        q, q_mask = self._ngrams(query)  # [B, N, Lq, F], [B, N, Lq]
        d, d_mask = self._ngrams(doc)  # [B, N, Ld, F], [B, N, Ld]
        q, q_mask = q[:, self.q_gram], q_mask[:, self.q_gram]  # [B, P, Lq, F], [B, P, Lq]
        d, d_mask = d[:, self.d_gram], d_mask[:, self.d_gram]  # [B, P, Ld, F], [B, P, Ld]
        sim = torch.matmul(q, d.transpose(-1, -2))  # [B, P, Lq, Ld], cosine (unit vectors)
        feats = kernel_pooling(
            sim.flatten(0, 1), q_mask.flatten(0, 1).float(), d_mask.flatten(0, 1).float(), self.mu, self.sigma
        )  # [B * P, K]
        return torch.tanh(self.out(feats.view(query.shape[0], -1))).squeeze(-1)  # [B]
