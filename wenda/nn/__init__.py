"""Layers shared by the neural models: masking, matching matrices, padding."""

from wenda.nn.layers import (
    cosine_matrix,
    dot_matrix,
    masked_max,
    masked_mean,
    masked_softmax,
    pad_ids,
    padded_length,
    state_tensors,
)

__all__ = ["cosine_matrix", "dot_matrix", "masked_max", "masked_mean", "masked_softmax", "pad_ids", "padded_length", "state_tensors"]
