"""``wenda index --ray ADDRESS``: the indexing stages that need CPU run as Ray Data tasks.

Ray Data (https://docs.ray.io/en/latest/data/data.html) streams the work through the cluster's
workers: reading, hashing, parsing and splitting files (:func:`wenda.corpus.ingest.prepare_file`);
passages for the dense and binary retrievers are encoded by a pool of Ray actors, each loading the
encoder once and kept for the whole run. What must stay in one place stays on the driver: the document store (one SQLite
writer, one transaction per batch of files, so a killed run still resumes) and the change-log
positions of the retrievers. Results come back in input order, so passage ids, and with them every
index, equal a run without Ray (tested).

Workers read the files and the encoder from the paths the driver gives them, so on a cluster those
paths must be on storage every node sees (NFS, a mounted bucket); on one machine nothing is needed.
``ADDRESS`` is what ``ray.init`` takes: ``auto`` (a cluster started with ``ray start``),
``ray://host:10001``, or ``local`` (start a Ray on this machine, ``--ray-workers`` CPUs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
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
        out = [self.fn(x) for x in batch["item"]]
        # A 1-D object column however the results look (a trailing None stops numpy from making a
        # 2-D array of results that are sequences of equal length).
        return {"out": np.array([*out, None], dtype=object)[:-1]}


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


class _Held:
    """A Ray actor holding the object ``factory()`` makes, built once, on the worker."""

    def __init__(self, factory: Callable) -> None:
        self.obj = factory()

    def call(self, method: str, *args):
        return getattr(self.obj, method)(*args)


class RayPool:
    """A pool of Ray actors, one per worker (``workers``, else the cluster's CPUs), each holding
    ``factory()`` (a model, an opened index), kept between calls: :meth:`map` calls a method of the
    held objects on chunks of work, results in input order. :meth:`release` ends the actors,
    handing their CPUs back."""

    def __init__(self, address: str, workers: int | None, factory: Callable) -> None:
        from ray.util import ActorPool

        ray = self.ray = connect(address, workers)
        size = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._actors = [ray.remote(num_cpus=1)(_Held).remote(factory) for _ in range(size)]
        self._pool = ActorPool(self._actors)

    def map(self, method: str, chunks: Iterable, *args) -> Iterator:
        return self._pool.map(lambda a, chunk: a.call.remote(method, chunk, *args), list(chunks))

    def release(self) -> None:
        for actor in self._actors:
            self.ray.kill(actor)
        self._actors, self._pool = [], None


def shared_path(path: str | Path | None) -> str | None:
    """``path`` made absolute on the driver, as workers are handed it (they may start in another
    directory, or on another node where the same shared storage is mounted); None stays None."""
    return None if path is None else str(Path(path).resolve())


def chunked(items: Sequence, size: int) -> list[Sequence]:
    """``items`` in consecutive slices of ``size`` (the last may be shorter): units of work."""
    return [items[i : i + size] for i in range(0, len(items), size)]


@dataclass(frozen=True)
class RayTarget:
    """Where to run: ``address`` as :func:`connect` takes it, ``workers`` actors (None: the CPUs)."""

    address: str
    workers: int | None = None


def run_chunks(factory: Callable, method: str, chunks: Iterable, ray: RayTarget | None = None) -> Iterator:
    """``factory().method(chunk)`` for each chunk, in order: here, or on a pool of Ray actors
    (:class:`RayPool`) at ``ray``, each building its own ``factory()`` once. Evaluation uses it to
    spread questions over a cluster (``wenda eval ... --ray``)."""
    if ray is None:
        obj = factory()
        yield from (getattr(obj, method)(chunk) for chunk in chunks)
        return
    pool = RayPool(ray.address, ray.workers, factory)
    try:
        yield from pool.map(method, chunks)
    finally:
        pool.release()


class _Encoder:
    """One encoder, loaded once from ``model_dir``, on a Ray worker."""

    def __init__(self, model_dir: str) -> None:
        import wenda.encode  # noqa: F401 - registers the encoders
        from wenda.nn.modeldir import load_model
        from wenda.text import Tokenizer

        self.model, tokenizer = load_model(Path(model_dir), "encode")
        self.tokenizer = Tokenizer(tokenizer)  # the encoder's, as the index uses

    def encode(self, texts: list[str], side: str) -> np.ndarray:
        tokens = [self.tokenizer.tokens(t) for t in texts]
        return self.model.vectors(tokens, side, batch_size=len(tokens))


class RayEncoder:
    """``encoder(model_dir, texts, side) -> float32 [n, dim]`` on a :class:`RayPool` of encoders,
    kept between calls for the same model directory (an index build encodes in many steps; starting
    actors and loading the encoder once per step would cost more than the encoding).
    :meth:`release` ends the pool, handing its CPUs back for the next run's file preparation."""

    def __init__(self, address: str, workers: int | None = None) -> None:
        self.address, self.workers = address, workers
        connect(address, workers)
        self._dir, self._pool = None, None

    def __call__(self, model_dir: str, texts: list[str], side: str) -> np.ndarray:
        if model_dir != self._dir:  # a build renames its folder when done: a new pool there
            self.release()
            self._dir, self._pool = (
                model_dir,
                RayPool(self.address, self.workers, partial(_Encoder, model_dir)),
            )
        parts = self._pool.map("encode", chunked(texts, _PASSAGES_PER_TASK), side)
        return np.concatenate(list(parts)).astype(np.float32, copy=False)

    def release(self) -> None:
        if self._pool is not None:
            self._pool.release()
        self._dir, self._pool = None, None
