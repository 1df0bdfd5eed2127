"""WikiQA benchmark of every registered ranker: test MAP/MRR/NDCG (mean and spread over seeds),
training time, parameters and re-ranking latency, beside MatchZoo's and the papers' numbers.

    python bench/rankers.py run [--models knrm,drmm] [--seeds 0 1 2] [--threads 2] [--device cpu]
    python bench/rankers.py latency --threads 2   # re-measure latency alone on a quiet machine
    python bench/rankers.py report            # Markdown table of what `run` measured

Each (model, seed) trains exactly as ``wenda train ranker --model M --dataset wikiqa --set seed=S``
would (the model's preset from ``wenda.train.presets``; epochs chosen on dev MAP), then is evaluated
once on WikiQA test, on the standard filtered judgments (237 questions) and the full ones (633). A run
already finished is not redone; an interrupted one resumes from its checkpoint. Latency: milliseconds
to score 100 candidate sentences for one question (tokenization included), p50 over 50 test questions,
with ``--threads`` torch threads, measured on the seed-0 model. A BM25 row (bm25s, k1 = 1.2, b = 0.75,
wenda's BM25 tokenizer; IDF over the test candidate sentences) is the baseline.
Results: ``<work>/<model>-s<seed>.json``; the report goes to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

WORK = Path("bench/results/rankers")
METRICS = ("map", "mrr", "ndcg@3", "ndcg@5")
# MatchZoo 1.0's README, WikiQA test MAP (filtered set; GloVe, 50d or 300d per model config), as quoted
# by the issue; aNMM's 0.630 is from the same README table (commit 0f76594).
MATCHZOO = {"arci": 0.587, "arcii": 0.585, "dssm": 0.565, "cdssm": 0.559, "mvlstm": 0.599, "drmm": 0.620,
            "matchpyramid": 0.643, "knrm": 0.626, "anmm": 0.630}


def _machine() -> str:
    import torch

    return f"{platform.processor() or platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads"


def _latency(model_dir: Path, test, threads: int, n_queries: int = 50, n_cands: int = 100) -> float:
    import torch

    from wenda.rank.reranker import load_ranker

    torch.set_num_threads(threads)
    ranker = load_ranker(model_dir)
    pool = [c.text for q in test for c in q.candidates]
    times = []
    for i, q in enumerate(test[: n_queries + 3]):
        texts = [pool[(i * n_cands + j) % len(pool)] for j in range(n_cands)]
        start = time.perf_counter()
        ranker.score(q.text, texts)
        if i >= 3:  # warm-up
            times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def run_one(model: str, seed: int, args) -> dict:
    from wenda.data.answer_selection import answer_selection
    from wenda.eval.ranking import evaluate_scorer
    from wenda.rank.reranker import load_ranker
    from wenda.train.ranking import train_ranker

    path = args.work / f"{model}-s{seed}.json"
    if path.exists():
        return json.loads(path.read_text())
    out = args.work / "models" / f"{model}-s{seed}"
    settings = {"seed": seed, "threads": args.threads, "device": args.device}
    report = train_ranker(model, "wikiqa", out, settings, progress=False)
    data = answer_selection("wikiqa")
    test = data.load("test")
    ranker = load_ranker(out)
    result = {
        "model": model, "seed": seed, "params": report["params"], "trainable_params": report["trainable_params"],
        "train_seconds": report["seconds"], "epochs": report["epoch"], "best_epoch": report["best_epoch"],
        "dev_map": report["best"], "stopped": report["stopped"], "settings": report["config"],
        "filtered": evaluate_scorer(ranker, test, data.qrels("test", True)),
        "full": evaluate_scorer(ranker, test, data.qrels("test", False)),
        "machine": _machine(), "device": args.device,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    if seed == args.seeds[0]:
        result["latency_ms_100"] = _latency(out, test, args.threads)
        result["latency_threads"] = args.threads
    args.work.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))
    return result


def latency(args) -> None:
    """Re-measure the seed-0 models' latency with ``--threads`` (run it when nothing else runs)."""
    from wenda.data.answer_selection import answer_selection

    test = answer_selection("wikiqa").load("test")
    for path in sorted(args.work.glob("*-s0.json")):
        r = json.loads(path.read_text())
        r["latency_ms_100"] = _latency(args.work / "models" / path.stem, test, args.threads)
        r["latency_threads"] = args.threads
        path.write_text(json.dumps(r, indent=2))
        print(f"{r['model']}: {r['latency_ms_100']:.1f} ms / 100 candidates", file=sys.stderr)


