"""The SQLite document store: files, documents, passages, and the change log retrievers replay.

One database file (``docs.sqlite``) in the index directory, WAL mode. Every change to the corpus
happens inside one transaction per batch, and each passage added or deleted appends a row to
``changes``; retrievers remember the last ``seq`` they applied (see ``wenda.index.base``). SQLite's
atomic commit is what makes a killed indexing run safe: a batch is either wholly in or wholly out.
Passage ids come from AUTOINCREMENT, so an id is never reused for different text.
Passage text is not stored twice: it is ``substr(document.text, start + 1, end - start)``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from wenda.errors import IndexError_
from wenda.index.base import Op, Where
from wenda.types import Document, Passage

FORMAT = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files(
    path TEXT PRIMARY KEY, hash TEXT NOT NULL, size INTEGER NOT NULL, mtime REAL NOT NULL);
CREATE TABLE IF NOT EXISTS documents(
    id INTEGER PRIMARY KEY AUTOINCREMENT, file TEXT NOT NULL, source TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL, text TEXT NOT NULL, hash TEXT NOT NULL, meta TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS documents_file ON documents(file);
CREATE TABLE IF NOT EXISTS passages(
    id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id INTEGER NOT NULL, start INTEGER NOT NULL,
    end INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS passages_doc ON passages(doc_id);
CREATE TABLE IF NOT EXISTS changes(
    seq INTEGER PRIMARY KEY AUTOINCREMENT, passage_id INTEGER NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('add', 'del')));
"""
_PASSAGE_TEXT = "substr(d.text, p.start + 1, p.end - p.start)"
_WHERE = "d.id, d.source, d.title, p.start, p.end"  # an added passage's provenance (Where)


