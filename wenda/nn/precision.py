"""Mixed precision for training and inference: ``fp32``, or ``bf16`` (``torch.autocast``: matrix
products in bfloat16, weights, optimiser state, reductions and losses in float32; Micikevicius et
al., "Mixed Precision Training", ICLR 2018). On a CPU with AVX-512 BF16 a MiniLM training step
takes 0.6 of the time (BENCHMARKS.md); recurrent readers gain little, since autocast leaves LSTMs and
GRUs in float32 on the CPU."""

from __future__ import annotations

import torch

from wenda.errors import WendaError

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16}


def check_precision(precision: str) -> str:
    """``precision`` if it is one of :data:`PRECISIONS`, else a :class:`WendaError`."""
    if precision not in PRECISIONS:
        raise WendaError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    return precision


def autocast(device: str | torch.device, precision: str):
    """A context running ``device``'s work in ``precision`` (a no-op for fp32)."""
    dtype = PRECISIONS[check_precision(precision)]
    return torch.autocast(torch.device(device).type, dtype=dtype, enabled=dtype is not None)
