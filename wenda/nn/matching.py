"""Pieces that several interaction-based matchers share: binning a similarity matrix into per-query-term
histograms (DRMM, aNMM), masked k-max pooling (MV-LSTM), and the neural tensor layer (MV-LSTM,
Match-SRNN).

Bins follow DRMM's layout (Guo et al. 2016): ``bins - 1`` equal-width, left-closed bins over
[-1, 1) and one more bin, the last, for exact matches alone. Exact matches are decided by word id, not
by a cosine of 1: rounding makes a word's cosine with itself 0.99999994 as often as 1, and a word whose
vector is zero has cosine 0 with itself.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def match_bins(sim: Tensor, exact: Tensor, bins: int) -> Tensor:
    """Bin index of every cell of a similarity matrix ``[B, Lq, Ld]`` (long, same shape).

    Args:
        sim: similarities in [-1, 1] (values outside are clamped into the end bins).
        exact: True where the query and document word are the same word (their ids are equal).
        bins: number of bins, the exact-match bin included (at least 2).
    """
    if bins < 2:
        raise ValueError("need at least 2 bins (one soft, one for exact matches)")
    soft = torch.floor((sim.detach() + 1.0) / 2.0 * (bins - 1)).long().clamp(0, bins - 2)  # [B, Lq, Ld]
    return torch.where(exact, torch.full_like(soft, bins - 1), soft)  # [B, Lq, Ld]


def bin_sums(index: Tensor, values: Tensor, bins: int) -> Tensor:
    """Sum of ``values`` falling in each bin along the last axis: ``[B, Lq, Ld] -> [B, Lq, bins]``.

    With ``values`` the document mask as floats this is DRMM's count histogram; with the similarities
    themselves it is aNMM's bin sum. Differentiable in ``values`` (not in the bin assignment).
    """
    out = values.new_zeros(*index.shape[:-1], bins)  # [B, Lq, bins]
    return out.scatter_add(-1, index, values)  # [B, Lq, bins]


def masked_kmax(x: Tensor, mask: Tensor, k: int) -> Tensor:
    """The ``k`` largest values of ``x`` along its last axis among masked-in positions, sorted
    descending: ``[..., N] -> [..., k]``. Missing values (fewer than ``k`` real positions, or ``k > N``)
    are 0, so padding never enters the pool and an empty text gives zeros, not -inf."""
    filled = x.masked_fill(~mask, torch.finfo(x.dtype).min)  # [..., N]
    n = x.shape[-1]
    top, where = filled.topk(min(k, n), dim=-1)  # [..., min(k, N)]
    top = top.masked_fill(~mask.expand_as(x).gather(-1, where), 0.0)  # [..., min(k, N)]
    if n < k:
        top = torch.cat([top, top.new_zeros(*top.shape[:-1], k - n)], -1)  # [..., k]
    return top


class NeuralTensor(nn.Module):
    """Neural tensor interaction of every pair of positions (Socher et al. 2013's NTN, as MV-LSTM
    and Match-SRNN use it): ``s_c(u, v) = u^T M_c v + w_c^T [u; v] + b_c`` for ``c`` channels,
    ``[B, Lq, D] x [B, Ld, D] -> [B, C, Lq, Ld]``. The caller applies the non-linearity.

    ``linear=False`` drops the ``w_c^T [u; v]`` term, which with one channel is MV-LSTM's bilinear
    interaction ``u^T M v + b``. Slices start as the identity plus small noise, so every channel starts
    as a dot product (exact matches visible from the first step) and the noise tells the channels apart
    (MatchZoo-py's ``init_diag``).
    """

    def __init__(self, dim: int, channels: int, linear: bool = True) -> None:
        super().__init__()
        eye = torch.eye(dim).expand(channels, dim, dim)
        self.weight = nn.Parameter(eye + torch.empty(channels, dim, dim).uniform_(-0.05, 0.05) / dim**0.5)
        self.bias = nn.Parameter(torch.zeros(channels))
        self.proj_u = nn.Linear(dim, channels, bias=False) if linear else None
        self.proj_v = nn.Linear(dim, channels, bias=False) if linear else None

    def forward(self, u: Tensor, v: Tensor) -> Tensor:
        uw = torch.einsum("bid,cde->bcie", u, self.weight)  # [B, C, Lq, D]
        s = uw @ v.transpose(1, 2).unsqueeze(1)  # [B, C, Lq, Ld]
        if self.proj_u is not None:
            s = s + self.proj_u(u).transpose(1, 2)[..., None] + self.proj_v(v).transpose(1, 2)[:, :, None]
        return s + self.bias[:, None, None]  # [B, C, Lq, Ld]
