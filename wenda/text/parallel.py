"""Tokenize many texts on all cores: tokenization is the indexing bottleneck in pure Python."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from wenda.text.tokenize import Tokenizer, TokenizerConfig

_worker_tokenizer: Tokenizer | None = None
# Below this many texts the pool's start-up and pickling cost more than they save.
_MIN_PARALLEL = 20_000


def _init(config: dict) -> None:
    global _worker_tokenizer
    _worker_tokenizer = Tokenizer(TokenizerConfig.from_dict(config))


def _run(texts: list[str]) -> list[list[str]]:
    assert _worker_tokenizer is not None
    return [_worker_tokenizer.tokens(t) for t in texts]


def tokenize_batch(tokenizer: Tokenizer, texts: Sequence[str], workers: int | None = None) -> list[list[str]]:
    """``[tokenizer.tokens(t) for t in texts]``, spread over ``workers`` processes for big batches."""
    workers = workers or int(os.environ.get("WENDA_WORKERS", os.cpu_count() or 1))
    if workers <= 1 or len(texts) < _MIN_PARALLEL:
        return [tokenizer.tokens(t) for t in texts]
    size = -(-len(texts) // (workers * 4))
    chunks = [list(texts[i : i + size]) for i in range(0, len(texts), size)]
    with ProcessPoolExecutor(workers, initializer=_init, initargs=(tokenizer.config.to_dict(),)) as pool:
        return [toks for part in pool.map(_run, chunks) for toks in part]
