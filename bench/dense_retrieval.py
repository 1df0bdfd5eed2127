"""Learned retrieval benchmark (issue 5): dual encoders and BPR binary codes against BM25, alone
and fused, on squad-open and nq-open; index bytes per passage, query latency, encoding speed.

    python bench/dense_retrieval.py corpus [--work DIR]          # the training corpus: wiki summaries
    python bench/dense_retrieval.py train NAME --model M [--self-supervised ict|crop] [--supervised]
                                          [--minutes 25] [--set k=v ...] [--work DIR]
    python bench/dense_retrieval.py pretrained NAME --model minilm [--set k=v]   # saved as is, untrained
    python bench/dense_retrieval.py eval NAME [--dataset squad-open|nq-open] [--work DIR]
    python bench/dense_retrieval.py fusion NAME [--dataset held-out-open|nq-open] [--work DIR]
                                          # choose the hybrid default on a dev set
    python bench/dense_retrieval.py report [--work DIR]

Encoders train on the 10,033 Wikipedia summaries only (``corpus``: an index of them, the nq-open
collection), never on SQuAD: self-supervised pairs come from those passages, supervised ones from
the reading-comprehension training sets (checked against SQuAD dev). ``train`` is exactly
``wenda train retriever --model M --index WORK/corpus --out WORK/NAME --set threads=1 --set
max_minutes=MINUTES ...`` (resumable). ``eval`` is ``wenda eval retrieval --dataset D --encoder
WORK/NAME --index WORK/index-D-NAME -r bm25 -r hybrid`` (plus the learned retriever), then measures
the learned index's bytes per passage and the encoder's passages/s (100-word passages, 1 and 2
threads).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

WORK = Path("bench/results/dense_retrieval")


def _wenda(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "wenda", *args], stdout=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"wenda {' '.join(args)} failed ({done.returncode})")
    return done.stdout


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def corpus(args) -> None:
    from wenda.eval.retrieval import open_benchmark

    col, _ = open_benchmark("nq-open", args.work / "corpus", retrievers=["bm25"])
    print(json.dumps({"passages": col.store.counts()["passages"], "index": str(args.work / "corpus")}))
    col.close()


def train(args) -> None:
    flags = ["--self-supervised", args.self_supervised] if args.self_supervised else []
    flags += ["--supervised"] if args.supervised else []
    settings = ["threads=1", f"max_minutes={args.minutes}", "epochs=50", *args.set]
    flags += [x for s in settings for x in ("--set", s)]
    out = args.work / args.name
    print(_wenda("train", "retriever", "--model", args.model, "--index", str(args.work / "corpus"),
                 "--out", str(out), "-q", "--json", *flags))  # fmt: skip


def pretrained(args) -> None:
    """Save a pretrained encoder as it comes (no training), with a training.json saying so."""
    import wenda.encode  # noqa: F401
    from wenda import registry
    from wenda.cli.train import parse_settings
    from wenda.encode import TOKENIZER
    from wenda.nn.modeldir import save_model
    from wenda.text.vocab import Vocab

    cls = registry.get("encode", args.model)
    model = cls(cls.Config.from_dict({**cls.Config().to_dict(), **parse_settings(args.set)}), Vocab.build([]))
    out = args.work / args.name
    save_model(model, "encode", TOKENIZER, out)
    report = {"model": args.model, "model_config": model.config.to_dict(), "seconds": 0.0, "epoch": 0,
              "best_epoch": 0, "self_supervised": None, "supervised": False, "pretrained_only": True,
              "params": sum(p.numel() for p in model.parameters())}  # fmt: skip
    (out / "training.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report))


def _learned(encoder: Path) -> str:
    """The retriever an encoder's codes go to: ``binary`` with a hash layer, else ``dense``."""
    from wenda.nn.modeldir import read_meta

    return "binary" if read_meta(encoder, "encode")["config"].get("bits") else "dense"


