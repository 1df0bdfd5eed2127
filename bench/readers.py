"""SQuAD benchmark of the readers: training on the span-annotated sets within a time budget on the
CPU, then SQuAD v1.1 dev EM/F1 once (and v2.0 dev for readers with a no-answer head), calibration
(ECE), parameters, and inference speed, beside the papers' numbers.

    python bench/readers.py train MODEL [--work DIR] [--minutes 70] [--threads 1] [--set k=v ...]
    python bench/readers.py eval MODEL [--work DIR] [--dataset squad-v1.1-dev] [--precision bf16]
    python bench/readers.py speed MODEL|default [--work DIR] [--threads 2] [--precision bf16]
    python bench/readers.py steps MODEL [--threads 2] [--precision bf16] [--data SET] [--count 10]
    python bench/readers.py report [--work DIR]

``train`` is exactly ``wenda train reader --model MODEL --out DIR/MODEL --set threads=T --set
epochs=30 --set max_minutes=M`` (resumable: run it again after an interruption); the epoch is chosen
on the held-out 5% of the training sets, never on SQuAD. ``eval`` is ``wenda eval reader``.
``speed`` reads 20 passages (the question's SQuAD dev paragraph and the 19 that follow it) for each
of 100 dev questions with ``--threads`` torch threads: median milliseconds per question and
passages per second (tokenization included, after 5 warm-up questions).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

WORK = Path("bench/results/readers")
# The papers' SQuAD v1.1 dev EM/F1 (single model), as quoted by the issue.
PAPERS = {
    "match_lstm": (64.1, 73.9),
    "bidaf": (67.7, 77.3),
    "rnet": (71.1, 79.5),
    "qanet": (73.6, 82.7),
    "drqa": (69.5, 78.8),
}


def _wenda(*args: str) -> str:
    """Run the CLI; its log and errors go to this process's stderr, its output is returned."""
    done = subprocess.run([sys.executable, "-m", "wenda", *args], stdout=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"wenda {' '.join(args)} failed ({done.returncode})")
    return done.stdout


def train(args) -> None:
    settings = [f"threads={args.threads}", "epochs=30", f"max_minutes={args.minutes}", *args.set]
    flags = [x for s in settings for x in ("--set", s)]
    print(
        _wenda(
            "train",
            "reader",
            "--model",
            args.model,
            "--out",
            str(args.work / args.model),
            "-q",
            "--json",
            *flags,
        )
    )


def _suffix(args) -> str:
    """What a result file's name gets for a precision other than fp32 (``-bf16``)."""
    return "" if args.precision == "fp32" else f"-{args.precision}"


