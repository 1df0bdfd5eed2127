"""Convolution helpers the CNN matchers share (ARC-I, ARC-II, MatchPyramid, Conv-KNRM).

Texts are right-padded, so a text's real words are a prefix of length ``n`` and "masking" reduces to
knowing ``n``: a window that starts at position ``i < n`` holds at least one real word, and after a
pooling of width 2 the real prefix is ``ceil(n / 2)`` long. :func:`dynamic_max_pool2d` is
MatchPyramid's dynamic pooling (Pang et al., AAAI 2016, §3.2): adaptive max pooling of each matrix
over its own real ``n x m`` corner, so padded rows and columns never enter a pooled region.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def length_mask(lengths: Tensor, size: int) -> Tensor:
    """``[B, size]`` boolean mask, True at positions ``< lengths`` (the real prefix)."""
    return torch.arange(size, device=lengths.device) < lengths[:, None]


def trim(ids: Tensor) -> Tensor:
    """``[B, L] -> [B, L']``: drop the trailing positions that are padding in every row (keeping one),
    so a batch of short texts costs what its longest text costs, not what ``max_len`` does. Exact
    for every layer here, since padding is masked out of each of them."""
    longest = int((ids != 0).sum(1).max()) if ids.numel() else 0
    return ids[:, : max(longest, 1)]


def conv1d_right(x: Tensor, conv: nn.Conv1d) -> Tensor:
    """``[B, L, E] -> [B, L, F]``: window ``i`` covers positions ``i .. i+k-1``, zero-padded past the
    end, so on a right-padded text window ``i`` holds a real word exactly when ``i < n``."""
    k = conv.kernel_size[0]
    return conv(F.pad(x.transpose(1, 2), (0, k - 1))).transpose(1, 2)


def halve(lengths: Tensor) -> Tensor:
    """Real lengths after a width-2 pooling with ``ceil_mode``: ``ceil(n / 2)``."""
    return (lengths + 1) // 2


def pooled_size(length: int, layers: int) -> int:
    """A padded length after ``layers`` width-2 poolings with ``ceil_mode``."""
    for _ in range(layers):
        length = (length + 1) // 2
    return length


def mlp_head(in_features: int, hidden: int, dropout: float) -> nn.Sequential:
    """The MLP (one hidden ReLU layer) ARC-I, ARC-II and MatchPyramid put on their conv stacks:
    ``[B, in] -> [B, 1]``.

    The output layer has no bias: the ranking losses these models train with (hinge, softmax over a
    group) cannot see a shift shared by every score, so such a bias would never learn.
    """
    return nn.Sequential(
        nn.Dropout(dropout), nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, 1, bias=False)
    )


def pool_regions(lengths: Tensor, out: int) -> tuple[Tensor, Tensor]:
    """Start (inclusive) and end (exclusive) of the ``out`` regions that tile ``[0, n)`` for each
    real length ``n``: ``[B, out]`` each.

    Region ``i`` is ``[floor(i n / out), ceil((i + 1) n / out))``, the rule of PyTorch's adaptive
    pooling applied to the real length instead of the padded one. Every region is non-empty when
    ``n >= 1`` (for ``n < out`` words repeat across regions); all are empty when ``n = 0``.
    """
    i = torch.arange(out, device=lengths.device)
    n = lengths[:, None]
    return (i * n) // out, ((i + 1) * n + out - 1) // out


def _pool_last(x: Tensor, lengths: Tensor, out: int) -> Tensor:
    """Max of ``x``'s last axis over the :func:`pool_regions` of each batch row's length:
    ``[B, ..., L] -> [B, ..., out]``; 0 where a row's length is 0."""
    b, size = x.shape[0], x.shape[-1]
    start, end = pool_regions(lengths, out)  # [B, out]
    width = min(size, -(-size // out) + 1)  # a region spans at most ceil(n / out) + 1 positions
    idx = start[..., None] + torch.arange(width, device=x.device)  # [B, out, W]
    # Indices past a region's end repeat its last position: duplicates leave the max unchanged.
    idx = torch.minimum(idx, (end - 1).clamp_min(0)[..., None])  # [B, out, W]
    lead = (1,) * (x.dim() - 2)
    idx = idx.reshape(b, *lead, out * width).expand(*x.shape[:-1], out * width)  # [B, ..., out*W]
    pooled = x.gather(-1, idx).unflatten(-1, (out, width)).amax(-1)  # [B, ..., out]
    return pooled.masked_fill((end == 0).reshape(b, *lead, out), 0.0)


def dynamic_max_pool2d(x: Tensor, rows: Tensor, cols: Tensor, size: tuple[int, int]) -> Tensor:
    """MatchPyramid's dynamic pooling: ``[B, C, Lq, Ld] -> [B, C, size[0], size[1]]``.

    Each matrix ``b`` is max-pooled over its real ``rows[b] x cols[b]`` corner, cut into
    ``size[0] x size[1]`` regions by :func:`pool_regions`; padded rows and columns never enter a
    region, and a matrix with no real row or column pools to 0. Max over a rectangle is a max over
    its rows of the max over its columns, so the two axes are pooled one after the other.
    """
    x = _pool_last(x, cols, size[1])  # [B, C, Lq, size1]
    x = _pool_last(x.transpose(-1, -2), rows, size[0])  # [B, C, size1, size0]
    return x.transpose(-1, -2)  # [B, C, size0, size1]
