"""What DSSM and CDSSM share: letter-trigram word hashing (Huang et al., CIKM 2013, §3.2), their
initialization and the smoothing factor gamma on their cosine.

A word is wrapped in boundary marks, ``good -> #good#``, and cut into its letter trigrams
(``#go goo ood od#``); a text becomes the bag of its words' trigrams. Trigram ids need no vocabulary
file built from training data, so a saved model scores any text in any script:

* a trigram of lowercase letters ``a-z`` with ``#`` allowed at its ends (every trigram of a plain
  English word) gets an exact id from its digits, ``1 + (26 * i0 + j1) * 27 + i2`` with ``i`` the
  index in ``#a-z`` and ``j`` in ``a-z``: 27 * 26 * 27 = 18,954 ids and no collisions, so two words
  of different spelling never share a bag (the paper reports 22 such collisions in 500k words);
* every other trigram (digits, accented letters, Cyrillic, CJK bigrams) is hashed with murmur3 (the
  hash of the word vocabulary's OOV buckets) into ``buckets`` further ids.

Why not exact ids for digits too (37**3 = 50,653): the first layer's rows are every row the
optimizer updates at each step, and English needs only the letter part; 18,954 exact ids plus
8,192 buckets is about the paper's 30k-trigram layer, and trains twice as fast as 58,846 rows.
Numbers hash too: their 1,210 possible trigrams (``[#0-9][0-9][#0-9]``) among 8,192 buckets
rarely collide.

Id 0 is padding. Words are case-folded; the tokenizer already splits off punctuation.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import mmh3
import torch
from torch import Tensor, nn

_EDGE = {c: i for i, c in enumerate("#abcdefghijklmnopqrstuvwxyz")}  # first and last character
_MIDDLE = {c: i for i, c in enumerate("abcdefghijklmnopqrstuvwxyz")}  # a word's letter, never "#"
EXACT = len(_EDGE) * len(_MIDDLE) * len(_EDGE)  # 18,954
# CDSSM's per-word bags are padded to the batch's longest word; a pasted URL or a run of 500 letters
# must not widen every word of the batch, so a word's trigrams past this many are dropped there.
MAX_WORD_TRIGRAMS = 32


def trigram_space(buckets: int) -> int:
    """Number of trigram ids, padding included: ``1 + 18,954 + buckets``."""
    return 1 + EXACT + buckets


def letter_trigrams(word: str) -> list[str]:
    """The letter trigrams of ``#word#`` in order (one per character of the word; none if empty)."""
    marked = f"#{word.lower()}#"  # lower() may lengthen a word ("İ"), so count on the marked string
    return [marked[i : i + 3] for i in range(len(marked) - 2)] if word else []


def trigram_id(trigram: str, buckets: int) -> int:
    """Exact id of a trigram ``[#a-z][a-z][#a-z]``, else ``1 + 18,954 + murmur3(trigram) % buckets``."""
    if len(trigram) == 3:
        i0, j1, i2 = _EDGE.get(trigram[0]), _MIDDLE.get(trigram[1]), _EDGE.get(trigram[2])
        if i0 is not None and j1 is not None and i2 is not None:
            return 1 + (i0 * 26 + j1) * 27 + i2
    return 1 + EXACT + mmh3.hash(trigram, signed=False) % buckets


@lru_cache(maxsize=200_000)
def word_trigram_ids(word: str, buckets: int) -> tuple[int, ...]:
    """Ids of the word's trigrams, in order, repeats kept (cached: words recur across batches)."""
    return tuple(trigram_id(t, buckets) for t in letter_trigrams(word))


def _pad(rows: Sequence[Sequence[float]], dtype: torch.dtype) -> Tensor:
    """``[N, max(1, longest row)]`` tensor of the rows, right-padded with 0."""
    width = max([1, *map(len, rows)])
    return torch.tensor([[*row, *[0] * (width - len(row))] for row in rows], dtype=dtype).view(
        len(rows), width
    )


def trigram_bags(texts: Sequence[Sequence[str]], buckets: int, max_words: int) -> tuple[Tensor, Tensor]:
    """Each text's bag of trigrams (its first ``max_words`` words) as distinct ids and their counts.

    Returns:
        ``ids`` ``[B, T]`` long (ascending per row, 0 = padding) and ``counts`` ``[B, T]`` float, T the
        most distinct trigrams in a text of the batch (at least 1).
    """
    ids, counts = [], []
    for words in texts:
        bag: dict[int, int] = {}
        for word in words[:max_words]:
            for t in word_trigram_ids(word, buckets):
                bag[t] = bag.get(t, 0) + 1
        keys = sorted(bag)
        ids.append(keys)
        counts.append([bag[k] for k in keys])
    return _pad(ids, torch.long), _pad(counts, torch.float32)


def word_trigram_ids_padded(texts: Sequence[Sequence[str]], buckets: int, length: int) -> Tensor:
    """Per-word trigram ids ``[B, length, T]`` (repeats kept, 0 = padding word or trigram), texts cut or
    padded to ``length`` words, T the most trigrams in a word of the batch (at least 1, at most
    :data:`MAX_WORD_TRIGRAMS`)."""
    words = [list(t[:length]) + [""] * (length - len(t[:length])) for t in texts]
    rows = [word_trigram_ids(w, buckets)[:MAX_WORD_TRIGRAMS] for row in words for w in row]
    flat = _pad(rows, torch.long)  # [B*L, T]
    return flat.view(len(texts), length, -1)


def add_gamma(module: nn.Module, gamma: float, learn: bool) -> None:
    """Give ``module`` a scalar ``gamma``, the softmax smoothing factor on its cosine (DSSM eq. 5): a
    trained parameter, or a buffer when fixed (saved either way, so a model reloads as it was saved)."""
    value = torch.tensor(float(gamma))
    if learn:
        module.gamma = nn.Parameter(value)
    else:
        module.register_buffer("gamma", value)


def xavier_(module: nn.Module) -> None:
    """DSSM's and CLSM's initialization: weights uniform in +-sqrt(6 / (fan_in + fan_out)), biases 0."""
    for name, p in module.named_parameters():
        if p.dim() >= 2:
            nn.init.xavier_uniform_(p)
        elif name.endswith("bias"):
            nn.init.zeros_(p)
