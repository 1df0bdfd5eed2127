"""An index directory: the document store plus the retrievers kept in step with it.

Layout of ``DIR``::

    wenda.json          format version, retrievers, passage settings
    docs.sqlite         the document store (wenda.corpus.store)
    retrievers/bm25/    one directory per retriever (wenda.index)
    retrievers/tfidf/

This module wires the corpus stage to the index stage; the CLI and the Python API call it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import wenda.index  # noqa: F401 - registers the retrievers
from wenda import registry
from wenda.config import Settings
from wenda.config import settings as load_settings
from wenda.corpus.ingest import Ingestor, IngestReport, Notify, SplitSettings, file_size_cap
from wenda.corpus.store import Store
from wenda.errors import BadQueryError, IndexError_, WendaError
from wenda.fileio import atomic_write_json, read_json, write_lock
from wenda.index.base import Retriever
from wenda.index.build import Progress, build_retriever
from wenda.index.fusion import interpolate, reciprocal_rank_fusion
from wenda.text.query import check_query
from wenda.types import Hit

FORMAT = 1
DEFAULT_RETRIEVERS = ("bm25", "tfidf")
HYBRID = "hybrid"  # not a stored retriever: BM25 fused with a learned one at query time
LEARNED = ("binary", "dense")
LEXICAL = ("bm25", "bm25-qdrant")  # what hybrid search fuses the learned retriever with


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


class Collection:
    """Documents and their retrievers in one directory. Open with :meth:`open` or :meth:`create`."""

    def __init__(self, path: Path, store: Store, meta: dict, cfg: Settings) -> None:
        self.path = path
        self.store = store
        self.meta = meta
        self.settings = cfg
        self._retrievers: dict[str, Retriever] = {}
        self._seen: dict[str, int] = {}  # the applied seq each opened retriever has loaded
        # Set by use_ray: files prepared and passages encoded on a Ray cluster (wenda.scale).
        self._mapper, self._encode = map, None

    def use_ray(self, address: str, workers: int | None = None) -> None:
        """Prepare files and encode passages on the Ray cluster at ``address`` from now on
        (:mod:`wenda.scale.raymap`); the store and the retrievers' positions stay here."""
        from wenda.scale.raymap import RayEncoder, ray_mapper

        self._mapper, self._encode = ray_mapper(address, workers), RayEncoder(address, workers)
        for r in self._retrievers.values():
            r.remote_encode = self._encode

    @classmethod
    def open(cls, path: Path, cfg: Settings | None = None) -> Collection:
        """Open an existing index directory."""
        path = Path(path)
        meta = read_json(path / "wenda.json", "index directory")
        if meta.get("format") != FORMAT:
            raise IndexError_(f"{path}: index format {meta.get('format')!r}, expected {FORMAT}; re-index")
        return cls(path, Store.open(path / "docs.sqlite"), meta, cfg or load_settings())

    @classmethod
    def open_or_create(
        cls,
        path: Path,
        retrievers: Sequence[str] | None = None,
        cfg: Settings | None = None,
        params: dict[str, dict] | None = None,
    ) -> Collection:
        """Open ``path``, creating it (with ``retrievers``) when it holds no index yet. ``params``
        gives retrievers their creation parameters by name (the learned ones need
        ``{"encoder": DIR}``); they are recorded in ``wenda.json`` for later (re)builds."""
        path = Path(path)
        cfg = cfg or load_settings()
        for name in retrievers or ():
            registry.get("retriever", name)  # fail before creating anything
        if (path / "wenda.json").exists():
            col = cls.open(path, cfg)
            if retrievers or params:
                col.meta["retrievers"] = list(dict.fromkeys([*col.meta["retrievers"], *(retrievers or ())]))
                col._record_params(params or {})
                atomic_write_json(path / "wenda.json", col.meta)
            return col
        path.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT,
            "retrievers": list(retrievers or DEFAULT_RETRIEVERS),
            "passage_words": cfg.passage_words,
            "passage_overlap": cfg.passage_overlap,
            "titles": cfg.index_titles,
        }
        store = Store.open(path / "docs.sqlite", create=True)
        col = cls(path, store, meta, cfg)
        col._record_params(params or {})
        atomic_write_json(path / "wenda.json", meta)
        return col

    def _record_params(self, params: dict[str, dict]) -> None:
        """Keep retrievers' creation parameters; a built retriever's cannot change (rebuild it)."""
        known = self.meta.setdefault("retriever_params", {})
        for name, value in params.items():
            built = (self.path / "retrievers" / name / "params.json").exists()
            if built and known.get(name) != value:
                raise IndexError_(
                    f"{self.path}: the {name!r} retriever was built with {known.get(name)}; to use "
                    f"{value}, delete {self.path / 'retrievers' / name} and index again"
                )
            known[name] = value

    def close(self) -> None:
        """Close the store and retrievers."""
        for r in self._retrievers.values():
            r.close()
        self.store.close()

    def __enter__(self) -> Collection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing -------------------------------------------------------------------------------
    def _ingestor(self, notify: Notify) -> Ingestor:
        split = SplitSettings(
            words=self.meta["passage_words"],
            overlap=self.meta["passage_overlap"],
            max_bytes=file_size_cap(self.settings.max_file_mb),
            batch_files=self.settings.batch_files,
        )
        return Ingestor(self.store, split, notify, self._mapper)

    def _writing(self):
        """Hold the directory's write lock: the retrievers allow one writer at a time. Another
        writer (a second server replica, a ``wenda index`` run) is waited for up to
        ``write_wait_s``."""
        return write_lock(self.path / ".lock", self.settings.write_wait_s, str(self.path))

    def add(
        self, paths: Iterable[Path], notify: Notify | None = None, progress: Progress | None = None
    ) -> IngestReport:
        """Index files/folders (unchanged files are skipped; vanished ones removed), then sync."""
        [report] = self.add_each([lambda: paths], notify, progress)
        if isinstance(report, Exception):
            raise report
        return report

    def add_each(
        self, sources: Sequence[Callable[[], Iterable[Path]]], notify: Notify | None = None,
        progress: Progress | None = None,
    ) -> list[IngestReport | Exception]:  # fmt: skip
        """A group commit: for each source in order, call it for its paths (the HTTP API saves its
        uploads there) and ingest them with a report of their own, then sync the retrievers once
        for all. A source that raises gets its exception in its place; the others go on."""
        results: list[IngestReport | Exception] = []
        with self._writing():
            for source in sources:
                try:
                    results.append(self._ingestor(notify or (lambda k, m: None)).add(source()))
                except Exception as exc:  # noqa: BLE001 - this source's own failure, reported to it
                    results.append(exc)
            self._sync(progress)
        return results

    def remove(
        self, paths: Iterable[Path], notify: Notify | None = None, progress: Progress | None = None
    ) -> IngestReport:
        """Forget files at/under ``paths``, then sync."""
        with self._writing():
            report = self._ingestor(notify or (lambda k, m: None)).remove(paths)
            self._sync(progress)
        return report

    def rebuild(self, names: Sequence[str], progress: Progress | None = None) -> None:
        """Delete the retrievers ``names`` and build them again from the document store (how
        ``wenda check --repair`` mends damage), then bring every retriever up to date."""
        with self._writing():
            for name in names:
                old = self._retrievers.pop(name, None)
                if old is not None:
                    old.close()
                shutil.rmtree(self.path / "retrievers" / name, ignore_errors=True)
            self._sync(progress)

    def sync(self, progress: Progress | None = None) -> None:
        """Bring every retriever up to the store's change log, then drop the applied log."""
        with self._writing():
            self._sync(progress)

    def _sync(self, progress: Progress | None = None) -> None:
        progress = progress or _no_progress
        target = self.store.max_seq()
        try:
            for name in self.meta["retrievers"]:
                r = self.retriever(name, build=True, progress=progress)
                while r.applied_seq < target:
                    ops = self.store.changes_since(r.applied_seq)
                    r.apply(r.indexed(ops))
                    progress(name, r.applied_seq, target)
                self._seen[name] = r.applied_seq
        finally:
            if self._encode is not None:  # Ray's encoding actors hand their CPUs back
                self._encode.release()
        self.store.truncate_changes(
            min((self.retriever(n).applied_seq for n in self.meta["retrievers"]), default=0)
        )

    def _build(self, name: str, progress: Progress) -> Retriever:
        """Build a retriever from all stored passages (resumably: :func:`build_retriever`)."""
        params = self.meta.get("retriever_params", {}).get(name, {})
        params = {**params, "titles": True} if self.meta.get("titles") else params
        final = self.path / "retrievers" / name
        return build_retriever(self.store, final, name, params, progress, self._encode)

    def retriever(self, name: str, build: bool = False, progress: Progress | None = None) -> Retriever:
        """The opened retriever ``name``; with ``build``, create it from the store when missing."""
        if name not in self._retrievers:
            path = self.path / "retrievers" / name
            if not (path / "params.json").exists():
                if not build and name in self.meta["retrievers"]:
                    raise self._damaged(name, IndexError_(f"{path / 'params.json'} is missing"))
                if not build:
                    raise IndexError_(
                        f"{self.path}: no {name!r} index (has {self.meta['retrievers']}); "
                        f"add it with `wenda index --index {self.path} --retriever {name}`"
                    )
                self._retrievers[name] = self._build(name, progress or _no_progress)
            else:
                self._retrievers[name] = self._open_retriever(name, path)
            self._retrievers[name].remote_encode = self._encode
            self._seen[name] = self._retrievers[name].applied_seq
        return self._retrievers[name]

    def _followed(self, name: str) -> Retriever:
        """The retriever ``name``, opened again when another process (a second server replica, a
        ``wenda index`` run) has applied changes since this one loaded it: its ``state.json`` names
        another seq. Every store commits atomically and keeps the files an open reader maps, so
        the reopened index is whole; if the writer removes a file between our reading its name and
        opening it, the loaded index serves this query and the next one tries again."""
        r = self.retriever(name)
        try:
            disk = r.applied_seq
        except IndexError_:
            return r  # a damaged state.json: the search reports the damage
        if disk != self._seen.get(name):
            try:
                fresh = Retriever.open(self.path / "retrievers" / name)
            except (WendaError, OSError):
                return r
            r.close()
            fresh.remote_encode = self._encode
            self._retrievers[name], self._seen[name] = fresh, disk
        return self._retrievers[name]

    def _open_retriever(self, name: str, path: Path) -> Retriever:
        """Open a built retriever; damage is reported with the command that repairs it."""
        try:
            return Retriever.open(path)
        except WendaError as exc:
            raise self._damaged(name, exc) from None

    def _damaged(self, name: str, exc: Exception) -> IndexError_:
        return IndexError_(
            f"the {name!r} retriever is damaged: {exc}. Repair it (rebuilt from the document store) "
            f"with `wenda check --index {self.path} --repair`"
        )

    # --- reading -------------------------------------------------------------------------------
    def passage_texts(self) -> list[str]:
        """Every live passage's text, in passage-id order (training encoders on the corpus)."""
        return [op.text for ops in self.store.snapshot_ops() for op in ops if op.text is not None]

    def check_query(self, query: str) -> str:
        """The query stripped, or a :class:`BadQueryError` saying what is wrong with it."""
        return check_query(query, self.settings.max_query_chars)

    def _checked(self, name: str) -> Retriever:
        if name not in self.meta["retrievers"]:
            raise BadQueryError(f"retriever {name!r} is not built here; available: {self.meta['retrievers']}")
        return self._followed(name)

    def _search_with(self, name: str, query: str, k: int) -> list[tuple[int, float]]:
        retriever = self._checked(name)
        try:
            return retriever.search(query, k)
        except IndexError_ as exc:  # damage found while searching (tantivy reads files lazily)
            raise self._damaged(name, exc) from None

    def _learned(self) -> str:
        """The learned retriever hybrid search fuses with BM25: binary codes if built, else dense."""
        for name in LEARNED:
            if name in self.meta["retrievers"]:
                return name
        raise BadQueryError(
            f"hybrid search needs a dense or binary retriever beside bm25; built here: {self.meta['retrievers']}"
        )

    def _hybrid(self, query: str, k: int) -> tuple[list[tuple[int, float]], str]:
        """BM25, TF-IDF (when built and ``hybrid_tfidf`` > 0) and the learned retriever, each to
        ``hybrid_depth``, fused by ``hybrid_fusion`` (``wenda.index.fusion``): the learned run weighs
        ``hybrid_weight``, the lexical ones share the rest, TF-IDF taking ``hybrid_tfidf`` of it.
        Returns the fused run and the fused retrievers' names joined by ``+``."""
        names, weights = self._hybrid_runs()
        depth = max(k, self.settings.hybrid_depth)
        runs = [self._search_with(name, query, depth) for name in names]
        if self.settings.hybrid_fusion == "rrf":
            fused = reciprocal_rank_fusion(runs, weights=weights, depth=k)
        else:
            fused = interpolate(runs, weights, self.settings.hybrid_fusion, depth=k)
        return fused, "+".join(names)

    def _hybrid_runs(self) -> tuple[list[str], list[float]]:
        """The retrievers hybrid search fuses and their weights (:meth:`_hybrid`)."""
        s, built = self.settings, self.meta["retrievers"]
        lexical = next((r for r in LEXICAL if r in built), "bm25")
        share = s.hybrid_tfidf if "tfidf" in built else 0.0
        named = {lexical: (1.0 - s.hybrid_weight) * (1.0 - share), "tfidf": (1.0 - s.hybrid_weight) * share}
        named[self._learned()] = s.hybrid_weight
        kept = {name: w for name, w in named.items() if w > 0}  # the weights sum to 1: one is left
        return list(kept), list(kept.values())

    def search(self, query: str, k: int = 10, retriever: str | None = None) -> list[Hit]:
        """The ``k`` best passages for ``query`` with their provenance, best first."""
        if k < 1:
            raise BadQueryError(f"k must be at least 1, not {k}")
        q = self.check_query(query)
        name = retriever or self.meta["retrievers"][0]
        if name == HYBRID:
            ranked, name = self._hybrid(q, k)
        else:
            ranked = self._search_with(name, q, k)
        info = self.store.passages([pid for pid, _ in ranked])
        hits = []
        for pid, score in ranked:
            if pid not in info:  # deleted since the retriever last synced
                continue
            p, rank = info[pid]["passage"], len(hits) + 1
            hits.append(
                Hit(
                    pid,
                    float(score),
                    rank,
                    p.text,
                    p.doc_id,
                    info[pid]["source"],
                    info[pid]["title"],
                    p.start,
                    p.end,
                    name,
                )
            )
        return hits
