"""Verify an index directory and repair what can be rebuilt: ``wenda check --index DIR [--repair]``.

An index is ``wenda.json`` (what it holds), ``docs.sqlite`` (the document store: every document,
passage and the change log) and one directory per retriever under ``retrievers/``. The store is
the source of truth: every retriever is derived from it, so a damaged retriever is repaired by
deleting it and building it again from the store (the learned ones with the encoder they were
created with). A damaged store cannot be rebuilt from the retrievers (they do not keep the
documents' text and provenance): it must be restored from a backup or the documents indexed again.

What is checked, per part:

- ``wenda.json``: readable, of this format;
- ``docs.sqlite``: SQLite's ``PRAGMA quick_check`` (page and index structure), wenda's format,
  and every document's title and text against the hash recorded when it was indexed;
- each retriever: opens (every data file's SHA-256 against the digests recorded when it was
  written, ``wenda.index.integrity``; models against theirs), has applied the store's change log
  (else it only lags: ``wenda index`` catches it up), holds as many passages as the store, and
  answers a few queries made from stored passages with passages the store holds;
- leftovers of an interrupted build (``wenda index`` continues it).

Like ``git fsck`` or ``sqlite3 .recover``, checking never changes anything; ``--repair`` does.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from wenda.collection import FORMAT, Collection
from wenda.corpus.store import Store
from wenda.errors import IndexError_, WendaError
from wenda.fileio import read_json

PROBES = 3  # passages whose text is searched for, per retriever


@dataclass(frozen=True)
class Finding:
    """One part of the index: ``ok``, what was found, and (when not ok) what to do."""

    part: str
    ok: bool
    detail: str
    fix: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def check_index(path: Path) -> list[Finding]:
    """Everything :mod:`wenda.check` verifies, one :class:`Finding` per part; changes nothing."""
    path = Path(path)
    head = _check_head(path)
    if not all(f.ok for f in head):
        return head
    with Collection.open(path) as col:
        return head + [_check_retriever(col, name) for name in col.meta["retrievers"]] + _leftovers(col)


def repair_index(path: Path, progress: Callable[[str, int, int], None] | None = None) -> list[Finding]:
    """Rebuild every damaged retriever from the document store, then check again. The store and
    ``wenda.json`` are not repairable here (see the module docstring): their findings say what to do."""
    path = Path(path)
    findings = check_index(path)
    damaged = [
        f.part.removeprefix("retriever ") for f in findings if not f.ok and f.part.startswith("retriever ")
    ]
    if damaged:
        with Collection.open(path) as col:
            col.rebuild(damaged, progress)
        findings = check_index(path)
    return findings


def _check_head(path: Path) -> list[Finding]:
    """``wenda.json`` and the document store."""
    if not (path / "wenda.json").exists() and not (path / "docs.sqlite").exists():
        return [
            Finding(
                "index", False, f"{path} is not a wenda index", f"create one: wenda index PATH --index {path}"
            )
        ]
    try:
        meta = read_json(path / "wenda.json", "index description")
        if meta.get("format") != FORMAT or not isinstance(meta.get("retrievers"), list):
            raise IndexError_(f"{path / 'wenda.json'}: format {meta.get('format')!r}, expected {FORMAT}")
    except WendaError as exc:
        return [Finding("wenda.json", False, str(exc), _STORE_FIX)]
    head = Finding("wenda.json", True, f"format {meta['format']}, retrievers {meta['retrievers']}")
    try:
        opened = Store.open(path / "docs.sqlite")  # present, a database, wenda's format
    except WendaError as exc:
        return [head, Finding("docs.sqlite", False, str(exc), _STORE_FIX)]
    try:
        store = _quick_check(path / "docs.sqlite")
        if store.ok:
            opened.verify_documents()
    except WendaError as exc:
        store = Finding("docs.sqlite", False, str(exc), _STORE_FIX)
    finally:
        opened.close()
    return [head, store]


_STORE_FIX = (
    "the document store is the source the retrievers are rebuilt from, so it cannot be repaired from "
    "them: restore the index directory from a backup, or index the documents again into a new directory"
)


def _quick_check(db: Path) -> Finding:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    except sqlite3.DatabaseError as exc:
        return Finding("docs.sqlite", False, f"{db}: {exc}", _STORE_FIX)
    try:
        rows = [r[0] for r in conn.execute("PRAGMA quick_check")]
        counts = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("documents", "passages")
        }
    except sqlite3.DatabaseError as exc:
        return Finding("docs.sqlite", False, f"{db}: {exc}", _STORE_FIX)
    finally:
        conn.close()
    if rows != ["ok"]:
        return Finding("docs.sqlite", False, f"{db}: SQLite reports {'; '.join(rows[:5])}", _STORE_FIX)
    return Finding("docs.sqlite", True, f"{counts['documents']} documents, {counts['passages']} passages")


def _check_retriever(col: Collection, name: str) -> Finding:
    part, fix = f"retriever {name}", f"wenda check --index {col.path} --repair"
    try:
        r = col.retriever(name)
        applied, target = r.applied_seq, col.store.max_seq()
        size, passages = len(r), col.store.counts()["passages"]
        probes = _probe(col, name)
    except WendaError as exc:
        return Finding(part, False, str(exc), fix)
    if applied > target:
        return Finding(part, False, f"has applied change {applied}, beyond the store's last ({target})", fix)
    if applied < target:
        lag = f"{target - applied} changes behind the store (an interrupted run)"
        return Finding(part, True, f"{lag}; `wenda index --index {col.path}` applies them")
    if size != passages:
        return Finding(part, False, f"holds {size} passages, the store {passages}", fix)
    if probes:
        return Finding(part, False, probes, fix)
    return Finding(part, True, f"{size} passages, up to date, files verified")


def _probe(col: Collection, name: str) -> str:
    """Search for a few stored passages' text: every hit must be a stored passage ('' when so)."""
    ids = [r[0] for r in col.store.conn.execute(f"SELECT id FROM passages ORDER BY id LIMIT {PROBES}")]
    retriever = col.retriever(name)
    for pid, info in col.store.passages(ids).items():
        ranked = retriever.search(info["passage"].text[:500], 10)
        unknown = {p for p, _ in ranked} - set(col.store.passages([p for p, _ in ranked]))
        if unknown:
            return (
                f"returns passages the store does not hold ({sorted(unknown)[:5]}) for passage {pid}'s text"
            )
    return ""


def _leftovers(col: Collection) -> list[Finding]:
    builds = sorted((col.path / "retrievers").glob(".*.building"))
    return [
        Finding(
            f"retriever {b.name[1:].removesuffix('.building')}",
            True,
            f"an interrupted build in {b.name}",
            f"`wenda index --index {col.path}` continues it",
        )
        for b in builds
    ]
