"""What packing a fine-tuned MiniLM reader costs, part by part, on training-side data (never SQuAD):
held-out EM/F1 of the reader as trained, with its word-piece table reset to the pretrained package's
(what ``--from-package`` does), with int8 weight rows (``--int8``, ``wenda.nn.int8``), and both (the
packed copy). The held-out questions are the answerable 5% that ``wenda train reader`` holds out.

    python bench/reader_packing.py RUN [--precision bf16] [--limit 0]

Prints one JSON line per variant: EM/F1 over all the questions, the Wikipedia sets and each set.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from reader_held_out import scores_by_set  # the same groups: all, the Wikipedia sets, each set

TABLE = "bert.embeddings.word_embeddings.weight"
VARIANTS = {"as trained": (), "table from the package": ("table",), "int8 rows": ("int8",),
            "both (the packed copy)": ("table", "int8")}  # fmt: skip


def _variant(src: Path, parts: tuple[str, ...]):
    """The reader in ``src`` with the named parts of packing applied in memory."""
    import torch

    from wenda.nn.int8 import dequantize, quantize
    from wenda.nn.modeldir import load_model

    model, tokenizer = load_model(src, "read")
    state = model.state_dict()
    with torch.no_grad():
        if "table" in parts:  # a fresh model holds the package's own table
            state[TABLE].copy_(type(model)(model.config, model.vocab).state_dict()[TABLE])
        if "int8" in parts:
            for name, value in dequantize(quantize(dict(state))).items():
                state[name].copy_(value)
    return model, tokenizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="a trained MiniLM reader directory")
    parser.add_argument("--precision", default="bf16")
    parser.add_argument("--limit", type=int, default=0, help="the first N held-out questions (0: all)")
    args = parser.parse_args()

    import torch

    import wenda.read  # noqa: F401 - registers the readers
    from wenda.data.reading_train import held_out_examples
    from wenda.read.answer import ReaderService
    from wenda.read.calibrate import score_examples

    torch.set_num_threads(1)
    held = [ex for ex in held_out_examples() if not ex.is_impossible][: args.limit or None]
    for name, parts in VARIANTS.items():
        model, tokenizer = _variant(args.run, parts)
        started = time.perf_counter()
        scored = score_examples(ReaderService(model, tokenizer, precision=args.precision), held)
        row = {"variant": name, "precision": args.precision, **scores_by_set(scored, held),
               "seconds": round(time.perf_counter() - started)}  # fmt: skip
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
