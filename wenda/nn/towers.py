"""The text towers of DSSM (Huang et al., CIKM 2013) and CDSSM (Shen et al., CIKM 2014): a text's
letter trigrams -> one semantic vector. The rankers (``wenda.rank.dssm``, ``wenda.rank.cdssm``)
score the cosine of two towers' vectors; the dual encoders of first-stage retrieval
(``wenda.encode``) index the vectors themselves. Their papers, hyper-parameters and departures
are in those modules' docstrings; the trigram ids are :mod:`wenda.nn.trigrams`'.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from wenda.nn.layers import masked_max
from wenda.nn.trigrams import trigram_space, xavier_


class DSSMTower(nn.Module):
    """Trigram bag -> tanh(sum of count-weighted rows + bias) -> ``layers - 1`` tanh layers of
    ``hidden`` -> a tanh layer of ``out``: the paper's 30k -> 300 -> 300 -> 128."""

    def __init__(self, buckets: int, hidden: int, layers: int, out: int) -> None:
        super().__init__()
        if layers < 1:
            raise ValueError("DSSM needs at least one hidden layer (the one over the trigram bag)")
        self.trigrams = nn.EmbeddingBag(trigram_space(buckets), hidden, mode="sum", padding_idx=0)
        self.bias = nn.Parameter(torch.zeros(hidden))
        dims = [hidden] * layers + [out]
        self.layers = nn.Sequential(
            *[m for a, b in zip(dims[:-1], dims[1:], strict=True) for m in (nn.Linear(a, b), nn.Tanh())]
        )
        xavier_(self)

    def forward(self, ids: Tensor, counts: Tensor) -> Tensor:
        """Trigram bags: distinct ids ``[B, T]`` (0 = padding) and counts ``[B, T]`` -> ``[B, out]``."""
        hidden = torch.tanh(self.trigrams(ids, per_sample_weights=counts) + self.bias)  # [B, H]
        return self.layers(hidden)  # [B, out]


class CDSSMTower(nn.Module):
    """Per-word trigram vectors (``trigram_dim``) -> a ``window``-word convolution of ``filters``
    with tanh -> max over positions -> a tanh semantic layer of ``out``; no biases (the paper's)."""

    def __init__(self, buckets: int, trigram_dim: int, window: int, filters: int, out: int) -> None:
        super().__init__()
        if window < 1 or window % 2 == 0:
            raise ValueError(f"CDSSM's window must be an odd number of words, not {window}")
        self.trigrams = nn.EmbeddingBag(trigram_space(buckets), trigram_dim, mode="sum", padding_idx=0)
        # Zero padding of window // 2 words each side: the paper's padding words at the text's ends.
        self.conv = nn.Conv1d(trigram_dim, filters, window, padding=window // 2, bias=False)
        self.semantic = nn.Linear(filters, out, bias=False)
        xavier_(self)

    def forward(self, ids: Tensor) -> Tensor:
        """Per-word trigram ids ``[B, L, T]`` (a padding word is all 0) -> ``[B, out]``."""
        b, length, width = ids.shape
        mask = ids[:, :, 0] != 0  # [B, L]
        words = self.trigrams(ids.reshape(b * length, width)).view(b, length, -1)  # [B, L, D]
        local = torch.tanh(self.conv(words.transpose(1, 2))).transpose(1, 2)  # [B, L, K]
        pooled = masked_max(local, mask.unsqueeze(-1), dim=1)  # [B, K]
        return torch.tanh(self.semantic(pooled))  # [B, out]
