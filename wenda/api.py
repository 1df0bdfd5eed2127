"""The Python API: ``wenda.open(DIR)`` gives an index ready for ``.search`` and ``.ask``.

    import wenda
    with wenda.open("my-index") as qa:
        result = qa.ask("Which river flows through Paris?")
        print(result.answers[0].text, result.answers[0].hit.source)

Models load once, on first use (the reader on the first ``ask``), and are kept for later calls.
"""

from __future__ import annotations

import threading
from pathlib import Path

from wenda import pipeline
from wenda.collection import Collection
from wenda.config import Settings
from wenda.config import settings as load_settings
from wenda.types import AskResult, Hit


class Wenda:
    """An opened index with its models (see the module docstring).

    Args:
        path: the index directory (``wenda index`` made it).
        reader: a trained reader directory; default: the ``reader`` setting, else the packaged one.
        reranker: a trained ranker directory whose model re-ranks retrieved passages (optional).
        cfg: settings (default: :func:`wenda.config.settings`).
    """

    def __init__(
        self, path: str | Path, reader: str | Path | None = None, reranker: str | Path | None = None,
        cfg: Settings | None = None,
    ) -> None:  # fmt: skip
        self.settings = cfg or load_settings()
        self.collection = Collection.open(Path(path), self.settings)
        # the models' directories (None: the packaged reader; no reranker), as given
        self.reader_dir = reader if reader is not None else self.settings.reader
        self.reranker_dir = reranker
        self._reader = self._reranker = None
        self._lock = threading.Lock()  # models load once even when threads ask together

    @property
    def reader_name(self) -> str:
        """The reader as given (a directory or a packaged reader's name), ``"default"`` for the
        default packaged one: what results record as the reader used."""
        return str(self.reader_dir or "default")

    @property
    def reader(self):
        """The :class:`~wenda.read.answer.ReaderService`, loaded on first use."""
        with self._lock:
            if self._reader is None:
                from wenda.read.answer import load_reader

                self._reader = load_reader(self.reader_dir, precision=self.settings.reader_precision)
        return self._reader

    @property
    def reranker(self):
        """The :class:`~wenda.rank.reranker.Reranker` (None without one), loaded on first use."""
        with self._lock:
            if self._reranker is None and self.reranker_dir is not None:
                from wenda.rank.reranker import load_ranker

                self._reranker = load_ranker(Path(self.reranker_dir))
        return self._reranker

    def search(self, query: str, k: int = 10, retriever: str | None = None) -> list[Hit]:
        """The ``k`` best passages (re-ranked when the index was opened with a reranker)."""
        return pipeline.search(self.collection, query, k, retriever=retriever, reranker=self.reranker)

    def ask(
        self, question: str, passages: int | None = None, retriever: str | None = None, top: int = 3
    ) -> AskResult:
        """Answer ``question`` from the documents (:func:`wenda.pipeline.ask`)."""
        return self.ask_many([question], passages, retriever, top)[0]

    def ask_many(
        self, questions: list[str], passages: int | None = None, retriever: str | None = None, top: int = 3
    ) -> list[AskResult]:
        """:meth:`ask` for several questions, read together (:func:`wenda.pipeline.ask_many`)."""
        s = self.settings
        return pipeline.ask_many(
            self.collection, questions, self.reader, passages or s.ask_passages, retriever,
            self.reranker, top=top, min_confidence=s.ask_min_confidence, rank_prior=s.ask_rank_prior,
            context=s.ask_context,
        )  # fmt: skip

    def close(self) -> None:
        self.collection.close()

    def __enter__(self) -> Wenda:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open(path: str | Path, reader: str | Path | None = None, reranker: str | Path | None = None) -> Wenda:  # noqa: A001
    """Open the index at ``path`` for questions and searches (see :class:`Wenda`)."""
    return Wenda(path, reader, reranker)
