"""Learned binary codes for first-stage retrieval (BPR): the hash layer and its training losses."""

from wenda.hashing.bpr import HashLayer, binarize, bpr_loss

__all__ = ["HashLayer", "binarize", "bpr_loss"]
