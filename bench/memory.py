"""Where a server's memory goes when documents are added: one document added at a time in one
process, as ``POST /v1/documents`` does, with parts of the work switched off to see which part keeps
memory (RELIABILITY.md section 6).

    python bench/memory.py [--retrievers bm25] [--adds 3000] [--skip search|sync] [--trace]
    python bench/memory.py --tantivy-only [--no-tune] [--kept-writer|--reopen] [--skip search] [--adds 5000]

Each add writes a small new Markdown file (the load harness's note), indexes it with
``Collection.add`` (ingestion, the SQLite store, then every retriever's sync), hands freed heap pages
back as ``wenda serve`` does after a write, and searches with every retriever. After a warm-up of
``--warmup`` adds, the process's anonymous memory (``RssAnon``: heaps, not mapped index files) and
Python's small-object arenas (``sys._debugmallocstats``) are sampled every ``--every`` adds;
``--trace`` also compares ``tracemalloc`` snapshots (Python objects only; it slows the run and
costs memory itself). ``--skip sync`` leaves the retrievers untouched (ingestion and the store
only); ``--skip search`` adds without searching. ``--tantivy-only`` runs the BM25 retriever's
tantivy calls alone, without wenda (a writer per add, commit, reload, a term search, the length
aggregate, fast fields and stored text of the hits), with the server's malloc settings unless
``--no-tune``; ``--kept-writer`` commits each add with one writer kept for the whole run, and
``--skip search`` leaves out the reload and the search; ``--reopen`` opens a fresh ``Index`` object
before each add (what ``wenda.index.bm25`` does after each commit).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import sys
import tempfile
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reliability import _memory_mb  # noqa: E402


def anon_mb() -> float:
    """This process's anonymous resident memory in MB (its heaps, not mapped index files)."""
    return _memory_mb(os.getpid())[1]


