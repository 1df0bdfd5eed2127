"""Training a ranker: the ranking :class:`~wenda.train.trainer.Task` and the set-up around it
(tokenization, vocabulary, pretrained vectors).

Each epoch pairs every relevant candidate of every training query with ``negatives`` non-relevant
candidates of the same query, drawn at random (with replacement when the query has fewer; from other
queries when it has none), and scores the ``[G, 1 + n]`` groups with the configured loss.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from wenda.eval.metrics import Qrels
from wenda.eval.ranking import evaluate_scores
from wenda.nn.modeldir import save_model
from wenda.rank.base import TOKENIZER, Ranker
from wenda.text import Tokenizer, TokenizerConfig
from wenda.train.losses import get_loss
from wenda.train.setup import build_model, split_settings
from wenda.train.trainer import TrainConfig
from wenda.types import RankQuery

Tokens = list[str]


class RankingTask:
    """Groups of (query, relevant, sampled non-relevant) texts; dev MAP etc. for model selection."""

    def __init__(
        self,
        train: Sequence[RankQuery],
        dev: Sequence[RankQuery],
        dev_qrels: Qrels | None,
        config: TrainConfig,
        tokenizer: TokenizerConfig = TOKENIZER,
    ) -> None:
        self.config, self.tokenizer = config, tokenizer
        self.loss_fn = get_loss(config.loss)
        tok = _cached_tokenizer(tokenizer)
        self.groups = [
            (
                tok(q.text),
                [tok(c.text) for c in q.candidates if c.label > 0],
                [tok(c.text) for c in q.candidates if c.label <= 0],
            )
            for q in train
            if q.has_positive
        ]
        if not self.groups:
            raise ValueError("no training query has a relevant candidate")
        self.pool = [d for _, _, negs in self.groups for d in negs] or [
            d for _, pos, _ in self.groups for d in pos
        ]
        self.dev, self.dev_qrels = list(dev), dev_qrels
        self.dev_pairs = [(tok(q.text), tok(c.text)) for q in self.dev for c in q.candidates]

    def _negatives(self, negs: list[Tokens], rng: np.random.Generator) -> list[Tokens]:
        n = self.config.negatives
        source = negs or self.pool
        return [source[i] for i in rng.choice(len(source), n, replace=len(source) < n)]

    def batches(self, epoch: int, rng: np.random.Generator):
        """Lists of ``(query, [relevant, negative...])`` groups, ``batch_size`` per step."""
        items = [(g, p) for g, (_, pos, _) in enumerate(self.groups) for p in range(len(pos))]
        order = rng.permutation(len(items))
        batch = []
        for i in order:
            g, p = items[i]
            query, pos, negs = self.groups[g]
            batch.append((query, [pos[p], *self._negatives(negs, rng)]))
            if len(batch) == self.config.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def loss(self, model: Ranker, batch) -> torch.Tensor:
        queries = [q for q, docs in batch for _ in docs]
        docs = [d for _, ds in batch for d in ds]
        scores = model.score(queries, docs).view(len(batch), -1)  # [G, 1 + n]
        return self.loss_fn(scores)

    def evaluate(self, model: Ranker, batch_size: int = 512) -> dict[str, float]:
        scores = []
        for i in range(0, len(self.dev_pairs), batch_size):
            chunk = self.dev_pairs[i : i + batch_size]
            scores.extend(model.score([q for q, _ in chunk], [d for _, d in chunk]).tolist())
        return evaluate_scores(self.dev, scores, self.dev_qrels)

    def save(self, model: Ranker, directory: Path) -> None:
        save_model(model, "rank", self.tokenizer, directory)


def _cached_tokenizer(config: TokenizerConfig):
    tokenizer, cache = Tokenizer(config), {}

    def tokens(text: str) -> Tokens:
        if text not in cache:
            cache[text] = tokenizer.tokens(text)
        return cache[text]

    return tokens


def build_ranker(
    name: str,
    train: Sequence[RankQuery],
    config: TrainConfig,
    overrides: dict | None = None,
    tokenizer: TokenizerConfig = TOKENIZER,
) -> Ranker:
    """A fresh ranker ``name`` over the vocabulary of the training texts (see
    :func:`wenda.train.setup.build_model`)."""
    import wenda.rank  # noqa: F401  (registers every model)

    tok = Tokenizer(tokenizer)
    texts = (tok.tokens(t) for q in train for t in (q.text, *(c.text for c in q.candidates)))
    return build_model("rank", name, texts, config, overrides)


def ranking_dataset(name: str):
    """The named ranking dataset: an answer-selection set (``wenda.data.answer_selection``: wikiqa,
    trecqa) or ``passages``, passage ranking made from the reading sets (``wenda.train.passages``)."""
    from wenda.data.answer_selection import DATASETS, answer_selection

    if name == "passages":
        from wenda.train.passages import PASSAGES

        return PASSAGES
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; use one of: {', '.join([*DATASETS, 'passages'])}")
    return answer_selection(name)


def train_ranker(
    model_name: str, dataset: str, out: Path, settings: dict | None = None, progress: bool = True
) -> dict:
    """Train ``model_name`` on a named ranking dataset's train split (:func:`ranking_dataset`), selecting on dev,
    into ``out``; also writes ``out/training.json`` (settings, history, seconds, parameter count).
    ``settings`` apply over the model's recommended preset (``wenda.train.presets``).

    Returns:
        the trainer's final state plus ``params`` and ``out``.
    """
    import wenda.rank  # noqa: F401  (registers every model)
    from wenda.fileio import atomic_write_json
    from wenda.train.presets import preset
    from wenda.train.trainer import Trainer

    data = ranking_dataset(dataset)
    overrides, config = split_settings("rank", model_name, {**preset(model_name), **(settings or {})})
    train, dev = data.load("train"), data.load("dev")
    model = build_ranker(model_name, train, config, overrides)
    task = RankingTask(train, dev, data.qrels("dev", filtered=True), config)
    state = Trainer(model, task, config, Path(out), progress=progress).fit()
    state["params"] = sum(p.numel() for p in model.parameters())
    state["trainable_params"] = sum(p.numel() for p in model.parameters() if p.requires_grad)
    report = {"model": model_name, "dataset": dataset, "model_config": model.config.to_dict(), **state}
    atomic_write_json(Path(out) / "training.json", report)
    return {**report, "out": str(out)}
