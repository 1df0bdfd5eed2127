"""What every neural model in wenda shares, whatever its stage: a config dataclass that round-trips
through JSON, a word-embedding table over a :class:`~wenda.text.vocab.Vocab`, and the discovery of a
stage's model modules. The stage bases (``wenda.rank.base.Ranker``, ``wenda.read.base.Reader``) add
their inputs and outputs on top.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from importlib import import_module
from pkgutil import iter_modules
from typing import ClassVar

import torch
from torch import Tensor, nn

from wenda.text.vocab import Vocab


@dataclass
class ConfigBase:
    """A settings dataclass that saves as a JSON object and refuses unknown keys on load."""

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict):
        """Rebuild from :meth:`to_dict`, rejecting unknown keys (a typo must not pass silently)."""
        names = {f.name for f in fields(cls)}
        if unknown := set(data) - names:
            raise ValueError(
                f"unknown {cls.__qualname__} settings: {sorted(unknown)}; known: {sorted(names)}"
            )
        return cls(**data)


class NeuralModel(nn.Module):
    """A registered network with a ``Config`` and, unless ``uses_embeddings`` is False, a word
    embedding ``self.embedding`` (id 0 is padding). ``freeze_embeddings`` in the config fixes it;
    ``freeze_pretrained`` (where a config has it) fixes only the rows that received a pretrained
    vector (:meth:`set_embeddings`), so words without one and the OOV buckets still learn -- the
    papers' "fixed GloVe, trainable unknown words" (QANet; DrQA and BiDAF likewise keep GloVe fixed).
    Which rows are fixed is saved with the weights (``pretrained_rows``)."""

    Config: ClassVar[type] = ConfigBase
    uses_embeddings: ClassVar[bool] = True
    registered_name: ClassVar[str] = "?"
    # A pretrained network's fine-tuning learning rate, the default its training gets (None:
    # TrainConfig's, for models trained from scratch); see wenda.train.setup.split_settings.
    fine_tune_lr: ClassVar[float | None] = None
    # The submodule built from an installed pretrained package at construction (the MiniLM models'
    # ``bert``), whose tensors a packed copy may leave out (wenda.nn.modeldir); None: no such part.
    package_module: ClassVar[str | None] = None

    def __init__(self, config, vocab: Vocab) -> None:
        super().__init__()
        if not isinstance(config, self.Config):
            raise TypeError(
                f"{type(self).__name__} needs a {self.Config.__qualname__}, not {type(config).__name__}"
            )
        self.config = config
        self.vocab = vocab
        if self.uses_embeddings:
            self.embedding = nn.Embedding(len(vocab), config.embed_dim, padding_idx=0)
            self.embedding.weight.requires_grad_(not config.freeze_embeddings)
            if getattr(config, "freeze_pretrained", False):
                self.register_buffer("pretrained_rows", torch.zeros(len(vocab), dtype=torch.bool))
                self.embedding.weight.register_hook(lambda grad: grad * ~self.pretrained_rows[:, None])

    def set_embeddings(self, matrix: Tensor, pretrained: Tensor | None = None) -> None:
        """Copy vectors (``[len(vocab), embed_dim]``) into the embedding table; ``pretrained``
        (``[len(vocab)]`` bool) marks the rows that came from pretrained vectors (all, if None)."""
        if not self.uses_embeddings:
            return
        with torch.no_grad():
            self.embedding.weight.copy_(torch.as_tensor(matrix))
            self.embedding.weight[0].zero_()
            if hasattr(self, "pretrained_rows"):
                rows = torch.ones(len(self.vocab), dtype=torch.bool) if pretrained is None else pretrained
                self.pretrained_rows.copy_(torch.as_tensor(rows, dtype=torch.bool))

    def package_tensors(self) -> set[str]:
        """Names of the state tensors that construction reads from the pretrained package."""
        if self.package_module is None:
            return set()
        return {f"{self.package_module}.{k}" for k in getattr(self, self.package_module).state_dict()}

    @property
    def device(self) -> torch.device:
        """Where the model's parameters are."""
        return next(self.parameters()).device


def import_models(package: str, path: Iterable[str], infrastructure: set[str]) -> tuple[str, ...]:
    """Import every module of a stage package except its infrastructure (each model module registers
    itself on import), so ``registry.available(stage)`` needs no hand-kept list. Returns their names."""
    names = tuple(sorted(m.name for m in iter_modules(path) if m.name not in infrastructure))
    for name in names:
        import_module(f"{package}.{name}")
    return names
