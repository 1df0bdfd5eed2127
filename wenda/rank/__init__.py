"""The ranking stage: neural text-matching models that re-order candidate passages or sentences.

Every module in this package other than the infrastructure below is one model, which registers
itself on import; importing the package imports them all, so ``registry.available("rank")`` lists
every model without a hand-kept list to forget.
"""

from wenda.nn.model import import_models
from wenda.rank.base import TOKENIZER, Ranker, RankerConfig

MODELS = import_models(__name__, __path__, {"base", "reranker"})

__all__ = ["MODELS", "TOKENIZER", "Ranker", "RankerConfig"]
