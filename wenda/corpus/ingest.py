"""Bring files into the document store: walk, skip what is unchanged, read, split, write in batches.

Each batch of files is one store transaction, so a run killed at any point leaves whole files in or
out; re-running skips what is already stored (same size and mtime, or same content hash) and finishes
the rest. Bad files are reported one line each and skipped; the run goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
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


def _quiet(kind: str, message: str) -> None:
    pass


class Ingestor:
    """Runs ingestion into one :class:`Store` with fixed :class:`SplitSettings`."""

    def __init__(self, store: Store, settings: SplitSettings, notify: Notify = _quiet) -> None:
        self.store = store
        self.settings = settings
        self.notify = notify
        self.report = IngestReport()
        self._batch: list[tuple[str, str, int, float, list[Document]]] = []
        self._batch_passages = 0

    def add(self, paths: Iterable[Path], remove_missing: bool = True) -> IngestReport:
        """Index files and folders; with ``remove_missing``, forget stored files gone from the folders."""
        paths = [Path(p) for p in paths]
        files = iter_files(paths)  # checks every path before any work is done
        seen: set[str] = set()
        for path in files:
            seen.add(str(path))
            self._one(path)
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

    def _one(self, path: Path) -> None:
        self.report.seen += 1
        name = str(path)
        try:
            st = path.stat()
            known = self.store.file_state(name)
            if known and known[1] == st.st_size and known[2] == st.st_mtime:
                self.report.unchanged += 1
                return
            data = read_file(path, self.settings.max_bytes)  # read once: hashed, then parsed
            digest = content_hash(data)
            if known and known[0] == digest:
                with self.store.transaction():
                    self.store.touch_file(name, st.st_size, st.st_mtime)
                self.report.unchanged += 1
                return
            docs, warnings = parse_documents(path, data)
        except (IngestError, OSError) as exc:
            self.report.failed.append((name, str(exc)))
            self.notify("failed", f"{name}: {exc}" if isinstance(exc, OSError) else str(exc))
            return
        for w in warnings:
            self.report.warnings.append((name, w))
            self.notify("warning", f"{name}: {w}")
        self._batch.append((name, digest, st.st_size, st.st_mtime, docs))
        self._batch_passages += sum(len(d.text) for d in docs) // 500 + 1
        if len(self._batch) >= self.settings.batch_files or self._batch_passages >= _BATCH_PASSAGES:
            self._flush()

    def _flush(self) -> None:
        if not self._batch:
            return
        s = self.settings
        prepared = [
            (name, digest, size, mtime, docs, [split_passages(d.text, s.words, s.overlap) for d in docs])
            for name, digest, size, mtime, docs in self._batch
        ]
        with self.store.transaction():
            for name, digest, size, mtime, docs, spans in prepared:
                added, removed = self.store.put_file(name, digest, size, mtime, docs, spans)
                self.report.docs_added += added
                self.report.docs_removed += removed
                self.report.updated += 1
        for name, *_ in prepared:
            self.notify("indexed", name)
        self._batch, self._batch_passages = [], 0


def file_size_cap(max_file_mb: float) -> int:
    """Bytes for a cap given in MB."""
    return int(max_file_mb * 1024 * 1024)


__all__ = ["IngestReport", "Ingestor", "SplitSettings", "file_size_cap"]