def pymalloc_arenas() -> int | None:
    """Python's small-object arenas now allocated (``sys._debugmallocstats`` writes to fd 2)."""
    with tempfile.TemporaryFile() as f:
        saved = os.dup(2)
        os.dup2(f.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        f.seek(0)
        lines = f.read().decode().splitlines()
    found = [x for x in lines if x.startswith("# arenas allocated current")]
    return int(found[0].split("=")[1].replace(",", "")) if found else None  # none under tracemalloc


def _tantivy_add(index, n: int, writer_heap: int, kept=None, search: bool = True) -> None:
    """What ``wenda.index.bm25`` does for one added passage and the search after it (with ``kept``,
    that writer instead of a new one; without ``search``, no reload and no search)."""
    import tantivy

    writer = kept or index.writer(writer_heap)
    writer.delete_documents_by_term("pid", n)
    doc = tantivy.Document()
    doc.add_integer("pid", n)
    doc.add_unsigned("len", 6)
    doc.add_text("all", "1")
    doc.add_text("body", f"note river number {n} client 0")
    writer.add_document(doc)
    writer.commit()
    if kept is None:
        writer.wait_merging_threads()
    del writer
    if not search:
        return
    index.reload()
    searcher = index.searcher()
    hits = searcher.search(tantivy.Query.term_query(index.schema, "body", "river"), limit=10).hits
    searcher.aggregate(tantivy.Query.all_query(), {"t": {"sum": {"field": "len"}}})
    addrs = [a for _, a in hits]
    searcher.fast_field_values("pid", addrs)
    for a in addrs:
        searcher.doc(a)["body"]


def run_tantivy(args) -> dict:
    import tantivy

    from wenda.index.bm25 import _HEAP
    from wenda.serve.memory import release_free_memory, tune_malloc

    if not args.no_tune:
        tune_malloc()
    path = args.work / "tantivy"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("pid", stored=True, indexed=True, fast=True)
    sb.add_unsigned_field("len", stored=False, indexed=False, fast=True)
    sb.add_text_field("all", stored=False, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("body", stored=True, tokenizer_name="whitespace", index_option="freq")
    index = tantivy.Index(sb.build(), path=str(path), reuse=False)
    samples, base = [], 0.0
    kept = index.writer(_HEAP) if args.kept_writer else None
    for n in range(1, args.adds + 1):
        if args.reopen and kept is None:  # what wenda.index.bm25 does after each commit
            index = tantivy.Index.open(str(path))
        _tantivy_add(index, n, _HEAP, kept, "search" not in args.skip)
        release_free_memory()
        base = _sample(args, n, base, samples)
    return {"tantivy_only": True, "tuned": not args.no_tune, "kept_writer": args.kept_writer, "reopen": args.reopen, "skip": args.skip, "adds": args.adds, "warmup": args.warmup, "samples": samples}  # fmt: skip


def _sample(args, n: int, base: float, samples: list) -> float:
    """At the warm-up's end, the baseline; every ``--every`` adds after it, a sample."""
    if n == args.warmup:
        gc.collect()
        return anon_mb()
    if n > args.warmup and n % args.every == 0:
        gc.collect()
        grown = anon_mb() - base
        samples.append({"adds": n, "anon_mb": round(grown, 2), "kb_per_add": round(grown * 1024 / (n - args.warmup), 3), "pymalloc_arenas": pymalloc_arenas()})  # fmt: skip
        print(json.dumps(samples[-1]), flush=True)
    return base


def run(args) -> dict:
    from wenda.collection import Collection
    from wenda.serve.memory import release_free_memory, tune_memory

    tune_memory()
    root = args.work / "-".join(args.retrievers)
    shutil.rmtree(root, ignore_errors=True)
    docs = root / "docs"
    docs.mkdir(parents=True)
    for i in range(50):
        (docs / f"seed-{i}.md").write_text(
            f"# Seed {i}\n\nA seed note about topic {i}, rivers and mountains."
        )
    col = Collection.open_or_create(root / "index", args.retrievers)
    col.add([docs])
    if "sync" in args.skip:
        col._sync = lambda progress=None: None  # ingestion and the store only
    samples, base, snapshot = [], 0.0, None
    for n in range(1, args.adds + 1):
        note = docs / f"load-{n}.md"
        note.write_text(f"# Note {n}\n\nA note about rivers, number {n} of client 0.")
        col.add([note])
        release_free_memory()
        if "search" not in args.skip:
            for name in args.retrievers:
                col.search("rivers and mountains", 10, retriever=name)
        if n == args.warmup and args.trace:
            tracemalloc.start()
            snapshot = tracemalloc.take_snapshot()
        base = _sample(args, n, base, samples)
    result = {"retrievers": args.retrievers, "skip": args.skip, "adds": args.adds, "warmup": args.warmup, "samples": samples}  # fmt: skip
    if snapshot is not None:
        diff = tracemalloc.take_snapshot().compare_to(snapshot, "lineno")
        result["python_kb"] = round(sum(d.size_diff for d in diff) / 1024, 1)
        result["python_top"] = [str(d) for d in diff[:5]]
    col.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--retrievers", nargs="+", default=["bm25"])
    parser.add_argument("--adds", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--every", type=int, default=500)
    parser.add_argument("--skip", nargs="*", default=[], choices=["search", "sync"])
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--tantivy-only", action="store_true")
    parser.add_argument(
        "--no-tune", action="store_true", help="--tantivy-only: glibc's default malloc settings"
    )
    parser.add_argument(
        "--kept-writer", action="store_true", help="--tantivy-only: one writer for the run, not one per add"
    )
    parser.add_argument(
        "--reopen", action="store_true", help="--tantivy-only: a fresh tantivy Index object per add"
    )
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "wenda-memory")
    args = parser.parse_args()
    print(json.dumps(run_tantivy(args) if args.tantivy_only else run(args)))


if __name__ == "__main__":
    main()
