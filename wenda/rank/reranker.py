"""A trained ranker ready to serve: tokenizes raw text the way it was trained, scores in batches.

Kept apart from the networks (DrQA's ``DocReader`` around ``RnnDocReader``): the network is an
``nn.Module`` over tensors; this wraps it with the tokenizer, batching and no-grad inference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import torch

from wenda.rank.base import Ranker
from wenda.text import Tokenizer, TokenizerConfig
from wenda.types import Hit


class Reranker:
    """Scores texts against a query with a trained :class:`~wenda.rank.base.Ranker`."""

    def __init__(self, model: Ranker, tokenizer: TokenizerConfig, batch_size: int = 256) -> None:
        self.model = model.eval()
        self.tokenizer_config = tokenizer
        self.tokenizer = Tokenizer(tokenizer)
        self.batch_size = batch_size

    @property
    def name(self) -> str:
        """The model's registered name (``knrm``, ``drmm``, ...)."""
        return self.model.registered_name

    def score_tokens(self, queries: Sequence[Sequence[str]], docs: Sequence[Sequence[str]]) -> list[float]:
        """Scores of tokenized (query, text) pairs, in batches, without gradients."""
        out: list[float] = []
        with torch.inference_mode():
            for i in range(0, len(docs), self.batch_size):
                q, d = queries[i : i + self.batch_size], docs[i : i + self.batch_size]
                out.extend(self.model.score(q, d).tolist())
        return out

    def score(self, query: str, texts: Sequence[str]) -> list[float]:
        """One score per text for ``query`` (higher = more relevant)."""
        q = self.tokenizer.tokens(query)
        docs = [self.tokenizer.tokens(t) for t in texts]
        return self.score_tokens([q] * len(docs), docs)

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        """``hits`` re-ordered by this model's scores (ties keep retrieval order), scores replaced."""
        scores = self.score(query, [h.text for h in hits])
        order = sorted(range(len(hits)), key=lambda i: -scores[i])
        return [
            replace(hits[i], score=scores[i], rank=r + 1, retriever=f"{hits[i].retriever}+{self.name}")
            for r, i in enumerate(order)
        ]


def load_ranker(directory: str | Path, batch_size: int = 256) -> Reranker:
    """Load a trained ranker directory (``config.json``, ``model.safetensors``, ``vocab.json``).

    Raises:
        wenda.nn.modeldir.ModelError: the directory is incomplete, corrupt or of another version.
    """
    from wenda.nn.modeldir import load_model

    model, tokenizer = load_model(Path(directory), "rank")
    return Reranker(model, tokenizer, batch_size)