def evaluate(args) -> None:
    model = str(args.work / args.model)
    out = json.loads(
        _wenda("eval", "reader", model, "--dataset", args.dataset, "--precision", args.precision, "--json")
    )
    out["date"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    (args.work / args.model / f"eval-{args.dataset}{_suffix(args)}.json").write_text(
        json.dumps(out, indent=2)
    )
    print(json.dumps(out))


def speed(args) -> None:
    import torch

    from wenda.data import load_squad, require
    from wenda.read.answer import load_reader

    torch.set_num_threads(args.threads)
    model_dir = None if args.model == "default" else args.work / args.model  # None: the packaged one
    reader = load_reader(model_dir, precision=args.precision)
    articles = load_squad(require("squad-dev/squad-v1.1-dev.json"))
    paragraphs = [(p["context"], p["qas"][0]["question"]) for a in articles for p in a["paragraphs"]]
    times = []
    for i in range(105):
        k = i * 17 % (len(paragraphs) - 20)
        passages = [c for c, _ in paragraphs[k : k + 20]]
        start = time.perf_counter()
        reader.read(paragraphs[k][1], passages)
        if i >= 5:
            times.append(1000 * (time.perf_counter() - start))
    ms = statistics.median(times)
    result = {
        "ms_per_question_20_passages": ms,
        "passages_per_s": 20_000 / ms,
        "threads": args.threads,
        "precision": args.precision,
        "machine": f"{platform.machine()}, torch {torch.__version__}",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    (args.work / args.model).mkdir(parents=True, exist_ok=True)
    (args.work / args.model / f"speed{_suffix(args)}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result))


def steps(args) -> None:
    """Seconds per training step of a fresh ``MODEL`` (batch 32, the real training windows of
    ``--data``, ``all`` for every training set) with ``--precision`` and ``--set`` training settings:
    the trainer's own step loop over ``--count`` batches drawn at random from one epoch's (steps
    differ in cost when batches are bucketed by length), after 2 warm-up steps; also windows/s and
    the epoch's estimated minutes."""
    import tempfile

    import torch

    from wenda.cli.train import parse_settings
    from wenda.data.reading_train import load_reading_training
    from wenda.train.reading import ReadingTask, fresh_reader
    from wenda.train.setup import split_settings
    from wenda.train.trainer import Trainer

    settings = {"threads": args.threads, "precision": args.precision, "no_answer_distractors": 0.0}
    overrides, config = split_settings("read", args.model, {**settings, **parse_settings(args.set)})
    examples, _ = load_reading_training(*([[args.data]] if args.data != "all" else []))
    model = fresh_reader(args.model, examples, config, overrides)
    task = ReadingTask(examples, [], config, model.config, model.tokenizer_config())
    batches = list(task.batches(1, np.random.default_rng(0)))
    drawn = [batches[i] for i in np.random.default_rng(1).permutation(len(batches))[: 2 + args.count]]
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as out:
        trainer = Trainer(model, task, config, Path(out), progress=False)
        trainer._train_steps(drawn[:2], 1)
        started = time.perf_counter()
        trainer._train_steps(drawn[2:], 1)
        elapsed = time.perf_counter() - started
    seconds, windows = elapsed / len(drawn[2:]), sum(map(len, drawn[2:]))
    result = {
        "model": args.model, "precision": args.precision, "threads": args.threads, "data": args.data,
        "settings": args.set, "steps": len(drawn[2:]), "batch_size": config.batch_size,
        "seconds_per_step": seconds, "windows_per_s": windows / elapsed,
        "epoch_minutes_estimate": seconds * len(batches) / 60,
        "machine": f"{platform.machine()}, torch {torch.__version__}",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }  # fmt: skip
    print(json.dumps(result))


def _load(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def report(args) -> None:
    print(
        "| reader | SQuAD v1.1 dev EM / F1 (ours) | paper dev EM / F1 | training (2-core machine) | params "
        "| passages/s | ECE |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for folder in sorted(p for p in args.work.iterdir() if (p / "training.json").exists()):
        t, e, s = (
            _load(folder / "training.json"),
            _load(folder / "eval-squad-v1.1-dev.json"),
            _load(folder / "speed.json"),
        )
        paper = PAPERS.get(t["model"])
        ours = f"{e['exact_match']:.1f} / {e['f1']:.1f}" if e else "not evaluated"
        paper_text = f"{paper[0]:.1f} / {paper[1]:.1f}" if paper else "—"
        print(
            f"| {folder.name} | {ours} | {paper_text} "
            f"| {t['seconds'] / 60:.0f} min, {t['epoch']} epochs (best {t['best_epoch']}) | {t['params']:,} "
            f"| {s.get('passages_per_s', 0):.0f} | {e.get('ece', float('nan')):.3f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("train", "eval", "speed", "steps", "report"):
        p = sub.add_parser(name)
        if name != "report":
            p.add_argument("model")
        p.add_argument("--work", type=Path, default=WORK)
        p.add_argument("--threads", type=int, default=1 if name == "train" else 2)
        p.add_argument("--minutes", type=float, default=70.0)
        p.add_argument("--dataset", default="squad-v1.1-dev")
        p.add_argument("--set", action="append", default=[])
        p.add_argument("--precision", default="fp32", choices=["fp32", "bf16"], help="eval, speed, steps")
        p.add_argument("--data", default="squad-shifts-new-wiki", help="steps: the training set")
        p.add_argument("--count", type=int, default=10, help="steps: steps timed")
    args = parser.parse_args()
    {"train": train, "eval": evaluate, "speed": speed, "steps": steps, "report": report}[args.command](args)


if __name__ == "__main__":
    main()
