"""Small tensor helpers every matching model needs, written once.

Masks are boolean tensors, True at real tokens. Fully padded rows (an empty text) must not produce
NaN: every reduction here is safe on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
from torch import Tensor


def padded_length(lengths: Iterable[int], cap: int) -> int:
    """The length a batch is padded to: its longest row, capped at ``cap``, at least 1 (so an
    all-empty batch still makes a tensor)."""
    return max(1, min(cap, max(lengths, default=0)))


def pad_ids(rows: Sequence[Sequence[int]], length: int) -> Tensor:
    """``[B, length]`` long tensor: each row truncated or right-padded with 0 (the pad id)."""
    out = torch.zeros(len(rows), length, dtype=torch.long)
    for i, row in enumerate(rows):
        row = list(row)[:length]
        if row:
            out[i, : len(row)] = torch.as_tensor(row, dtype=torch.long)
    return out


def cosine_matrix(q: Tensor, d: Tensor, eps: float = 1e-8) -> Tensor:
    """Cosine similarity of every query and document position: ``[B, Lq, E] x [B, Ld, E] -> [B, Lq, Ld]``.

    Zero vectors (padding) give 0, not NaN.
    """
    qn = q / q.norm(dim=-1, keepdim=True).clamp_min(eps)
    dn = d / d.norm(dim=-1, keepdim=True).clamp_min(eps)
    return torch.bmm(qn, dn.transpose(1, 2))


def dot_matrix(q: Tensor, d: Tensor) -> Tensor:
    """Dot products of every query and document position: ``[B, Lq, E] x [B, Ld, E] -> [B, Lq, Ld]``."""
    return torch.bmm(q, d.transpose(1, 2))


def masked_mean(x: Tensor, mask: Tensor, dim: int) -> Tensor:
    """Mean of ``x`` over ``dim`` counting only positions where ``mask`` (broadcast to ``x``) is True."""
    mask = mask.to(x.dtype)
    return (x * mask).sum(dim) / mask.sum(dim).clamp_min(1.0)


def masked_max(x: Tensor, mask: Tensor, dim: int) -> Tensor:
    """Max of ``x`` over ``dim`` among masked-in positions; 0 where none is."""
    filled = x.masked_fill(~mask, torch.finfo(x.dtype).min)
    out = filled.max(dim).values
    return torch.where(mask.any(dim), out, torch.zeros_like(out))


def masked_softmax(x: Tensor, mask: Tensor, dim: int) -> Tensor:
    """Softmax of ``x`` over ``dim`` with masked-out positions at 0 (all-masked rows give all 0)."""
    filled = x.masked_fill(~mask, torch.finfo(x.dtype).min)
    return torch.softmax(filled, dim) * mask.to(x.dtype)


def state_tensors(module: torch.nn.Module) -> dict[str, Tensor]:
    """The module's persistent tensors on the CPU, contiguous and unshared (safetensors refuses
    shared storage), ready to save."""
    return {k: v.detach().cpu().contiguous().clone() for k, v in module.state_dict().items()}
