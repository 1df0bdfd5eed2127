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
from dataclasses import dataclass
from typing import ClassVar

from torch import Tensor

from wenda.nn import pad_ids
from wenda.nn.model import ConfigBase, NeuralModel
from wenda.text import TokenizerConfig

# Neural matchers see every word as written (lowercased): no stemming, no stopword removal, since
# function words carry meaning in questions ("who", "when") and GloVe has no stems.
TOKENIZER = TokenizerConfig(stopwords=None, stemmer=None)


@dataclass
class RankerConfig(ConfigBase):
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


class Ranker(NeuralModel):
    """Base class of the text-matching models (see the module docstring).

    Attributes:
        Config: the model's config dataclass.
        uses_embeddings: build ``self.embedding`` (word ids -> vectors); models on other inputs
            (DSSM's letter trigrams) set this False.
    """

    Config: ClassVar[type[RankerConfig]] = RankerConfig

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
        return self(**{k: v.to(self.device) for k, v in self.featurize(queries, docs).items()})
