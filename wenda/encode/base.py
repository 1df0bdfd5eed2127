"""The encoding stage's base class: dual encoders for first-stage (dense) retrieval.

A dual encoder maps a query and a passage, separately, to vectors whose inner product is their
relevance, so passages are encoded once, at indexing time, and a query costs one encoding plus a
nearest-neighbour search (DSSM, Huang et al. 2013; DPR, Karpukhin et al. 2020). Every model
subclasses :class:`Encoder`, registers with ``@register("encode", name)``, declares a dataclass
``Config`` and implements ``forward(**features) -> [B, dim]`` (its tower); :meth:`Encoder.featurize`
turns token lists into the tower's tensors (models on other inputs override it). Queries and
passages share the tower, as in DSSM; they differ only in their length caps.

What the base adds on top of the tower:

* ``similarity = "cosine"``: vectors are L2-normalized, so an inner-product index ranks by cosine,
  and training scales the cosines by ``scale`` before the softmax (DSSM's smoothing factor gamma);
  ``"dot"``: raw inner products (DPR).
* ``bits > 0``: a BPR hash layer (``wenda.hashing``) maps the vector to ``bits`` dimensions whose
  signs are the binary code, trained with BPR's two losses instead of the softmax.

Training (``wenda.train.retrieval``) uses in-batch negatives: the ``B`` queries of a batch against
their ``B`` positives (and any extra negatives), a ``[B, N]`` score matrix whose diagonal is correct.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from wenda.hashing import HashLayer, bpr_loss
from wenda.nn import pad_ids, padded_length
from wenda.nn.batching import by_length
from wenda.nn.model import ConfigBase, NeuralModel
from wenda.nn.modeldir import PACKAGED, packaged_or_path
from wenda.text import TokenizerConfig

# As for the neural rankers: every word as written (lowercased), no stemming, no stopword removal.
TOKENIZER = TokenizerConfig(stopwords=None, stemmer=None)
SIDES = ("query", "passage")
SIMILARITIES = ("cosine", "dot")
# The encoder shipped inside the package, by name (bench/default_reader.py pack --kind encode):
# "minilm", all-MiniLM-L6-v2 fine-tuned on question-passage pairs, packed as the MiniLM reader is
# (int8 rows; the package's word-piece table not stored), so it needs wenda[minilm].
PACKAGED_ENCODERS = {"minilm": PACKAGED / "encoder-minilm"}


def encoder_directory(directory: str | Path) -> Path:
    """A trained encoder's directory given as a path, or the packaged encoder's name (``minilm``;
    a name wins only where no directory of that name exists).

    Raises:
        wenda.nn.modeldir.ModelError: a packaged encoder missing from this installation.
    """
    return packaged_or_path(directory, PACKAGED_ENCODERS, "encoder")


@dataclass
class EncoderConfig(ConfigBase):
    """Settings every encoder shares; models extend this dataclass with their own fields.

    Attributes:
        embed_dim: word vector size (GloVe 6B gives 50). freeze_embeddings: keep them fixed.
        max_query_len, max_passage_len: tokens kept per query and per passage.
        dim: the tower's output size. similarity: ``cosine`` or ``dot`` (module docstring).
        scale: multiplies cosines before the training softmax (ignored for ``dot``).
        bits: binary code length (a multiple of 8, 64-1024 in practice; 0 = float vectors only).
        hash_gamma, hash_margin: BPR's continuation rate and candidate-loss margin. Departure:
            BPR's gamma is 0.1 over about 18K steps; runs here are hundreds to a few thousand steps,
            where 0.1 anneals ``tanh`` to ``sign`` early and did worst on held-out inverse-cloze pairs
            (MRR 0.373 against 0.529 with 0.001 at 128 bits; 0.560 against 0.570 on a trained float
            encoder; BENCHMARKS.md, "Binary codes against the same float encoder"), so 0.001.
    """

    embed_dim: int = 50
    freeze_embeddings: bool = False
    max_query_len: int = 32
    max_passage_len: int = 160
    dim: int = 128
    similarity: str = "cosine"
    scale: float = 20.0
    bits: int = 0
    hash_gamma: float = 0.001
    hash_margin: float = 2.0


class Encoder(NeuralModel):
    """Base class of the dual encoders (see the module docstring)."""

    Config: ClassVar[type[EncoderConfig]] = EncoderConfig
    # A pretrained tower has its own output size, which ``dim`` must equal (None: ``dim`` is free).
    fixed_dim: ClassVar[int | None] = None

    def __init__(self, config: EncoderConfig, vocab) -> None:
        super().__init__(config, vocab)
        if config.similarity not in SIMILARITIES:
            raise ValueError(f"similarity must be one of {SIMILARITIES}, not {config.similarity!r}")
        if self.fixed_dim is not None and config.dim != self.fixed_dim:
            raise ValueError(
                f"{self.registered_name}'s vectors have dim {self.fixed_dim}, not {config.dim} (bits gives smaller codes)"
            )
        self.hash = HashLayer(config.dim, config.bits, config.hash_gamma) if config.bits else None

    @property
    def out_dim(self) -> int:
        """Size of the vectors :meth:`represent` returns (``bits`` with a hash layer, else ``dim``)."""
        return self.config.bits or self.config.dim

    def cap(self, side: str) -> int:
        """Tokens kept on ``side`` (``query`` or ``passage``)."""
        if side not in SIDES:
            raise ValueError(f"side must be one of {SIDES}, not {side!r}")
        return self.config.max_query_len if side == "query" else self.config.max_passage_len

    def featurize(self, texts: Sequence[Sequence[str]], side: str) -> dict[str, Tensor]:
        """Word ids ``ids`` ``[B, L]`` padded to the batch's longest text (at least 1), capped at
        the side's length (0 = padding)."""
        length = padded_length(map(len, texts), self.cap(side))
        return {"ids": pad_ids([self.vocab.encode(t) for t in texts], length)}

    def forward(self, **features: Tensor) -> Tensor:  # pragma: no cover - abstract
        """The tower: ``[B, dim]`` for the batch :meth:`featurize` made."""
        raise NotImplementedError

    def represent(self, texts: Sequence[Sequence[str]], side: str) -> Tensor:
        """What the index stores and the query searches with: ``[B, out_dim]`` -- the hash layer's
        continuous vector (its signs are the code), or the tower's vector (unit length for cosine)."""
        features = {k: v.to(self.device) for k, v in self.featurize(texts, side).items()}
        v = self(**features)  # [B, dim]
        if self.hash is not None:
            return self.hash(v)  # [B, bits]
        return F.normalize(v, dim=-1) if self.config.similarity == "cosine" else v

    @torch.no_grad()
    def vectors(self, texts: Sequence[Sequence[str]], side: str, batch_size: int = 256) -> np.ndarray:
        """:meth:`represent` in eval mode and batches: float32 ``[N, out_dim]``, in ``texts``' order.

        Texts of similar length share a batch (a batch is padded to its longest text: a corpus in
        its own order was a third padding, measured on the squad-open passages); a text's vector
        does not depend on its batch (the contract test)."""
        was_training = self.training
        self.eval()
        chunks = by_length([len(t) for t in texts], batch_size)
        try:
            parts = [self.represent([texts[j] for j in c], side).float().cpu().numpy() for c in chunks]
        finally:
            self.train(was_training)
        if not parts:
            return np.zeros((0, self.out_dim), np.float32)
        out = np.empty((len(texts), parts[0].shape[1]), np.float32)
        out[[j for c in chunks for j in c]] = np.concatenate(parts)
        return out

    def loss(self, queries: Sequence[Sequence[str]], passages: Sequence[Sequence[str]]) -> Tensor:
        """In-batch training loss: ``passages[i]`` is the positive of ``queries[i]`` (``i < B``),
        every other passage a negative. BPR's losses with a hash layer (whose continuation step
        advances here), else the softmax cross-entropy over the ``[B, N]`` scores."""
        q, p = self.represent(queries, "query"), self.represent(passages, "passage")  # [B, K], [N, K]
        if self.hash is not None:
            loss = bpr_loss(q, p, self.hash, self.config.hash_margin)
            self.hash.advance()
            return loss
        scores = q @ p.T  # [B, N]
        if self.config.similarity == "cosine":
            scores = scores * self.config.scale
        return F.cross_entropy(scores, torch.arange(len(queries), device=scores.device))