def content_hash(data: bytes | str) -> str:
    """sha256 hex digest of bytes or UTF-8 text."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def _doc_hash(title: str, text: str) -> str:
    return content_hash(json.dumps([title, text], ensure_ascii=False))


class Store:
    """A SQLite document store (see module docstring). Use :meth:`open`."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._verified: set[int] = set()  # documents whose text matched their hash, this session

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """SQLite's errors about a damaged database, as a clear :class:`IndexError_`."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise IndexError_(
                f"{self.path}: cannot read the document store ({exc}); "
                f"`wenda check --index {self.path.parent}` tells what is damaged"
            ) from None

    @classmethod
    def open(cls, path: Path, create: bool = False) -> Store:
        """Open ``path``; create it when ``create`` is true, else it must exist."""
        path = Path(path)
        if not create and not path.exists():
            raise IndexError_(
                f"{path}: no document store here; create one with `wenda index PATH --index DIR`"
            )
        try:
            # Threads may share the connection when the caller serialises them (wenda.serve does).
            conn = sqlite3.connect(path, isolation_level=None, timeout=30.0, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            store = cls(conn, path)
            store._check_format(create)
        except sqlite3.DatabaseError as exc:
            raise IndexError_(f"{path}: not a readable wenda document store ({exc})") from None
        return store

    def _check_format(self, create: bool) -> None:
        tables = self.conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'meta'").fetchone()[0]
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone() if tables else None
        if row is None and not create:  # an emptied file reads as a new, empty database
            self.conn.close()
            raise IndexError_(
                f"{self.path}: holds no wenda document store (the file was emptied or replaced); "
                "restore it from a backup, or index the documents again into a new directory"
            )
        self.conn.executescript(_SCHEMA)
        if row is None:
            self.conn.execute("INSERT INTO meta VALUES ('format', ?)", (str(FORMAT),))
        elif row[0] != str(FORMAT):
            raise IndexError_(f"{self.path}: store format {row[0]}, this wenda reads {FORMAT}; re-index")

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic batch: everything inside commits together or not at all."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # --- files -----------------------------------------------------------------------------------
    def file_state(self, path: str) -> tuple[str, int, float] | None:
        """``(hash, size, mtime)`` recorded for a file, or None."""
        return self.conn.execute("SELECT hash, size, mtime FROM files WHERE path = ?", (path,)).fetchone()

    def touch_file(self, path: str, size: int, mtime: float) -> None:
        """Record a new size/mtime for a file whose content hash is unchanged."""
        self.conn.execute("UPDATE files SET size = ?, mtime = ? WHERE path = ?", (size, mtime, path))

    def files(self, under: str | None = None) -> list[str]:
        """Paths of stored files, all or those at/under the folder ``under``."""
        if under is None:
            return [r[0] for r in self.conn.execute("SELECT path FROM files ORDER BY path")]
        prefix = under.rstrip("/") + "/"
        rows = self.conn.execute(
            "SELECT path FROM files WHERE path = ? OR substr(path, 1, ?) = ? ORDER BY path",
            (under, len(prefix), prefix),
        )
        return [r[0] for r in rows]

    def put_file(
        self,
        path: str,
        file_hash: str,
        size: int,
        mtime: float,
        docs: Sequence[Document],
        spans: Sequence[Sequence[tuple[int, int]]],
    ) -> tuple[int, int]:
        """Make the file's documents equal ``docs`` (with passage ``spans`` each); returns (added, removed).

        Documents whose title and text are unchanged keep their ids and passages.
        Call inside :meth:`transaction`.
        """
        old = {
            src: (doc_id, h)
            for doc_id, src, h in self.conn.execute(
                "SELECT id, source, hash FROM documents WHERE file = ?", (path,)
            )
        }
        added = 0
        for doc, doc_spans in zip(docs, spans, strict=True):
            h = _doc_hash(doc.title, doc.text)
            prev = old.pop(doc.source, None)
            if prev is not None and prev[1] == h:
                continue
            if prev is not None:
                self._delete_document(prev[0])
            self._insert_document(path, doc, h, doc_spans)
            added += 1
        for doc_id, _ in old.values():
            self._delete_document(doc_id)
        self.conn.execute(
            "INSERT INTO files VALUES (?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET "
            "hash = excluded.hash, size = excluded.size, mtime = excluded.mtime",
            (path, file_hash, size, mtime),
        )
        return added, len(old)

    def remove_file(self, path: str) -> int:
        """Delete a file and its documents; returns the number of documents removed."""
        ids = [r[0] for r in self.conn.execute("SELECT id FROM documents WHERE file = ?", (path,))]
        for doc_id in ids:
            self._delete_document(doc_id)
        self.conn.execute("DELETE FROM files WHERE path = ?", (path,))
        return len(ids)

    # --- documents and passages ----------------------------------------------------------------
    def _insert_document(self, path: str, doc: Document, h: str, spans: Sequence[tuple[int, int]]) -> None:
        meta = json.dumps(doc.meta, ensure_ascii=False)
        cur = self.conn.execute(
            "INSERT INTO documents(file, source, title, text, hash, meta) VALUES (?, ?, ?, ?, ?, ?)",
            (path, doc.source, doc.title, doc.text, h, meta),
        )
        doc_id = cur.lastrowid
        for start, end in spans:
            pid = self.conn.execute(
                "INSERT INTO passages(doc_id, start, end) VALUES (?, ?, ?)", (doc_id, start, end)
            ).lastrowid
            self.conn.execute("INSERT INTO changes(passage_id, op) VALUES (?, 'add')", (pid,))

    def _delete_document(self, doc_id: int) -> None:
        self.conn.execute(
            "INSERT INTO changes(passage_id, op) SELECT id, 'del' FROM passages WHERE doc_id = ? ORDER BY id",
            (doc_id,),
        )
        self.conn.execute("DELETE FROM passages WHERE doc_id = ?", (doc_id,))
        self.conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))

    def passages(self, ids: Sequence[int]) -> dict[int, dict]:
        """Passage id -> its text, offsets and document (id, source, title) for live passages.

        Raises:
            IndexError_: the store is damaged, or a document's text no longer matches the hash
                recorded when it was indexed (never a silently altered passage).
        """
        out: dict[int, dict] = {}
        with self._reading():
            for chunk in range(0, len(ids), 500):
                part = list(ids[chunk : chunk + 500])
                marks = ",".join("?" * len(part))
                rows = self.conn.execute(
                    f"SELECT p.id, p.doc_id, p.start, p.end, {_PASSAGE_TEXT}, d.source, d.title "
                    f"FROM passages p JOIN documents d ON d.id = p.doc_id WHERE p.id IN ({marks})",
                    part,
                ).fetchall()
                self._verify({doc_id for _, doc_id, *_ in rows} - self._verified)
                for pid, doc_id, start, end, text, source, title in rows:
                    out[pid] = dict(
                        passage=Passage(pid, doc_id, start, end, text), source=source, title=title
                    )
        return out

    def neighbourhoods(self, ids: Sequence[int], n: int) -> dict[int, tuple[int, int]]:
        """Passage id -> the character span (start, end) in its document of the passage with its
        ``n`` neighbours on each side (a document's passages have consecutive ids, in order)."""
        out: dict[int, tuple[int, int]] = {}
        with self._reading():
            for chunk in range(0, len(ids), 500):
                part = list(ids[chunk : chunk + 500])
                rows = self.conn.execute(
                    "SELECT p.id, min(q.start), max(q.end) FROM passages p JOIN passages q "
                    "ON q.doc_id = p.doc_id AND q.id BETWEEN p.id - ? AND p.id + ? "
                    f"WHERE p.id IN ({','.join('?' * len(part))}) GROUP BY p.id",
                    [n, n, *part],
                )
                out.update({pid: (start, end) for pid, start, end in rows})
        return out

    def text_span(self, doc_id: int, start: int, end: int) -> str:
        """The characters ``start:end`` of document ``doc_id`` ("" when it is gone)."""
        with self._reading():
            row = self.conn.execute(
                "SELECT substr(text, ? + 1, ? - ?) FROM documents WHERE id = ?", (start, end, start, doc_id)
            ).fetchone()
        return row[0] if row else ""

    def verify_documents(self) -> int:
        """Check every document against its recorded hash; return how many (``wenda check``).

        Raises:
            IndexError_: as :meth:`passages`.
        """
        with self._reading():
            ids = [r[0] for r in self.conn.execute("SELECT id FROM documents ORDER BY id")]
            for start in range(0, len(ids), 500):
                self._verify(set(ids[start : start + 500]))
        return len(ids)

    def _verify(self, doc_ids: set[int]) -> None:
        """Check documents' title and text against their recorded hashes (once per session)."""
        if not doc_ids:
            return
        marks = ",".join("?" * len(doc_ids))
        rows = self.conn.execute(
            f"SELECT id, source, title, text, hash FROM documents WHERE id IN ({marks})", list(doc_ids)
        )
        for row in rows:
            self._check_hash(*row)

    def _check_hash(self, doc_id: int, source: str, title: str, text: str, recorded: str) -> None:
        if _doc_hash(title, text) != recorded:
            raise IndexError_(
                f"{self.path}: document {doc_id} ({source}) no longer matches the hash recorded when "
                "it was indexed: the document store is damaged; restore it from a backup or index "
                "the documents again"
            )
        self._verified.add(doc_id)

    def document(self, doc_id: int) -> dict | None:
        """A stored document as a dict (id, file, source, title, text, meta), or None."""
        with self._reading():
            row = self.conn.execute(
                "SELECT id, file, source, title, text, meta, hash FROM documents WHERE id = ?", (doc_id,)
            ).fetchone()
        if row is None:
            return None
        self._check_hash(doc_id, row[2], row[3], row[4], row[6])  # the text is at hand: no re-read
        keys = ("id", "file", "source", "title", "text", "meta")
        return {**dict(zip(keys, row[:6], strict=True)), "meta": json.loads(row[5])}

    def list_documents(self, offset: int = 0, limit: int = 100) -> list[dict]:
        """Stored documents in id order: id, file, source, title, characters and passages."""
        with self._reading():
            rows = self.conn.execute(
                "SELECT d.id, d.file, d.source, d.title, length(d.text), "
                "(SELECT count(*) FROM passages p WHERE p.doc_id = d.id) "
                "FROM documents d ORDER BY d.id LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        keys = ("id", "file", "source", "title", "chars", "passages")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def count_documents(self, file: str) -> int:
        """Documents stored from ``file``."""
        return self.conn.execute("SELECT count(*) FROM documents WHERE file = ?", (file,)).fetchone()[0]

    def count_passages(self, upto: int) -> int:
        """Live passages with an id up to ``upto``."""
        return self.conn.execute("SELECT count(*) FROM passages WHERE id <= ?", (upto,)).fetchone()[0]

    def counts(self) -> dict[str, int]:
        """Numbers of files, documents and passages."""
        q = self.conn.execute
        with self._reading():
            return {
                name: q(f"SELECT count(*) FROM {name}").fetchone()[0]
                for name in ("files", "documents", "passages")
            }

    # --- the change log ---------------------------------------------------------------------------
    def max_seq(self) -> int:
        """The newest change's seq (0 when none), still known after old changes are truncated."""
        row = self.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()
        return row[0] if row else 0

    def changes_since(self, seq: int, limit: int = 50_000) -> list[Op]:
        """Up to ``limit`` ops after ``seq``; an add whose passage is gone since reads as a delete."""
        with self._reading():
            rows = self.conn.execute(
                f"SELECT c.seq, c.passage_id, CASE WHEN c.op = 'add' THEN {_PASSAGE_TEXT} END, {_WHERE} "
                "FROM changes c LEFT JOIN passages p ON p.id = c.passage_id "
                "LEFT JOIN documents d ON d.id = p.doc_id WHERE c.seq > ? ORDER BY c.seq LIMIT ?",
                (seq, limit),
            ).fetchall()
        return [
            Op(s, pid, text, Where(*where) if text is not None else None) for s, pid, text, *where in rows
        ]

    def snapshot_ops(self, limit: int = 50_000, after: int = 0) -> Iterator[list[Op]]:
        """All live passages (those with an id above ``after``) as add ops (seq = the current max),
        ``limit`` at a time, for building a new retriever."""
        seq, last = self.max_seq(), after
        while True:
            with self._reading():
                rows = self.conn.execute(
                    f"SELECT p.id, {_PASSAGE_TEXT}, {_WHERE} FROM passages p JOIN documents d ON d.id = p.doc_id "
                    "WHERE p.id > ? ORDER BY p.id LIMIT ?",
                    (last, limit),
                ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [Op(seq, pid, text, Where(*where)) for pid, text, *where in rows]

    def truncate_changes(self, upto: int) -> None:
        """Forget changes every retriever has applied (seq <= ``upto``)."""
        self.conn.execute("DELETE FROM changes WHERE seq <= ?", (upto,))
