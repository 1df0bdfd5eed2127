"""Readers' EM/F1 on the held-out training questions (never SQuAD), over all of them and set by set.

The held-out questions are the answerable 5% that ``wenda train reader`` holds out (a hash of each
context: the same on every machine, and the same questions whichever sets a run trained on), each
read in its own context. Use it to compare readers trained on different mixtures of the sets on the
same questions, e.g. a reader fine-tuned on the Wikipedia sets against the one it started from.

    python bench/reader_held_out.py READER [READER ...] [--precision bf16] [--limit 0] [--out F]

READER: a reader directory or a packaged reader's name (``default``, ``minilm``). Prints one JSON
line per reader; ``--out`` also writes them to a JSON file.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections import defaultdict
from pathlib import Path

WIKIPEDIA = ("squad-shifts-new-wiki", "tydiqa-en", "mlqa-en-dev", "qed-dev")
"""The training sets whose contexts are Wikipedia articles, as SQuAD's are."""


def scores_by_set(scored, examples) -> dict:
    """EM/F1 (percent) over all the examples, over the Wikipedia sets, and per set."""
    from wenda.read.calibrate import em_f1

    groups: dict[str, list] = defaultdict(list)
    for s, ex in zip(scored, examples, strict=True):
        for key in ("all", ex.source, *(("wikipedia sets",) if ex.source in WIKIPEDIA else ())):
            groups[key].append(s)
    return {
        key: {"questions": len(rows), **{k: round(v, 2) for k, v in em_f1(rows).items()}}
        for key, rows in groups.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("readers", nargs="+", help="reader directories or packaged readers' names")
    parser.add_argument("--precision", default="bf16", help="the readers' arithmetic: fp32 or bf16")
    parser.add_argument("--limit", type=int, default=0, help="the first N held-out questions (0: all)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args()

    import torch

    from wenda.data.reading_train import held_out_examples
    from wenda.read.answer import load_reader
    from wenda.read.calibrate import score_examples

    torch.set_num_threads(args.threads)
    held = [ex for ex in held_out_examples() if not ex.is_impossible][: args.limit or None]
    rows = []
    for name in args.readers:
        started = time.perf_counter()
        scored = score_examples(load_reader(name, precision=args.precision), held)
        rows.append({"reader": name, "precision": args.precision, "scores": scores_by_set(scored, held),
                     "seconds": round(time.perf_counter() - started),
                     "machine": f"{platform.machine()}, {platform.python_version()}",
                     "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())})  # fmt: skip
        print(json.dumps(rows[-1]), flush=True)
    if args.out:
        from wenda.fileio import atomic_write_json

        atomic_write_json(args.out, rows)


if __name__ == "__main__":
    main()
