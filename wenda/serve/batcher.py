"""Micro-batching of concurrent requests: questions that arrive together are read together, and
documents added together are committed together.

A reader's forward pass over 30 passages costs far less than three over 10 (fuller matrices, one
Python round), and a retriever's commit costs about the same for one document as for fifty
(tantivy writes a segment and its index is opened again; TF-IDF writes a segment and may merge).
So the HTTP API does not serve those requests one by one: a worker
thread takes the first waiting request, gathers whatever else arrives within ``wait_ms`` (up to
``max_batch``), and serves the batch at once: questions with one
:meth:`~wenda.api.Wenda.ask_many` per group of identical settings (:class:`AskBatcher`), document
adds with one ingestion per request and one retriever sync for all (:class:`AddBatcher`). Each
request still gets exactly the answer or report it would get alone (``tests/test_pipeline.py``,
``tests/test_serve.py``); under no load it waits at most ``wait_ms`` more.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future
from itertools import groupby

from wenda.corpus.uploads import check_upload, save_upload
from wenda.serve.memory import release_free_memory

_STOP = object()


class MicroBatcher:
    """Serves ``_submit``-ted items in batches on one worker thread, holding ``lock`` (shared with
    the other routes) while it works; subclasses say how a batch is served (:meth:`_serve`)."""

    def __init__(self, qa, lock: threading.Lock, max_batch: int, wait_ms: float, name: str) -> None:
        self.qa, self.lock, self.max_batch, self.wait_s = qa, lock, max_batch, wait_ms / 1000
        self._queue: queue.Queue = queue.Queue()
        self._worker = threading.Thread(target=self._loop, name=name, daemon=True)
        self._worker.start()

    def _submit(self, item) -> Future:
        future: Future = Future()
        self._queue.put((item, future))
        return future

    def close(self) -> None:
        self._queue.put(_STOP)
        self._worker.join(timeout=30)

    def _loop(self) -> None:
        while (first := self._queue.get()) is not _STOP:
            batch, deadline = [first], time.monotonic() + self.wait_s
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is _STOP:
                    self._queue.put(_STOP)
                    break
                batch.append(item)
            live = [(item, f) for item, f in batch if f.set_running_or_notify_cancel()]
            if live:
                self._serve(live)

    def _serve(self, batch: list[tuple[object, Future]]) -> None:
        raise NotImplementedError

    def _locked(self, fn, batch: list[tuple[object, Future]], write: bool = False) -> None:
        """``fn(items)`` holding the lock, its i-th result (or exception) to the i-th future; an
        exception raised by ``fn`` itself goes to every future of the batch."""
        try:
            with self.lock:
                try:
                    results = fn([item for item, _ in batch])
                finally:
                    if write:  # freed heap pages go back to the system (wenda.serve.memory)
                        release_free_memory()
        except Exception as exc:  # noqa: BLE001 - handed to every waiting request
            results = [exc] * len(batch)
        for (_, future), result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)


class AskBatcher(MicroBatcher):
    """Questions answered in batches, one :meth:`~wenda.api.Wenda.ask_many` per group of
    identical settings."""

    def __init__(self, qa, lock: threading.Lock, max_batch: int = 16, wait_ms: float = 3.0) -> None:
        super().__init__(qa, lock, max_batch, wait_ms, "wenda-ask-batcher")

    def submit(self, question: str, passages: int | None, retriever: str | None, top: int) -> Future:
        """A future for the :class:`~wenda.types.AskResult`; a bad question fails at once (it must
        not fail the batch it would join)."""
        self.qa.collection.check_query(question)
        return self._submit(((passages, retriever, top), question))

    def _serve(self, batch: list) -> None:
        for settings, group in groupby(sorted(batch, key=lambda x: repr(x[0][0])), key=lambda x: x[0][0]):
            self._locked(lambda items, s=settings: self.qa.ask_many([q for _, q in items], *s), list(group))


class AddBatcher(MicroBatcher):
    """Document adds (``POST /v1/documents``) committed in batches: each request's documents are
    saved under ``uploads/`` and ingested in arrival order, with its own report, then the
    retrievers are synced once for the batch (:meth:`~wenda.collection.Collection.add_each`)."""

    def __init__(self, qa, lock: threading.Lock, max_batch: int = 32, wait_ms: float = 2.0) -> None:
        super().__init__(qa, lock, max_batch, wait_ms, "wenda-add-batcher")

    def submit(self, documents: list[tuple[str, str]]) -> Future:
        """A future for the request's :class:`~wenda.corpus.ingest.IngestReport`; a bad name or an
        empty text fails at once, before anything is saved."""
        for name, text in documents:
            check_upload(self.qa.collection.path, name, text)
        return self._submit(documents)

    def _serve(self, batch: list) -> None:
        self._locked(self._add, batch, write=True)

    def _add(self, requests: list[list[tuple[str, str]]]) -> list:
        col = self.qa.collection

        def saved(documents: list[tuple[str, str]]):
            return lambda: [save_upload(col.path, name, text) for name, text in documents]

        return col.add_each([saved(docs) for docs in requests])
