"""Character-level word encoders: a vocabulary-free character id scheme, a character CNN with
max-over-time pooling (Kim, Jernite, Sontag, Rush; AAAI 2016, "Character-Aware Neural Language
Models"; Kim, EMNLP 2014) and the highway network that follows it there and in BiDAF.

Character ids need no vocabulary file: a character with code point below 256 (ASCII and Latin-1)
gets ``1 + ord(c)``, any other ``257 + murmur3(c) % CHAR_BUCKETS``, and 0 is padding (``ord`` alone
would give NUL the padding id). Words are truncated to their first ``max_word_len`` characters.

Padding never changes a word's vector: the pad character embeds to zeros, window ``i`` of the
convolution covers characters ``i .. i+k-1`` zero-padded past the end (:func:`~wenda.nn.conv.conv1d_right`),
and only windows starting at a real character enter the max, so a word encodes the same however
long the batch's longest word is.
"""

from __future__ import annotations

from collections.abc import Sequence

import mmh3
import torch
from torch import Tensor, nn

from wenda.nn.conv import conv1d_right
from wenda.nn.layers import masked_max, padded_length

CHAR_BUCKETS = 256  # hash buckets for characters past Latin-1 (CJK, Cyrillic, emoji, ...)
N_CHARS = 1 + 256 + CHAR_BUCKETS  # padding + Latin-1 + buckets


def char_id(c: str) -> int:
    """The id of one character: ``1 + ord(c)`` below 256, else a murmur3 bucket past 256 (never 0)."""
    code = ord(c)
    return 1 + code if code < 256 else 257 + mmh3.hash(c, signed=False) % CHAR_BUCKETS


def char_ids(rows: Sequence[Sequence[str]], length: int, max_word_len: int) -> Tensor:
    """``[B, length, W]`` long tensor of character ids, W the longest kept word (at most
    ``max_word_len``, at least 1); rows are truncated to ``length`` words, words to W characters,
    and everything past them is 0."""
    rows = [list(r)[:length] for r in rows]
    width = padded_length((len(w) for r in rows for w in r), max_word_len)
    out = torch.zeros(len(rows), length, width, dtype=torch.long)
    for i, row in enumerate(rows):
        for j, word in enumerate(row):
            ids = [char_id(c) for c in word[:width]]
            if ids:
                out[i, j, : len(ids)] = torch.as_tensor(ids)
    return out


class CharCNN(nn.Module):
    """Character embeddings, one 1D convolution and a ReLU'd max over the windows that start at a
    real character: ``[B, L, W]`` ids -> ``[B, L, filters]`` (0 for a padded word)."""

    def __init__(self, dim: int, filters: int, width: int, dropout: float) -> None:
        super().__init__()
        self.embedding = nn.Embedding(N_CHARS, dim, padding_idx=0)
        self.dropout = nn.Dropout(dropout)
        self.conv = nn.Conv1d(dim, filters, width)

    def forward(self, chars: Tensor) -> Tensor:
        b, length, width = chars.shape
        flat = chars.reshape(b * length, width)  # [B*L, W]
        real = flat[:, 0] != 0  # [B*L] words with a character; padded words stay 0 and cost nothing
        words = flat[real]  # [N, W]
        x = self.dropout(self.embedding(words))  # [N, W, C]
        y = conv1d_right(x, self.conv)  # [N, W, F]
        pooled = torch.relu(masked_max(y, (words != 0)[:, :, None], 1))  # [N, F]
        out = pooled.new_zeros(b * length, self.conv.out_channels)  # [B*L, F]
        return out.index_put((real,), pooled).view(b, length, -1)  # [B, L, F]


class Highway(nn.Module):
    """``layers`` highway layers (Srivastava, Greff, Schmidhuber 2015) of constant width:
    ``y = t * relu(W_h x) + (1 - t) * x`` with the transform gate ``t = sigmoid(W_t x)``."""

    def __init__(self, dim: int, layers: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(dim, 2 * dim) for _ in range(layers))

    def forward(self, x: Tensor) -> Tensor:
        """``[..., D] -> [..., D]``."""
        for layer in self.layers:
            h, t = layer(x).chunk(2, -1)  # [..., D] each
            t = torch.sigmoid(t)
            x = t * torch.relu(h) + (1 - t) * x
        return x
