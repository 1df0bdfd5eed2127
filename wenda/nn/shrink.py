"""Size-reduced copies of trained models, for shipping: a pruned vocabulary and half-precision
weights.

Vocabularies list words by descending training count, then the pretrained vectors' extra words
(:meth:`wenda.text.vocab.Vocab.build`), so keeping the first ``keep_words`` keeps the most useful;
a dropped word falls into its hashed OOV bucket like any unseen word, so the model still reads it
(with the bucket's vector). Weights are stored as float16 and cast back to float32 on load. The
loss this costs is measured, not assumed: evaluate the copy (BENCHMARKS.md does).
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import torch

from wenda.nn.layers import state_tensors
from wenda.nn.modeldir import load_model, save_model
from wenda.text.vocab import Vocab

# Files beside the weights that stay valid for the copy (calibration, training record).
KEEP_FILES = ("calibration.json", "training.json")


def shrink_model(
    src: Path, dst: Path, kind: str, keep_words: int, dtype: torch.dtype = torch.float16
) -> dict:
    """Copy the ``kind`` model in ``src`` to ``dst`` with only its ``keep_words`` first vocabulary
    words (their embedding rows; every other tensor whole) and weights stored as ``dtype``.

    Returns: ``words_before``, ``words_after``, ``bytes`` (of ``dst``'s files).
    """
    importlib.import_module(f"wenda.{kind}")  # registers the stage's models
    model, tokenizer = load_model(Path(src), kind)
    old = model.vocab
    vocab = Vocab(old.words[:keep_words], old.df[:keep_words], old.n_docs, old.oov_buckets)
    state = {
        k: v[: len(vocab)] if v.dim() and v.shape[0] == len(old) else v
        for k, v in state_tensors(model).items()
    }
    smaller = type(model)(model.config, vocab)
    smaller.load_state_dict(state)
    save_model(smaller, kind, tokenizer, Path(dst), dtype)
    for name in KEEP_FILES:
        if (Path(src) / name).exists():
            shutil.copyfile(Path(src) / name, Path(dst) / name)
    size = sum(f.stat().st_size for f in Path(dst).iterdir() if f.is_file())
    return {"words_before": len(old.words), "words_after": len(vocab.words), "bytes": size}