def bm25_baseline() -> dict:
    import bm25s

    from wenda.data.answer_selection import answer_selection
    from wenda.eval.ranking import evaluate_scores
    from wenda.text import Tokenizer

    data, tok = answer_selection("wikiqa"), Tokenizer()
    test = data.load("test")
    texts = sorted({c.text for q in test for c in q.candidates})
    row = {t: i for i, t in enumerate(texts)}
    index = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    index.index([tok.tokens(t) for t in texts], show_progress=False)
    scores = []
    for q in test:
        all_scores = index.get_scores(tok.tokens(q.text))
        scores.extend(float(all_scores[row[c.text]]) for c in q.candidates)
    return {judged: evaluate_scores(test, scores, data.qrels("test", judged == "filtered")) for judged in ("filtered", "full")}


def _mean_sd(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{np.mean(values):.3f} ± {np.std(values, ddof=1):.3f}"


def report(args) -> None:
    rows = {}
    for path in sorted(args.work.glob("*-s*.json")):
        r = json.loads(path.read_text())
        rows.setdefault(r["model"], []).append(r)
    print("| model | seeds | MAP | MRR | NDCG@3 | NDCG@5 | MAP (full) | MatchZoo 1.0 MAP | dev MAP | train s | epochs (best) | params (trainable) | ms / 100 cands |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for model, rs in sorted(rows.items()):
        lat = next((r["latency_ms_100"] for r in rs if "latency_ms_100" in r), None)
        cells = [_mean_sd([r["filtered"][m] for r in rs]) for m in METRICS]
        print(
            f"| {model} | {len(rs)} | " + " | ".join(cells) + f" | {_mean_sd([r['full']['map'] for r in rs])} | "
            f"{MATCHZOO.get(model, '–')} | {_mean_sd([r['dev_map'] for r in rs])} | {statistics.mean(r['train_seconds'] for r in rs):.0f} | "
            f"{statistics.mean(r['epochs'] for r in rs):.1f} ({statistics.mean(r['best_epoch'] for r in rs):.1f}) | "
            f"{rs[0]['params']:,} ({rs[0]['trainable_params']:,}) | {lat:.1f} |" if lat else " – |"
        )
    base = bm25_baseline()
    print(f"| bm25 (baseline) | – | {base['filtered']['map']:.3f} | {base['filtered']['mrr']:.3f} | {base['filtered']['ndcg@3']:.3f} | "
          f"{base['filtered']['ndcg@5']:.3f} | {base['full']['map']:.3f} | – | – | – | – | – | – |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("run", "latency", "report"))
    parser.add_argument("--models", default="all")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--work", type=Path, default=WORK)
    args = parser.parse_args(argv)
    if args.command in ("report", "latency"):
        {"report": report, "latency": latency}[args.command](args)
        return
    import wenda.rank
    from wenda import registry

    models = registry.available("rank") if args.models == "all" else args.models.split(",")
    for model in models:
        for seed in args.seeds:
            r = run_one(model, seed, args)
            print(f"{model} seed {seed}: test MAP {r['filtered']['map']:.4f} dev {r['dev_map']:.4f} "
                  f"{r['train_seconds']:.0f} s", file=sys.stderr, flush=True)
    del wenda


if __name__ == "__main__":
    main()
