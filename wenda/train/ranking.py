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

from wenda import registry
from wenda.eval.metrics import Qrels
from wenda.eval.ranking import evaluate_scores
from wenda.nn.modeldir import save_model
from wenda.rank.base import TOKENIZER, Ranker
from wenda.text import Tokenizer, TokenizerConfig
from wenda.text.vocab import Vocab
from wenda.train.losses import get_loss
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
            (tok(q.text), [tok(c.text) for c in q.candidates if c.label > 0], [tok(c.text) for c in q.candidates if c.label <= 0])
            for q in train
            if q.has_positive
        ]
        if not self.groups:
            raise ValueError("no training query has a relevant candidate")
        self.pool = [d for _, _, negs in self.groups for d in negs] or [d for _, pos, _ in self.groups for d in pos]
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
    name: str, train: Sequence[RankQuery], config: TrainConfig, overrides: dict | None = None,
    tokenizer: TokenizerConfig = TOKENIZER,
) -> Ranker:
    """A fresh ranker ``name`` with a vocabulary of the training texts (plus GloVe's most frequent
    words) and, for ``embeddings="glove"``, GloVe 6B 50d vectors.

    Raises:
        ValueError: unknown model, setting or embeddings choice.
        wenda.text.vectors.VectorsMissing: GloVe asked for but not installed.
    """
    import wenda.rank  # noqa: F401  (registers every model)

    cls = registry.get("rank", name)
    model_config = cls.Config.from_dict({**cls.Config().to_dict(), **(overrides or {})})
    tok = Tokenizer(tokenizer)
    texts = (tok.tokens(t) for q in train for t in (q.text, *(c.text for c in q.candidates)))
    if config.embeddings not in ("glove", "random"):
        raise ValueError(f"embeddings must be 'glove' or 'random', not {config.embeddings!r}")
    extra: Sequence[str] = ()
    if config.embeddings == "glove" and cls.uses_embeddings:
        from wenda.text.vectors import glove_words

        extra = glove_words()[: config.glove_words]
    vocab = Vocab.build(texts, extra_words=extra)
    torch.manual_seed(config.seed)
    model = cls(model_config, vocab)
    if config.embeddings == "glove" and cls.uses_embeddings:
        from wenda.text.vectors import embedding_matrix

        model.set_embeddings(torch.from_numpy(embedding_matrix(vocab, model_config.embed_dim, config.seed)[0]))
    return model


def split_settings(model_name: str, settings: dict) -> tuple[dict, TrainConfig]:
    """Route ``key=value`` settings to the model's Config or to :class:`TrainConfig` by name.

    Raises:
        ValueError: a key that neither knows.
    """
    import wenda.rank  # noqa: F401

    model_fields = set(registry.get("rank", model_name).Config().to_dict())
    train_fields = set(TrainConfig.__dataclass_fields__)
    if unknown := set(settings) - model_fields - train_fields:
        raise ValueError(
            f"unknown settings {sorted(unknown)}; {model_name} has {sorted(model_fields)}, training has {sorted(train_fields)}"
        )
    model = {k: v for k, v in settings.items() if k in model_fields}
    return model, TrainConfig.from_dict({k: v for k, v in settings.items() if k in train_fields})


def train_ranker(model_name: str, dataset: str, out: Path, settings: dict | None = None, progress: bool = True) -> dict:
    """Train ``model_name`` on a named answer-selection dataset's train split, selecting on dev,
    into ``out``; also writes ``out/training.json`` (settings, history, seconds, parameter count).
    ``settings`` apply over the model's recommended preset (``wenda.train.presets``).

    Returns:
        the trainer's final state plus ``params`` and ``out``.
    """
    from wenda.data.answer_selection import answer_selection
    from wenda.fileio import atomic_write_json
    from wenda.train.presets import preset
    from wenda.train.trainer import Trainer

    data = answer_selection(dataset)
    overrides, config = split_settings(model_name, {**preset(model_name), **(settings or {})})
    train, dev = data.load("train"), data.load("dev")
    model = build_ranker(model_name, train, config, overrides)
    task = RankingTask(train, dev, data.qrels("dev", filtered=True), config)
    state = Trainer(model, task, config, Path(out), progress=progress).fit()
    state["params"] = sum(p.numel() for p in model.parameters())
    state["trainable_params"] = sum(p.numel() for p in model.parameters() if p.requires_grad)
    report = {"model": model_name, "dataset": dataset, "model_config": model.config.to_dict(), **state}
    atomic_write_json(Path(out) / "training.json", report)
    return {**report, "out": str(out)}
