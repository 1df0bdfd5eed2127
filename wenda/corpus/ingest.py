"""Bring files into the document store: walk, skip what is unchanged, read, split, write in batches.

Each batch of files is one store transaction, so a run killed at any point leaves whole files in or
out; re-running skips what is already stored (same size and mtime, or same content hash) and finishes
the rest. Bad files are reported one line each and skipped; the run goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from wenda.corpus.loaders import iter_files, parse_documents, read_file
from wenda.corpus.split import split_passages
from wenda.corpus.store import Store, content_hash
from wenda.errors import IngestError
from wenda.types import Document

# A batch also closes early at this many passages, bounding memory on huge files.
_BATCH_PASSAGES = 20_000


@dataclass
class IngestReport:
    """What an ingestion run did; ``failed`` and ``warnings`` hold ``(path, message)`` lines."""

    seen: int = 0
    unchanged: int = 0
    updated: int = 0
    docs_added: int = 0
    docs_removed: int = 0
    files_removed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """False only when files were given but none could be indexed."""
        return not (self.failed and self.unchanged + self.updated == 0)


@dataclass(frozen=True)
class SplitSettings:
    """Passage windows: target words and overlap."""

    words: int = 100
    overlap: int = 20
    max_bytes: int = 50 * 1024 * 1024
    batch_files: int = 256


Notify = Callable[[str, str], None]
# How file preparation is spread: ``mapper(fn, items)`` yields ``fn(item)`` for each item, in order
# (the built-in ``map`` here; a Ray Data pipeline with ``wenda index --ray``: wenda.scale).
Mapper = Callable[[Callable, Iterable], Iterator]


@dataclass(frozen=True)
class Prepared:
    """One file read, hashed, parsed and split (or why not): what the store needs to take it."""

    name: str
    size: int
    mtime: float
    digest: str = ""
    docs: list[Document] | None = None  # None: unchanged content (same digest) or failed
    spans: list[list[tuple[int, int]]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


def prepare_file(item: tuple[str, int, float, str | None], settings: SplitSettings) -> Prepared:
    """Read, hash, parse and split the file ``item = (name, size, mtime, known digest)``; touches
    no store, so it runs anywhere (a worker process, a Ray worker with the files on shared storage)."""
    name, size, mtime, known = item
    path = Path(name)
    try:
        data = read_file(path, settings.max_bytes)  # read once: hashed, then parsed
        digest = content_hash(data)
        if digest == known:
            return Prepared(name, size, mtime, digest)
        docs, warnings = parse_documents(path, data)
    except (IngestError, OSError) as exc:
        return Prepared(name, size, mtime, error=f"{name}: {exc}" if isinstance(exc, OSError) else str(exc))
    spans = [split_passages(d.text, settings.words, settings.overlap) for d in docs]
    return Prepared(name, size, mtime, digest, docs, spans, list(warnings))


def _quiet(kind: str, message: str) -> None:
    pass


class Ingestor:
    """Runs ingestion into one :class:`Store` with fixed :class:`SplitSettings`."""

    def __init__(
        self, store: Store, settings: SplitSettings, notify: Notify = _quiet, mapper: Mapper = map
    ) -> None:
        self.store = store
        self.settings = settings
        self.notify = notify
        self.mapper = mapper
        self.report = IngestReport()
        self._batch: list[Prepared] = []
        self._batch_passages = 0

    def add(self, paths: Iterable[Path], remove_missing: bool = True) -> IngestReport:
        """Index files and folders; with ``remove_missing``, forget stored files gone from the folders."""
        paths = [Path(p) for p in paths]
        files = iter_files(paths)  # checks every path before any work is done
        seen: set[str] = set()
        changed = (item for path in files if (item := self._changed(path, seen)) is not None)
        for prepared in self.mapper(partial(prepare_file, settings=self.settings), changed):
            self._take(prepared)
        self._flush()
        if remove_missing:
            for root in paths:
                if root.is_dir():
                    gone = [f for f in self.store.files(str(root.resolve())) if f not in seen]
                    self._remove(gone)
        return self.report

    def remove(self, paths: Iterable[Path]) -> IngestReport:
        """Forget stored files at or under ``paths`` (which need not exist any more)."""
        for root in paths:
            self._remove(self.store.files(str(Path(root).absolute().resolve())))
        return self.report

    def _remove(self, files: list[str]) -> None:
        if not files:
            return
        with self.store.transaction():
            for f in files:
                self.report.docs_removed += self.store.remove_file(f)
                self.report.files_removed += 1
                self.notify("removed", f)

    def _changed(self, path: Path, seen: set[str]) -> tuple[str, int, float, str | None] | None:
        """``(name, size, mtime, known digest)`` for a file to read, or None when its size and
        mtime are as stored (unchanged) or it cannot be read."""
        self.report.seen += 1
        name = str(path)
        seen.add(name)
        try:
            st = path.stat()
        except OSError as exc:
            self._fail(name, f"{name}: {exc}")
            return None
        known = self.store.file_state(name)
        if known and known[1] == st.st_size and known[2] == st.st_mtime:
            self.report.unchanged += 1
            return None
        return name, st.st_size, st.st_mtime, known[0] if known else None

    def _fail(self, name: str, message: str) -> None:
        self.report.failed.append((name, message))
        self.notify("failed", message)

    def _take(self, p: Prepared) -> None:
        if p.error is not None:
            self._fail(p.name, p.error)
            return
        if p.docs is None:  # same content, new mtime
            with self.store.transaction():
                self.store.touch_file(p.name, p.size, p.mtime)
            self.report.unchanged += 1
            return
        for w in p.warnings:
            self.report.warnings.append((p.name, w))
            self.notify("warning", f"{p.name}: {w}")
        self._batch.append(p)
        self._batch_passages += sum(map(len, p.spans))
        if len(self._batch) >= self.settings.batch_files or self._batch_passages >= _BATCH_PASSAGES:
            self._flush()

    def _flush(self) -> None:
        if not self._batch:
            return
        with self.store.transaction():
            for p in self._batch:
                added, removed = self.store.put_file(p.name, p.digest, p.size, p.mtime, p.docs, p.spans)
                self.report.docs_added += added
                self.report.docs_removed += removed
                self.report.updated += 1
        for p in self._batch:
            self.notify("indexed", p.name)
        self._batch, self._batch_passages = [], 0


def file_size_cap(max_file_mb: float) -> int:
    """Bytes for a cap given in MB."""
    return int(max_file_mb * 1024 * 1024)


__all__ = ["IngestReport", "Ingestor", "SplitSettings", "file_size_cap"]
