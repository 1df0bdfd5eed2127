"""Micro-batching of concurrent questions: requests that arrive together are read together.

A reader's forward pass over 30 passages costs far less than three over 10 (fuller matrices, one
Python round), so the HTTP API does not read each request on its own: a worker thread takes the
first waiting question, gathers whatever else arrives within ``wait_ms`` (up to ``max_batch``),
and answers them with one :meth:`~wenda.api.Wenda.ask_many` per group of identical settings. Each
request still gets exactly the answer it would get alone (``tests/test_pipeline.py``); under no load
it waits at most ``wait_ms`` more.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future
from itertools import groupby

_STOP = object()


class AskBatcher:
    """Answers ``submit``-ted questions in batches on one worker thread, holding ``lock`` (shared
    with the other routes) while it works."""

    def __init__(self, qa, lock: threading.Lock, max_batch: int = 16, wait_ms: float = 3.0) -> None:
        self.qa, self.lock, self.max_batch, self.wait_s = qa, lock, max_batch, wait_ms / 1000
        self._queue: queue.Queue = queue.Queue()
        self._worker = threading.Thread(target=self._loop, name="wenda-ask-batcher", daemon=True)
        self._worker.start()

    def submit(self, question: str, passages: int | None, retriever: str | None, top: int) -> Future:
        """A future for the :class:`~wenda.types.AskResult`; a bad question fails at once (it must
        not fail the batch it would join)."""
        self.qa.collection.check_query(question)
        future: Future = Future()
        self._queue.put(((passages, retriever, top), question, future))
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
            for settings, group in groupby(sorted(batch, key=lambda x: repr(x[0])), key=lambda x: x[0]):
                self._answer(settings, list(group))

    def _answer(self, settings: tuple, group: list) -> None:
        live = [(q, f) for _, q, f in group if f.set_running_or_notify_cancel()]
        if not live:
            return
        try:
            with self.lock:
                results = self.qa.ask_many([q for q, _ in live], *settings)
        except Exception as exc:  # noqa: BLE001 - handed to every waiting request
            for _, future in live:
                future.set_exception(exc)
            return
        for (_, future), result in zip(live, results, strict=True):
            future.set_result(result)
