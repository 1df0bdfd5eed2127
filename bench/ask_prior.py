"""Choose ``ask_rank_prior`` (the weight of the retriever's ranking beside the reader's,
``wenda.pipeline.with_rank_prior``) on training-side data, never on the test questions.

The questions are always the held-out 5% (answerable ones) of the span-annotated training sets
that no reader or retriever trained on (the same split ``wenda train reader`` holds out); the
documents (``--dataset``) are either every distinct context of the sets (``training``: one index of
``wenda.data.reading_train``'s contexts) or the held-out contexts among the 10,033 Wikipedia
summaries (``held-out-open``, squad-open's shape: ``wenda.data.held_out_open``; with ``--encoder``,
dense and hybrid retrieval too). Each question's passages are retrieved and read once; the answers
are then aggregated at each weight of the grid and scored with SQuAD's EM/F1 (top answer).

    python bench/ask_prior.py [--work DIR] [--dataset training|held-out-open] [--encoder DIR|NAME]
        [--reader DIR|NAME] [--retriever bm25] [--passages 10] [--context 0] [--precision fp32]

Writes ``WORK/ask-prior.json`` (``--out``); the index is kept in ``WORK/index`` (``training``) or
``WORK/index-held-out-open``, built once and reused.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import platform
import time
from pathlib import Path

GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)
BATCH = 16  # questions read together
DEV = {
    "training": "held-out 5% of the reading training sets, open-domain over all their contexts",
    "held-out-open": "held-out 5% of the reading training sets, their contexts among the Wikipedia summaries",
}


def _corpus(examples, path: Path) -> int:
    """The distinct contexts of ``examples`` as one JSONL corpus; returns how many."""
    from wenda.eval.retrieval import write_jsonl_corpus
    from wenda.types import Document

    contexts = dict.fromkeys(ex.context for ex in examples)
    docs = [Document(hashlib.sha1(text.encode()).hexdigest()[:16], "", text) for text in contexts]
    write_jsonl_corpus(docs, path)
    return len(docs)


def _training_contexts(work: Path, retriever: str):
    """The ``training`` dev set: (collection over every training context, [(question, golds)])."""
    from wenda.collection import Collection
    from wenda.data.reading_train import (
        DEFAULT_NAMES,
        HELD_OUT_FRACTION,
        load_reading_training,
        split_held_out,
    )

    examples, _ = load_reading_training(DEFAULT_NAMES)
    _, held = split_held_out(examples, HELD_OUT_FRACTION)
    corpus = work / "corpus" / "contexts.jsonl"
    if not corpus.exists():
        _corpus(examples, corpus)
    col = Collection.open_or_create(work / "index", [retriever])
    col.add([corpus])
    return col, [(ex.question, [t for t, _ in ex.answers]) for ex in held if not ex.is_impossible]


def _held_out_open(work: Path, retriever: str, encoder: Path | None):
    """The ``held-out-open`` dev set (its index in ``WORK/index-held-out-open``, with ``encoder``'s
    dense index when given): (collection, [(question, golds)])."""
    from wenda.cli.index import learned_retrievers
    from wenda.collection import HYBRID
    from wenda.eval.retrieval import open_benchmark

    named = ["bm25"] if retriever == HYBRID else [retriever]
    retrievers, params = learned_retrievers(named, encoder, None, "flat")
    col, questions = open_benchmark("held-out-open", work / "index-held-out-open", None, retrievers, params)
    return col, [(q.question, list(q.answers)) for q in questions]


def _read(col, reader, questions, retriever: str, passages: int, context: int) -> list[tuple]:
    """(golds, spans, hits) per (question, golds): retrieved (each passage widened by ``context``
    neighbours on each side) and read once."""
    from wenda import pipeline

    rows = []
    for i in range(0, len(questions), BATCH):
        part = questions[i : i + BATCH]
        hits = [
            pipeline.widen(col, pipeline.search(col, q, passages, retriever=retriever), context)
            for q, _ in part
        ]
        read = reader.read_many([q for q, _ in part], [[h.text for h in hs] for hs in hits], pipeline.SPANS)
        rows += [(golds, spans, hs) for (_, golds), hs, (spans, _) in zip(part, hits, read, strict=True)]
    return rows


def _scores(rows, beta: float) -> dict[str, float]:
    """SQuAD EM and F1 (%) of the top aggregated answer at ``beta``."""
    from wenda.eval.squad import exact_match, f1
    from wenda.pipeline import aggregate

    em = f = 0.0
    for golds, spans, hits in rows:
        answers = aggregate(spans, hits, beta)
        text = answers[0].text if answers else ""
        em, f = em + exact_match(text, golds), f + f1(text, golds)
    n = max(1, len(rows))
    return {"exact_match": round(100 * em / n, 2), "f1": round(100 * f / n, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("bench/results/ask-prior"))
    parser.add_argument(
        "--reader", type=Path, default=None, help="a reader directory or a packaged reader's name"
    )
    parser.add_argument("--precision", default="fp32", help="the reader's arithmetic: fp32 or bf16")
    parser.add_argument("--out", default="ask-prior.json", help="the result's file name in WORK")
    parser.add_argument("--dataset", choices=("training", "held-out-open"), default="training")
    parser.add_argument("--encoder", type=Path, default=None, help="held-out-open: an encoder (dir or name)")
    parser.add_argument("--retriever", default="bm25")
    parser.add_argument("--passages", type=int, default=10)
    parser.add_argument("--context", type=int, default=0, help="neighbouring passages read on each side")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions (0: all)")
    args = parser.parse_args()

    from wenda.read.answer import load_reader

    if args.encoder is not None and args.dataset != "held-out-open":
        parser.error("--encoder needs --dataset held-out-open")
    started = time.perf_counter()
    if args.dataset == "training":
        col, questions = _training_contexts(args.work, args.retriever)
    else:
        col, questions = _held_out_open(args.work, args.retriever, args.encoder)
    questions = questions[: args.limit or None]
    with col:
        rows = _read(
            col,
            load_reader(args.reader, precision=args.precision),
            questions,
            args.retriever,
            args.passages,
            args.context,
        )
        counts = col.store.counts()
    grid = {str(beta): _scores(rows, beta) for beta in GRID}
    best = max(GRID, key=lambda b: (grid[str(b)]["exact_match"], -b))
    out = {
        "dev": DEV[args.dataset], "dataset": args.dataset,
        "questions": len(questions), "documents": counts["documents"], "passages": counts["passages"],
        "retriever": args.retriever, "encoder": str(args.encoder) if args.encoder else None, "passages_read": args.passages, "context": args.context, "reader": str(args.reader or "packaged"), "precision": args.precision,
        "grid": grid, "best": best, "seconds": round(time.perf_counter() - started),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }  # fmt: skip
    (args.work / args.out).write_text(json.dumps(out, indent=2))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
