"""The ranking stage: neural text-matching models that re-order candidate passages or sentences.

Every module in this package other than the infrastructure below is one model, which registers
itself on import; importing the package imports them all, so ``registry.available("rank")`` lists
every model without a hand-kept list to forget.
"""

from importlib import import_module
from pkgutil import iter_modules

from wenda.rank.base import TOKENIZER, Ranker, RankerConfig

_INFRASTRUCTURE = {"base", "reranker"}
MODELS = tuple(sorted(m.name for m in iter_modules(__path__) if m.name not in _INFRASTRUCTURE))
for _name in MODELS:
    import_module(f"wenda.rank.{_name}")

__all__ = ["MODELS", "TOKENIZER", "Ranker", "RankerConfig"]
