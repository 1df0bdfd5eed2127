"""Text processing shared by every stage: tokenization (Unicode + CJK)."""

from wenda.text.tokenize import Tokenizer, TokenizerConfig

__all__ = ["Tokenizer", "TokenizerConfig"]
