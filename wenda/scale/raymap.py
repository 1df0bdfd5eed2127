"""``wenda index --ray ADDRESS``: the indexing stages that need CPU run as Ray Data tasks.

Ray Data (https://docs.ray.io/en/latest/data/data.html) streams the work through the cluster's
workers: reading, hashing, parsing and splitting files (:func:`wenda.corpus.ingest.prepare_file`),
and encoding passages for the dense and binary retrievers (an actor pool, each actor loading the
encoder once). What must stay in one place stays on the driver: the document store (one SQLite
writer, one transaction per batch of files, so a killed run still resumes) and the change-log
positions of the retrievers. Results come back in input order, so passage ids, and with them every
index, equal a run without Ray (tested).

Workers read the files and the encoder from the paths the driver gives them, so on a cluster those
paths must be on storage every node sees (NFS, a mounted bucket); on one machine nothing is needed.
``ADDRESS`` is what ``ray.init`` takes: ``auto`` (a cluster started with ``ray start``),
``ray://host:10001``, or ``local`` (start a Ray on this machine, ``--ray-workers`` CPUs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from wenda.errors import WendaError

_FILES_PER_TASK = 16
_PASSAGES_PER_TASK = 256


def connect(address: str, workers: int | None = None):
    """``ray`` connected to ``address`` (see the module docstring); results keep input order."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise WendaError("--ray needs Ray: pip install 'wenda[scale]'") from None
    if not ray.is_initialized():
        kwargs = {"num_cpus": workers} if address == "local" else {"address": address}
        try:
            ray.init(**kwargs, include_dashboard=False, log_to_driver=False, configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise WendaError(f"cannot reach the Ray cluster at {address!r}: {exc}") from None
    ray.data.DataContext.get_current().execution_options.preserve_order = True
    ray.data.DataContext.get_current().enable_progress_bars = False
    return ray


class _Apply:
    """A Ray Data batch function: ``fn`` on each item of the batch's ``item`` column."""

    def __init__(self, fn: Callable) -> None:
        self.fn = fn

    def __call__(self, batch: dict) -> dict:
        return {"out": np.array([self.fn(x) for x in batch["item"]] + [None], dtype=object)[:-1]}


def ray_mapper(address: str, workers: int | None = None) -> Callable[[Callable, Iterable], Iterator]:
    """A mapper for :class:`wenda.corpus.ingest.Ingestor`: ``fn`` over the items as Ray tasks."""
    ray = connect(address, workers)

    def mapper(fn: Callable, items: Iterable) -> Iterator:
        items = list(items)
        if not items:
            return iter(())
        blocks = max(1, -(-len(items) // _FILES_PER_TASK))
        ds = ray.data.from_items([{"item": x} for x in items], override_num_blocks=blocks)
        out = ds.map_batches(_Apply(fn), batch_size=_FILES_PER_TASK, concurrency=workers)
        return (row["out"] for row in out.iter_rows())

    return mapper


class _Encode:
    """An actor of the encoding pool: the encoder loaded once from ``model_dir``."""

    def __init__(self, model_dir: str, side: str) -> None:
        import wenda.encode  # noqa: F401 - registers the encoders
        from wenda.nn.modeldir import load_model
        from wenda.text import Tokenizer

        self.model, tokenizer = load_model(Path(model_dir), "encode")
        self.tokenizer, self.side = Tokenizer(tokenizer), side  # the encoder's, as the index uses

    def __call__(self, batch: dict) -> dict:
        tokens = [self.tokenizer.tokens(t) for t in batch["text"]]
        vectors = self.model.vectors(tokens, self.side, batch_size=len(tokens))
        return {"vector": list(vectors)}


def ray_encoder(address: str, workers: int | None = None) -> Callable[[str, list[str], str], np.ndarray]:
    """``encode(model_dir, texts, side) -> float32 [n, dim]`` on a pool of Ray actors."""
    ray = connect(address, workers)

    def encode(model_dir: str, texts: list[str], side: str) -> np.ndarray:
        blocks = max(1, -(-len(texts) // _PASSAGES_PER_TASK))
        ds = ray.data.from_items([{"text": t} for t in texts], override_num_blocks=blocks)
        out = ds.map_batches(
            _Encode, fn_constructor_kwargs={"model_dir": model_dir, "side": side},
            batch_size=_PASSAGES_PER_TASK, concurrency=workers or 1,
        )  # fmt: skip
        return np.stack([np.asarray(row["vector"], np.float32) for row in out.iter_rows()])

    return encode
