"""Size-reduced copies of trained models, for shipping: a pruned vocabulary, half-precision or int8
weights, and, for models fine-tuned from a pretrained package, the package's own tensors in place of
chosen trained ones (not stored: read from the installed package).

Vocabularies list words by descending training count, then the pretrained vectors' extra words
(:meth:`wenda.text.vocab.Vocab.build`), so keeping the first ``keep_words`` keeps the most useful;
a dropped word falls into its hashed OOV bucket like any unseen word, so the model still reads it
(with the bucket's vector). Weights are stored as float16 and cast back to float32 on load, or as
int8 rows (``wenda.nn.int8``). ``from_package`` names trained tensors to replace by the pretrained
package's (a fine-tuned word-piece table moves little from the package's: 2.5% for the MiniLM
reader); the copy then leaves them out. The loss all this costs is measured, not assumed: evaluate
the copy (BENCHMARKS.md does).
"""

from __future__ import annotations

import importlib
import shutil
from collections.abc import Iterable
from pathlib import Path

import torch

from wenda.nn.layers import state_tensors
from wenda.nn.modeldir import load_model, save_model
from wenda.text.vocab import Vocab

# Files beside the weights that stay valid for the copy (calibration, training record).
KEEP_FILES = ("calibration.json", "training.json")


def shrink_model(
    src: Path,
    dst: Path,
    kind: str,
    keep_words: int,
    dtype: torch.dtype = torch.float16,
    int8: bool = False,
    from_package: Iterable[str] = (),
) -> dict:
    """Copy the ``kind`` model in ``src`` to ``dst`` with only its ``keep_words`` first vocabulary
    words (their embedding rows; every other tensor whole), weights stored as ``dtype`` (matrices
    as int8 rows with ``int8``), and the tensors named in ``from_package`` taken from the pretrained
    package instead of ``src`` (and left out of ``dst``).

    Returns: ``words_before``, ``words_after``, ``bytes`` (of ``dst``'s files).

    Raises:
        ValueError: a ``from_package`` name is not a tensor the model reads from its package.
    """
    importlib.import_module(f"wenda.{kind}")  # registers the stage's models
    model, tokenizer = load_model(Path(src), kind)
    old, from_package = model.vocab, set(from_package)  # save_model refuses any not from a package
    vocab = Vocab(old.words[:keep_words], old.df[:keep_words], old.n_docs, old.oov_buckets)
    state = {
        k: v[: len(vocab)] if v.dim() and v.shape[0] == len(old) else v
        for k, v in state_tensors(model).items()
        if k not in from_package
    }
    smaller = type(model)(model.config, vocab)  # built afresh: package tensors are the package's
    smaller.load_state_dict(state, strict=not from_package)
    save_model(smaller, kind, tokenizer, Path(dst), dtype, int8=int8, omit=from_package)
    for name in KEEP_FILES:
        if (Path(src) / name).exists():
            shutil.copyfile(Path(src) / name, Path(dst) / name)
    size = sum(f.stat().st_size for f in Path(dst).iterdir() if f.is_file())
    return {"words_before": len(old.words), "words_after": len(vocab.words), "bytes": size}
