"""Weight-only int8 storage for shipped models: each row of a weight matrix as int8 with one float32
scale (symmetric absmax per output row, the scheme of LLM.int8()'s row-wise quantisation, Dettmers
et al. 2022, without its outlier split), dequantised to floating point when the model loads.

Only the file shrinks (about 4x against float32, 2x against float16); the model computes in its usual
precision, so no quantised kernels are involved. Written here because the libraries that quantise
torch models (``torch.ao`` dynamic quantisation, torchao, optimum-quanto) keep packed tensor
subclasses that safetensors cannot store without pickle, and this needs ten lines. What it costs in
accuracy is measured, not assumed (BENCHMARKS.md, the packaged readers).
"""

from __future__ import annotations

import torch
from torch import Tensor

SCALE = ":scale"  # key suffix of a quantised matrix's row scales (":" never occurs in torch names)
MIN_VALUES = 4096  # smaller matrices (heads, segment tables) stay in floating point


def quantizable(tensor: Tensor) -> bool:
    """A floating-point matrix worth quantising."""
    return tensor.is_floating_point() and tensor.dim() == 2 and tensor.numel() >= MIN_VALUES


def quantize(tensors: dict[str, Tensor]) -> dict[str, Tensor]:
    """``tensors`` with every :func:`quantizable` matrix ``w`` ``[R, C]`` replaced by ``w`` as int8
    ``[R, C]`` and ``w:scale`` ``[R, 1]`` float32 (``w ~ int8 * scale``); others unchanged."""
    out = {}
    for name, w in tensors.items():
        if not quantizable(w):
            out[name] = w
            continue
        w = w.float()
        scale = w.abs().amax(dim=1, keepdim=True).clamp_min(1e-12) / 127  # [R, 1]
        out[name] = torch.round(w / scale).clamp(-127, 127).to(torch.int8)
        out[name + SCALE] = scale
    return out


def dequantize(tensors: dict[str, Tensor]) -> dict[str, Tensor]:
    """The inverse of :func:`quantize` (float32 matrices); tensors without scales pass through."""
    out = {k: v for k, v in tensors.items() if not k.endswith(SCALE)}
    for key, scale in tensors.items():
        if key.endswith(SCALE):
            name = key[: -len(SCALE)]
            if name not in out:
                raise ValueError(f"row scales {key!r} without their matrix")
            out[name] = out[name].float() * scale
    return out
