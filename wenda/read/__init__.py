"""The reading stage: extractive readers that find answer spans in passages, and span decoding.

Every module in this package other than the infrastructure below is one model, which registers
itself on import; importing the package imports them all, so ``registry.available("read")`` lists
every model without a hand-kept list to forget.
"""

from importlib import import_module
from pkgutil import iter_modules

from wenda.read.base import TOKENIZER, Reader, ReaderConfig, ReaderOutput, span_loss

_INFRASTRUCTURE = {"base", "decode"}
MODELS = tuple(sorted(m.name for m in iter_modules(__path__) if m.name not in _INFRASTRUCTURE))
for _name in MODELS:
    import_module(f"wenda.read.{_name}")

__all__ = ["MODELS", "TOKENIZER", "Reader", "ReaderConfig", "ReaderOutput", "span_loss"]
