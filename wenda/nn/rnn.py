"""Bidirectional recurrent encoders over trailing-padded batches, shared by the readers.

Not packed: on the CPU a packed LSTM/GRU's backward fills a zero tensor the size of the whole batch
for every time step (measured: ~80% of a reader's training step, e.g. DrQA 3.0 s -> see
BENCHMARKS.md). Padding is trailing, so a left-to-right RNN's states at real positions never see it;
the right-to-left RNN reads each row reversed within its own length (:func:`reverse_within`), so it
starts at the row's last real token. The result equals a packed bidirectional RNN's at every real
position, and is zero at padding.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


def reverse_within(x: Tensor, lengths: Tensor) -> Tensor:
    """Each row of ``[B, L, D]`` reversed over its first ``lengths[b]`` steps, padding left in place
    (so applying it twice gives ``x`` back)."""
    steps = torch.arange(x.shape[1], device=x.device)[None, :]  # [1, L]
    index = torch.where(steps < lengths[:, None], lengths[:, None] - 1 - steps, steps)  # [B, L]
    return x.gather(1, index[:, :, None].expand_as(x))  # [B, L, D]


class BiRNN(nn.Module):
    """A stacked bidirectional LSTM or GRU, dropout on each layer's input (see the module docstring).

    Args:
        input_size: D. hidden: units per direction. layers: depth. dropout: on each layer's input.
        cell: ``"lstm"`` or ``"gru"``.
    """

    def __init__(self, input_size: int, hidden: int, layers: int, dropout: float, cell: str = "lstm") -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, not {cell!r}")
        self.dropout = nn.Dropout(dropout)
        sizes = [input_size] + [2 * hidden] * (layers - 1)
        rnn = CELLS[cell]
        self.layers = nn.ModuleList(
            nn.ModuleList(rnn(d, hidden, batch_first=True) for _ in "lr") for d in sizes
        )

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """``[B, L, D]``, mask ``[B, L]`` -> ``[B, L, 2H]``, zero at padding."""
        lengths = mask.sum(1)  # [B]
        for right, left in self.layers:
            x = self.dropout(x)
            backward = reverse_within(left(reverse_within(x, lengths))[0], lengths)  # [B, L, H]
            x = torch.cat([right(x)[0], backward], -1) * mask[:, :, None]  # [B, L, 2H]
        return x
