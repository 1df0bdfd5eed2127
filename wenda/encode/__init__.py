"""The encoding stage: dual encoders whose vectors (or binary codes) index passages for first-stage
retrieval. Every module other than the infrastructure below is one model, registered on import."""

from wenda.encode.base import PACKAGED_ENCODERS, TOKENIZER, Encoder, EncoderConfig, encoder_directory
from wenda.nn.model import import_models

MODELS = import_models(__name__, __path__, {"base", "service"})

__all__ = ["MODELS", "PACKAGED_ENCODERS", "TOKENIZER", "Encoder", "EncoderConfig", "encoder_directory"]
