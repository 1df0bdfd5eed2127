"""The ranking stage's base class: a neural text-matching model scoring (query, text) pairs.

Every model subclasses :class:`Ranker`, registers with ``@register("rank", name)``, declares a
dataclass ``Config`` (architecture only: training settings live in ``wenda.train``) and implements
``forward(**features) -> [B]`` scores. The base builds the word embedding and turns token lists into
tensors in :meth:`Ranker.featurize`; models that need other inputs (DSSM's letter trigrams, DRMM's
histograms) override that hook, so the trainer never branches on a model's name (MatchZoo-py's
preprocessors, sentence-transformers' ``tokenize``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import ClassVar

import torch
from torch import Tensor, nn

from wenda.nn import pad_ids
from wenda.text import TokenizerConfig
from wenda.text.vocab import Vocab

# Neural matchers see every word as written (lowercased): no stemming, no stopword removal, since
# function words carry meaning in questions ("who", "when") and GloVe has no stems.
TOKENIZER = TokenizerConfig(stopwords=None, stemmer=None)


@dataclass
class RankerConfig:
    """Settings every ranker shares; models extend this dataclass with their own fields.

    Attributes:
        embed_dim: word vector size (GloVe 6B gives 50).
        max_query_len: query tokens kept (MatchZoo's ``fixed_length_left``); queries are padded to it.
        max_doc_len: text tokens kept (``fixed_length_right``); texts are padded to it.
        freeze_embeddings: keep the word vectors fixed (DRMM's paper does; it also regularizes).
    """

    embed_dim: int = 50
    max_query_len: int = 20
    max_doc_len: int = 40
    freeze_embeddings: bool = False

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> RankerConfig:
        """Rebuild from :meth:`to_dict`, rejecting unknown keys (a typo must not pass silently)."""
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown {cls.__qualname__} settings: {sorted(unknown)}; known: {sorted(names)}")
        return cls(**data)


class Ranker(nn.Module):
    """Base class of the text-matching models (see the module docstring).

    Attributes:
        Config: the model's config dataclass.
        uses_embeddings: build ``self.embedding`` (word ids -> vectors); models on other inputs
            (DSSM's letter trigrams) set this False.
    """

    Config: ClassVar[type[RankerConfig]] = RankerConfig
    uses_embeddings: ClassVar[bool] = True
    registered_name: ClassVar[str] = "?"

    def __init__(self, config: RankerConfig, vocab: Vocab) -> None:
        super().__init__()
        if not isinstance(config, self.Config):
            raise TypeError(f"{type(self).__name__} needs a {self.Config.__qualname__}, not {type(config).__name__}")
        self.config = config
        self.vocab = vocab
        if self.uses_embeddings:
            self.embedding = nn.Embedding(len(vocab), config.embed_dim, padding_idx=0)
            self.embedding.weight.requires_grad_(not config.freeze_embeddings)

    def set_embeddings(self, matrix: Tensor) -> None:
        """Copy pretrained vectors (``[len(vocab), embed_dim]``) into the embedding table."""
        if not self.uses_embeddings:
            return
        with torch.no_grad():
            self.embedding.weight.copy_(torch.as_tensor(matrix))
            self.embedding.weight[0].zero_()

    def featurize(self, queries: Sequence[Sequence[str]], docs: Sequence[Sequence[str]]) -> dict[str, Tensor]:
        """Tensors for a batch of tokenized (query, text) pairs: by default padded word ids,
        ``query`` ``[B, max_query_len]`` and ``doc`` ``[B, max_doc_len]`` (0 = padding)."""
        return {
            "query": pad_ids([self.vocab.encode(q) for q in queries], self.config.max_query_len),
            "doc": pad_ids([self.vocab.encode(d) for d in docs], self.config.max_doc_len),
        }

    def forward(self, **features: Tensor) -> Tensor:  # pragma: no cover - abstract
        """Scores ``[B]`` for the batch :meth:`featurize` made (higher = more relevant)."""
        raise NotImplementedError

    def score(self, queries: Sequence[Sequence[str]], docs: Sequence[Sequence[str]]) -> Tensor:
        """Featurize and score in one step, on the model's device: ``[B]``."""
        device = next(self.parameters()).device
        return self(**{k: v.to(device) for k, v in self.featurize(queries, docs).items()})
