"""Scale-out figures (docs/scale-out.md): indexing on Ray with 1 and 2 local workers, and the
Qdrant backend's parity with the embedded one on squad-open.

    python bench/scale.py ray [--docs 4000] [--encoder minilm|cnn] [--work DIR]
    python bench/scale.py parity [--questions 2000] [--work DIR]

``ray``: ``--docs`` Wikipedia summaries written as files of every supported type (the crash
harness's corpus: .txt .md .html .pdf .jsonl .json), indexed with BM25 and a dense retriever
(``--encoder``: the packaged all-MiniLM-L6-v2, where encoding is most of the work, as with DPR's
BERT encoders; or a seeded, untrained CNN, cheap enough that Ray's own overheads show) three ways,
each into a fresh index: without Ray (torch on every core), and with a local Ray of 1 and of 2
workers (``ray.init(num_cpus=N)``, one torch thread per worker; started before the clock starts,
its start-up time reported apart). Reported: seconds and passages per
second for each, the speed-up of 2 workers over 1, and, from the measured rate per worker, the
hours one to a hundred such workers would take for DPR's 21,015,324 Wikipedia passages (a
projection on paper: it assumes the rate per worker holds and the driver's SQLite writes keep up).

``parity``: the squad-open corpus indexed with the embedded ``bm25`` and with ``bm25-qdrant`` in
qdrant-client's in-process mode (``memory:``; a server gives the same answers, faster), then the
top 10 of both for the first ``--questions`` questions: lists identical (ids and order), mean
overlap, and largest score difference.

Results: ``bench/results/scale/{ray,parity}.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reliability import summaries, write_corpus  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "scale"
DPR_PASSAGES = 21_015_324


def _encoder(work: Path, name: str) -> Path:
    """The encoder the dense retriever uses: the packaged all-MiniLM-L6-v2 as it comes, or a
    seeded, untrained CNN over the summaries' words (encoding costs the same trained or not)."""
    import torch

    import wenda.encode
    from wenda import registry
    from wenda.nn.modeldir import save_model
    from wenda.text import Tokenizer
    from wenda.text.vocab import Vocab

    torch.manual_seed(0)
    cls = registry.get("encode", name)
    vocab = Vocab.build([])
    if name == "cnn":
        tokenizer = Tokenizer(wenda.encode.TOKENIZER)
        vocab = Vocab.build([tokenizer.tokens(t) for _, t in summaries(2000)], min_count=2)
    save_model(cls(cls.Config(), vocab), "encode", wenda.encode.TOKENIZER, work / f"encoder-{name}")
    return work / f"encoder-{name}"


def run_ray(args) -> dict:
    import ray

    from wenda.collection import Collection
    from wenda.scale.raymap import connect

    corpus = args.work / "corpus"
    counts = write_corpus(corpus, summaries(args.docs))
    params = {"dense": {"encoder": str(_encoder(args.work, args.encoder))}}
    runs = {}
    for name, workers in (("no Ray", None), ("Ray, 1 worker", 1), ("Ray, 2 workers", 2)):
        index = args.work / f"index-{workers or 0}"
        shutil.rmtree(index, ignore_errors=True)
        with Collection.open_or_create(index, ["bm25", "dense"], params=params) as col:
            started = time.perf_counter()
            if workers:
                connect("local", workers)
                col.use_ray("local", workers)
            ready = time.perf_counter()
            col.add([corpus])
            took = time.perf_counter() - ready
            passages = col.store.counts()["passages"]
        if workers:
            ray.shutdown()
        runs[name] = {
            "seconds": round(took, 1),
            "ray_start_s": round(ready - started, 1),
            "passages": passages,
            "passages_per_s": round(passages / took, 1),
        }
        print(name, runs[name], flush=True)
    one, two = runs["Ray, 1 worker"], runs["Ray, 2 workers"]
    per_worker = one["passages_per_s"]
    return {
        "what": f"wenda index (bm25 + dense {args.encoder}) of summaries as files of every type; Ray started before timing",
        "encoder": args.encoder,
        "docs": args.docs,
        "files_per_type": counts,
        "runs": runs,
        "speed_up_2_over_1": round(one["seconds"] / two["seconds"], 2),
        "projection_dpr_21m_hours": {
            str(n): round(DPR_PASSAGES / (per_worker * n) / 3600, 1) for n in (1, 10, 100)
        },
    }


def run_parity(args) -> dict:
    import uuid

    import numpy as np

    from wenda.eval.retrieval import open_benchmark

    params = {"bm25-qdrant": {"qdrant": f"memory:{uuid.uuid4().hex}"}}
    index = args.work / "squad-open"
    shutil.rmtree(index, ignore_errors=True)
    t0 = time.perf_counter()
    col, questions = open_benchmark("squad-open", index, None, ["bm25", "bm25-qdrant"], params)
    build = time.perf_counter() - t0
    same, overlap, worst, ms = 0, [], 0.0, {"bm25": [], "bm25-qdrant": []}
    questions = questions[: args.questions]
    for q in questions:
        lists = {}
        for r in ms:
            t = time.perf_counter()
            lists[r] = col.retriever(r).search(q.question, 10)
            ms[r].append(1000 * (time.perf_counter() - t))
        a, b = lists["bm25"], lists["bm25-qdrant"]
        same += [p for p, _ in a] == [p for p, _ in b]
        overlap.append(len({p for p, _ in a} & {p for p, _ in b}) / max(len(a), 1))
        worst = max([worst, *(abs(x - y) for (_, x), (_, y) in zip(a, b, strict=False))])
    passages = col.store.counts()["passages"]
    col.close()
    return {
        "what": "squad-open top 10: embedded bm25 vs bm25-qdrant (qdrant-client in-process mode)",
        "passages": passages,
        "questions": len(questions),
        "identical_top10": same,
        "mean_overlap": round(float(np.mean(overlap)), 4),
        "max_score_difference": worst,
        "build_both_s": round(build, 1),
        "query_ms_median": {r: round(float(np.median(v)), 2) for r, v in ms.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=["ray", "parity"])
    parser.add_argument("--docs", type=int, default=4000)
    parser.add_argument("--encoder", choices=["minilm", "cnn"], default="minilm")
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/wenda-scale"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    out = run_ray(args) if args.mode == "ray" else run_parity(args)
    out |= {
        "command": "python bench/scale.py " + " ".join(sys.argv[1:]),
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.mode}.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
