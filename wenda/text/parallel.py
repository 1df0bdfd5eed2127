"""Tokenize many texts on all cores: tokenization is the indexing bottleneck in pure Python.

The worker processes are kept between calls (one pool per tokenizer configuration), so their
stemming caches stay warm across the batches of one indexing run and no pool is started per batch.
"""

from __future__ import annotations

import atexit
import json
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from wenda.text.tokenize import Tokenizer, TokenizerConfig

_worker_tokenizer: Tokenizer | None = None
# Below this many texts the pool's start-up and pickling cost more than they save.
_MIN_PARALLEL = 20_000
_POOLS: dict[tuple[str, int], ProcessPoolExecutor] = {}


def _init(config: dict) -> None:
    global _worker_tokenizer
    _worker_tokenizer = Tokenizer(TokenizerConfig.from_dict(config))


def _run(texts: list[str]) -> list[list[str]]:
    assert _worker_tokenizer is not None
    return [_worker_tokenizer.tokens(t) for t in texts]


def _pool(config: TokenizerConfig, workers: int) -> ProcessPoolExecutor:
    key = (json.dumps(config.to_dict(), sort_keys=True), workers)
    if key not in _POOLS:
        _POOLS[key] = ProcessPoolExecutor(workers, initializer=_init, initargs=(config.to_dict(),))
    return _POOLS[key]


@atexit.register
def shutdown() -> None:
    """Stop the worker processes (also run at exit)."""
    for pool in _POOLS.values():
        pool.shutdown(cancel_futures=True)
    _POOLS.clear()


def tokenize_batch(tokenizer: Tokenizer, texts: Sequence[str], workers: int | None = None) -> list[list[str]]:
    """``[tokenizer.tokens(t) for t in texts]``, spread over ``workers`` processes for big batches."""
    workers = workers or int(os.environ.get("WENDA_WORKERS", os.cpu_count() or 1))
    if workers <= 1 or len(texts) < _MIN_PARALLEL:
        return [tokenizer.tokens(t) for t in texts]
    size = -(-len(texts) // (workers * 4))
    chunks = [list(texts[i : i + size]) for i in range(0, len(texts), size)]
    return [toks for part in _pool(tokenizer.config, workers).map(_run, chunks) for toks in part]