def _bytes_per_passage(index: Path, learned: str, passages: int) -> int:
    store = index / "retrievers" / learned / ("codes" if learned == "binary" else "vectors")
    return round(sum(f.stat().st_size for f in store.rglob("*") if f.is_file()) / max(passages, 1))


def _encoding_speed(encoder: Path, texts: list[str]) -> dict[str, float]:
    import torch

    import wenda.encode  # noqa: F401
    from wenda.nn.modeldir import load_model
    from wenda.text import Tokenizer

    model, tokenizer = load_model(encoder, "encode")
    tokens = [Tokenizer(tokenizer).tokens(t) for t in texts]
    out = {}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        model.vectors(tokens[:64], "passage")  # warm-up
        start = time.perf_counter()
        model.vectors(tokens, "passage")
        out[f"passages_per_s_{threads}_threads"] = len(tokens) / (time.perf_counter() - start)
    return out


def evaluate(args) -> None:
    from wenda.collection import Collection

    encoder, index = args.work / args.name, args.work / f"index-{args.dataset}-{args.name}"
    learned = _learned(encoder)
    started = time.perf_counter()
    # A hashing encoder is judged twice: its binary codes, and its continuous vectors in a float index
    # (BPR's comparison: the same encoder, 32x the bytes).
    names = ["bm25", "dense", *(["binary"] if learned == "binary" else []), "hybrid"]
    flags = [x for n in names for x in ("-r", n)]
    out = json.loads(_wenda("eval", "retrieval", "--dataset", args.dataset, "--encoder", str(encoder),
                            "--index", str(index), *flags, "--json"))  # fmt: skip
    with Collection.open(index) as col:
        texts = [t for t in col.passage_texts()[:2000]]
    out.update(
        bytes_per_passage={
            n: _bytes_per_passage(index, n, out["passages"]) for n in names if n in ("dense", "binary")
        },
        learned=learned,
        seconds=time.perf_counter() - started,
        machine=f"{platform.machine()}, {platform.python_version()}",
        date=_now(),
        **_encoding_speed(encoder, texts),
    )
    (encoder / f"eval-{args.dataset}.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out))


def _top20(runs_per_q, answers_per_q, texts, fuse) -> float:
    """Top-20 answer recall (%) of the fused runs."""
    from wenda.eval.squad import has_answer

    found = 0
    for runs, answers in zip(runs_per_q, answers_per_q, strict=True):
        found += any(has_answer(texts[pid], answers) for pid, _ in fuse(runs)[:20])
    return 100.0 * found / max(len(runs_per_q), 1)


def _dev_questions(dataset: str) -> tuple[str, list]:
    """The dev questions of a fusion run: held-out-open's (the reading training sets' held-out
    questions, ``wenda.data.held_out_open``), or for nq-open EfficientQA's dev questions (1,800,
    not NQ-open dev, which the tables use)."""
    if dataset == "nq-open":
        from wenda.data.nq_open import load_nq_open
        from wenda.data.paths import require

        return "nq-open efficientqa dev", load_nq_open(require("nq-open/NQ-open.efficientqa.dev.1.1.jsonl"))
    from wenda.data.held_out_open import build_held_out_open

    return "held-out-open", build_held_out_open()[1]


def fusion(args) -> None:
    """Grid over the fusion method, the learned side's weight (``hybrid_weight``) and TF-IDF's share
    of the lexical side (``hybrid_tfidf``, RRF only) on a dev set (:func:`_dev_questions`) with
    encoder NAME: BM25, TF-IDF and learned runs are retrieved once (depth 100), then fused per
    setting. Writes WORK/NAME/fusion-DATASET.json (top-20 answer recall per setting)."""
    from wenda.collection import Collection
    from wenda.index.fusion import interpolate, reciprocal_rank_fusion

    encoder, index = args.work / args.name, args.work / f"index-{args.dataset}-{args.name}"
    learned = _learned(encoder)
    build = ["--dataset", args.dataset, "--encoder", str(encoder), "--index", str(index), "-r", "bm25"]
    _wenda(
        "eval", "retrieval", *build, "-r", "tfidf", "-r", learned, "--limit", "1", "--json"
    )  # builds the index
    described, questions = _dev_questions(args.dataset)
    with Collection.open(index) as col:
        retrievers = [col.retriever(name) for name in ("bm25", "tfidf", learned)]
        runs = [[r.search(q.question, 100) for r in retrievers] for q in questions]
        pids = {pid for triple in runs for run in triple for pid, _ in run}
        texts = {pid: v["passage"].text for pid, v in col.store.passages(sorted(pids)).items()}
    answers = [q.answers for q in questions]
    grid = {}
    for w in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
        for share in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
            weights = [(1 - w) * (1 - share), (1 - w) * share, w]
            grid[f"rrf/{w}/tfidf={share}"] = _top20(
                runs, answers, texts, lambda r, ws=weights: reciprocal_rank_fusion(r, weights=ws)
            )
        for norm in ("minmax", "zscore"):
            grid[f"{norm}/{w}/tfidf=0.0"] = _top20(
                runs, answers, texts, lambda r, ws=[1 - w, 0.0, w], n=norm: interpolate(r, ws, n)
            )
    best = max(grid, key=lambda key: (grid[key], key.startswith("rrf")))
    out = {"dataset": described, "questions": len(questions), "top20": grid, "best": best, "date": _now()}
    (encoder / f"fusion-{args.dataset}.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out))


def report(args) -> None:
    print(
        "| encoder | training | dataset | retriever | top-5 | top-20 | top-100 | MRR | p50 ms | p95 ms | B/passage | passages/s (1 / 2 thr) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for folder in sorted(p for p in args.work.iterdir() if (p / "training.json").exists()):
        t = json.loads((folder / "training.json").read_text())
        how = " + ".join(
            x for x in (t.get("self_supervised"), "supervised" if t.get("supervised") else None) if x
        )
        trained = f"{how}, {t['seconds'] / 60:.0f} min, {t['epoch']} ep (best {t['best_epoch']})"
        trained = "pretrained, not fine-tuned" if t.get("pretrained_only") else trained
        for e_path in sorted(folder.glob("eval-*.json")):
            e = json.loads(e_path.read_text())
            for name, r in e["results"].items():
                size = e["bytes_per_passage"] if name == e["learned"] else ""
                speed = (
                    f"{e['passages_per_s_1_threads']:.0f} / {e['passages_per_s_2_threads']:.0f}"
                    if name == e["learned"]
                    else ""
                )
                print(f"| {folder.name} | {trained} | {e['dataset']} | {name} | {r['recall@5']:.1f} | {r['recall@20']:.1f} "
                      f"| {r['recall@100']:.1f} | {r['mrr']:.3f} | {r['ms_p50']:.1f} | {r['ms_p95']:.1f} | {size} | {speed} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("corpus", "train", "pretrained", "eval", "fusion", "report"):
        p = sub.add_parser(name)
        p.add_argument("--work", type=Path, default=WORK)
        if name in ("train", "pretrained", "eval", "fusion"):
            p.add_argument("name")
        if name in ("train", "pretrained"):
            p.add_argument("--model", required=True)
            p.add_argument("--set", action="append", default=[])
        if name == "train":
            p.add_argument("--self-supervised", default=None)
            p.add_argument("--supervised", action="store_true")
            p.add_argument("--minutes", type=float, default=25.0)
        if name == "eval":
            p.add_argument("--dataset", default="squad-open")
        if name == "fusion":
            p.add_argument("--dataset", choices=["held-out-open", "nq-open"], default="held-out-open")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    commands = {
        "corpus": corpus,
        "train": train,
        "pretrained": pretrained,
        "eval": evaluate,
        "fusion": fusion,
    }
    commands["report"] = report
    commands[args.command](args)


if __name__ == "__main__":
    main()
