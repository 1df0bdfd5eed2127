"""How wenda's packaged readers are made: a fresh reader with GloVe vectors for machines that
lack them (an accelerator machine, which cannot install the GloVe package), then, after training,
a size-reduced copy (pruned vocabulary, float16) for ``wenda/models/reader``.

    python bench/default_reader.py init OUT [--model drqa] [--set no_answer=true ...]
    # train it: wenda train reader --model drqa --init OUT --out RUN --set device=cuda ...
    python bench/default_reader.py pack RUN wenda/models/reader [--keep-words 60000]

The MiniLM reader (``wenda/models/reader-minilm``, ``--reader minilm``) is the fine-tuned
all-MiniLM-L6-v2 reader packed with float16 weights and the package's own word-piece table (which
the copy leaves out; the reader does not use wenda's word vocabulary, so 1,000 words are kept);
int8 weight rows (``--int8``) halve it to 11 MB but cost it about 1 EM on the held-out questions
(BENCHMARKS.md):

    python bench/default_reader.py pack RUN wenda/models/reader-minilm --keep-words 1000 \
        --from-package bert.embeddings.word_embeddings.weight

The packaged encoder (``wenda/models/encoder-minilm``, ``--encoder minilm``) is all-MiniLM-L6-v2
fine-tuned on question-passage pairs (``wenda train retriever --model minilm --supervised``),
packed with int8 rows:

    python bench/default_reader.py pack RUN wenda/models/encoder-minilm --kind encode \
        --keep-words 1000 --int8 --from-package bert.embeddings.word_embeddings.weight

``init`` builds exactly what ``wenda train reader`` builds before its first step (the same
vocabulary from the training split, the same GloVe initialisation, the same seed) and saves it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def init(out: Path, model_name: str, settings: dict) -> None:
    import wenda.read  # noqa: F401
    from wenda.data.reading_train import (
        DEFAULT_NAMES,
        HELD_OUT_FRACTION,
        load_reading_training,
        split_held_out,
    )
    from wenda.nn.modeldir import save_model
    from wenda.train.reading import fresh_reader
    from wenda.train.setup import split_settings

    overrides, config = split_settings("read", model_name, settings)
    train, _ = split_held_out(load_reading_training(DEFAULT_NAMES)[0], HELD_OUT_FRACTION)
    model = fresh_reader(model_name, train, config, overrides)
    save_model(model, "read", model.tokenizer_config(), out)
    print(
        json.dumps(
            {
                "out": str(out),
                "words": len(model.vocab.words),
                "params": sum(p.numel() for p in model.parameters()),
            }
        )
    )


def pack(src: Path, dst: Path, kind: str, keep_words: int, int8: bool, from_package: list[str]) -> None:
    from wenda.nn.shrink import shrink_model

    print(json.dumps(shrink_model(src, dst, kind, keep_words, int8=int8, from_package=from_package)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("init")
    p.add_argument("out", type=Path)
    p.add_argument("--model", default="drqa")
    p.add_argument("--set", action="append", default=[], help="key=value (JSON values)")
    p = sub.add_parser("pack")
    p.add_argument("src", type=Path)
    p.add_argument("dst", type=Path)
    p.add_argument("--kind", choices=["read", "encode"], default="read", help="a reader or an encoder")
    p.add_argument("--keep-words", type=int, default=60_000)
    p.add_argument("--int8", action="store_true", help="weight matrices as int8 rows")
    p.add_argument(
        "--from-package", action="append", default=[], help="a tensor to take from the pretrained package"
    )
    args = parser.parse_args()
    if args.command == "init":
        from wenda.cli.train import parse_settings

        init(args.out, args.model, parse_settings(args.set))
    else:
        pack(args.src, args.dst, args.kind, args.keep_words, args.int8, args.from_package)


if __name__ == "__main__":
    main()
