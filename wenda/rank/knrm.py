"""K-NRM: kernel-based neural ranking (Xiong, Dai, Callan, Liu, Power; SIGIR 2017).

Word embeddings give a cosine translation matrix between query and text words; K RBF kernels turn
each query word's row into soft-TF counts ("how many text words are about this similar"), whose logs
are summed over query words into K features, and a linear layer with tanh scores them (paper §3,
eq. 1-4). Kernels: one exact-match kernel (mu = 1, sigma = 1e-3) and ten soft ones (mu = 0.9, 0.7,
..., -0.9; sigma = 0.1), as in the paper (§4.2).

Departures: padding is masked out of both the kernel sums and the query sum (the paper's code and
MatchZoo-py count padded positions, which shifts every feature by a constant per length); the log is
taken of soft-TF clamped at 1e-10 and scaled by 0.01 as in the authors' released code.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from wenda.nn import cosine_matrix
from wenda.rank.base import Ranker, RankerConfig
from wenda.registry import register


@dataclass
class KNRMConfig(RankerConfig):
    """Attributes: kernels: number of kernels K (1 exact + K-1 soft); sigma: width of the soft ones;
    exact_sigma: width of the exact-match kernel."""

    kernels: int = 11
    sigma: float = 0.1
    exact_sigma: float = 1e-3


def kernel_centers(kernels: int) -> list[float]:
    """Kernel means: 1.0 for exact match, then ``kernels - 1`` evenly spaced soft ones in (-1, 1)."""
    if kernels < 2:
        raise ValueError("K-NRM needs at least 2 kernels (one exact, one soft)")
    step = 2.0 / (kernels - 1)
    return [1.0] + [1.0 - step / 2 - i * step for i in range(kernels - 1)]


def kernel_pooling(sim: Tensor, q_mask: Tensor, d_mask: Tensor, mu: Tensor, sigma: Tensor) -> Tensor:
    """Log soft-TF features ``[B, K]`` from a similarity matrix ``[B, Lq, Ld]`` (K-NRM eq. 2-3)."""
    k = torch.exp(-((sim.unsqueeze(-1) - mu) ** 2) / (2 * sigma**2))  # [B, Lq, Ld, K]
    soft_tf = (k * d_mask[:, None, :, None]).sum(2)  # [B, Lq, K]
    logs = torch.log(soft_tf.clamp_min(1e-10)) * 0.01  # [B, Lq, K]
    return (logs * q_mask[:, :, None]).sum(1)  # [B, K]


@register("rank", "knrm")
class KNRM(Ranker):
    """K-NRM (see the module docstring)."""

    Config = KNRMConfig

    def __init__(self, config: KNRMConfig, vocab) -> None:
        super().__init__(config, vocab)
        mu = torch.tensor(kernel_centers(config.kernels))
        sigma = torch.full_like(mu, config.sigma)
        sigma[0] = config.exact_sigma
        self.register_buffer("mu", mu, persistent=False)
        self.register_buffer("sigma", sigma, persistent=False)
        self.out = nn.Linear(config.kernels, 1)

    def forward(self, query: Tensor, doc: Tensor) -> Tensor:
        q_mask, d_mask = query != 0, doc != 0  # [B, Lq], [B, Ld]
        sim = cosine_matrix(self.embedding(query), self.embedding(doc))  # [B, Lq, Ld]
        features = kernel_pooling(sim, q_mask.float(), d_mask.float(), self.mu, self.sigma)  # [B, K]
        return torch.tanh(self.out(features)).squeeze(-1)  # [B]
