"""The reading stage: extractive readers that find answer spans in passages, and span decoding.

Every module in this package other than the infrastructure below is one model, which registers
itself on import; importing the package imports them all, so ``registry.available("read")`` lists
every model without a hand-kept list to forget.
"""

from wenda.nn.model import import_models
from wenda.read.base import TOKENIZER, Reader, ReaderConfig, ReaderOutput, span_loss

MODELS = import_models(__name__, __path__, {"answer", "base", "calibrate", "decode", "gated"})

__all__ = ["MODELS", "TOKENIZER", "Reader", "ReaderConfig", "ReaderOutput", "span_loss"]
