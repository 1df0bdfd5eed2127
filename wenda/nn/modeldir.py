"""A trained model on disk, for every stage (rankers, readers): a directory of ``config.json``,
``model.safetensors`` and ``vocab.json``.

``config.json`` holds ``{"type": "<kind>/<name>", "format": 1, "config": {...}, "tokenizer": {...}}``:
the registered name (never an import path), the architecture config and the tokenizer settings the
model was trained with, so a model loads and predicts without its training data (MatchZoo-py could
not). Weights are safetensors: no pickle. Every file is written atomically, weights last but one and
``config.json`` last, so a directory with a ``config.json`` is complete; ``config.json`` also keeps
the SHA-256 of the weights and the vocabulary, so a damaged file is an error, not a changed model.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from wenda import registry
from wenda.errors import WendaError
from wenda.fileio import atomic_write_bytes, atomic_write_json, read_json, sha256_file
from wenda.nn.layers import state_tensors
from wenda.text import TokenizerConfig
from wenda.text.vocab import Vocab, VocabError

FORMAT = 1
CONFIG, WEIGHTS, VOCAB = "config.json", "model.safetensors", "vocab.json"


class ModelError(WendaError):
    """A model directory that is missing, incomplete, corrupt or of another version."""


def save_model(
    model: torch.nn.Module,
    kind: str,
    tokenizer: TokenizerConfig,
    directory: Path,
    dtype: torch.dtype | None = None,
) -> None:
    """Write ``model`` (registered as ``kind/<its name>``; with its ``config``, its ``vocab`` and the
    tokenizer it expects) to ``directory``; floating-point weights are stored as ``dtype`` when
    given (``torch.float16`` halves the file; loading casts them back to the model's dtype)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model.vocab.save(directory / VOCAB)
    tensors = state_tensors(model)
    if dtype is not None:
        tensors = {k: v.to(dtype) if v.is_floating_point() else v for k, v in tensors.items()}
    weights = atomic_write_bytes(directory / WEIGHTS, save_safetensors(tensors))
    meta = {
        "type": f"{kind}/{model.registered_name}",
        "format": FORMAT,
        "config": model.config.to_dict(),
        "tokenizer": tokenizer.to_dict(),
        "sha256": {WEIGHTS: weights, VOCAB: sha256_file(directory / VOCAB)},
    }
    atomic_write_json(directory / CONFIG, meta)


def read_meta(directory: Path, kind: str) -> dict:
    """``config.json`` of a model directory, checked for kind and format."""
    directory = Path(directory)
    if not (directory / CONFIG).exists():
        raise ModelError(f"{directory} is not a wenda model directory (no {CONFIG})")
    try:
        meta = read_json(directory / CONFIG, "model config")
    except WendaError as exc:
        raise ModelError(str(exc)) from None
    found, _, name = str(meta.get("type", "")).partition("/")
    if found != kind or meta.get("format") != FORMAT:
        raise ModelError(
            f"{directory}: type {meta.get('type')!r} format {meta.get('format')!r} is not a model of kind {kind!r} and format {FORMAT}"
        )
    meta["name"] = name
    return meta


def load_model(directory: Path, kind: str) -> tuple[torch.nn.Module, TokenizerConfig]:
    """The ``kind`` network saved in ``directory`` (in eval mode) and its tokenizer settings.

    Raises:
        ModelError: the directory is missing a file, a file is corrupt, or the weights do not fit
            the saved config.
    """
    directory = Path(directory)
    meta = read_meta(directory, kind)
    try:
        cls = registry.get(kind, meta["name"])
        config = cls.Config.from_dict(meta["config"])
        tokenizer = TokenizerConfig.from_dict(meta["tokenizer"])
        digests = meta.get("sha256") or {}  # absent in models saved before digests were kept
        if VOCAB in digests and (directory / VOCAB).exists():
            _check_digest(directory / VOCAB, sha256_file(directory / VOCAB), digests[VOCAB])
        vocab = Vocab.load(directory / VOCAB)
    except (ValueError, TypeError, KeyError, VocabError) as exc:
        raise ModelError(f"{directory}: {exc}") from None
    model = cls(config, vocab)
    try:
        model.load_state_dict(_read_weights(directory / WEIGHTS, digests.get(WEIGHTS)))
    except RuntimeError as exc:  # missing/unexpected keys or wrong shapes
        raise ModelError(f"{directory}: the weights do not fit the saved config: {exc}") from None
    return model.eval(), tokenizer


def _check_digest(path: Path, found: str, expected: object) -> None:
    if found != expected:
        raise ModelError(
            f"{path}: its contents differ from those wenda wrote (SHA-256 mismatch): the file is "
            "damaged; restore the model directory or train it again"
        )


def _read_weights(path: Path, sha256: str | None = None) -> dict[str, torch.Tensor]:
    try:
        data = path.read_bytes()
        if sha256 is not None:
            _check_digest(path, hashlib.sha256(data).hexdigest(), sha256)
        return load_safetensors(data)
    except FileNotFoundError:
        raise ModelError(f"weights file {path} is missing") from None
    except (SafetensorError, ValueError, OSError) as exc:
        raise ModelError(f"weights file {path} is corrupt: {exc}") from None
