"""Training a dual encoder (``wenda.encode``): the retrieval :class:`~wenda.train.trainer.Task` and
the set-up around it.

Each step encodes ``batch_size`` (query, positive) pairs (:mod:`wenda.train.pairs`); every other
passage of the batch is a negative (in-batch negatives, DPR §3.2), and the encoder's own loss
applies (softmax over scaled cosines, or BPR's two losses for a hash layer). Model selection is on
held-out pairs: each held-out query searches all held-out passages (the float vectors, or for a
hash layer the continuous query against the passages' binary codes, as the index will), and the
rank of its own passage gives MRR and recall@1/5/20.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from wenda.data.reading_train import HELD_OUT_FRACTION
from wenda.encode.base import TOKENIZER, Encoder
from wenda.hashing import binarize
from wenda.nn.modeldir import save_model
from wenda.text import TokenizerConfig
from wenda.train.pairs import Pair
from wenda.train.trainer import TrainConfig

MAX_DEV = 5000  # held-out pairs searched at each epoch's evaluation


def ranks_of_diagonal(scores: np.ndarray) -> np.ndarray:
    """1-based rank of ``scores[i, i]`` in row i, ties counted against it (pessimistic)."""
    own = np.diagonal(scores)[:, None]  # [N, 1]
    return (scores >= own).sum(1)  # [N]


def pair_metrics(ranks: np.ndarray) -> dict[str, float]:
    """MRR and recall@1/5/20 of 1-based ranks."""
    if not len(ranks):
        return {"mrr": 0.0, "recall@1": 0.0, "recall@5": 0.0, "recall@20": 0.0}
    out = {"mrr": float(np.mean(1.0 / ranks))}
    out.update({f"recall@{k}": float(np.mean(ranks <= k)) for k in (1, 5, 20)})
    return out


class RetrievalTask:
    """Batches of pairs from ``source(rng)`` (remade each epoch); held-out MRR for selection."""

    def __init__(
        self,
        source: Callable[[np.random.Generator], list[Pair]],
        dev: Sequence[Pair],
        config: TrainConfig,
        tokenizer: TokenizerConfig = TOKENIZER,
    ) -> None:
        self.source, self.config, self.tokenizer = source, config, tokenizer
        self.dev = list(dev)[:MAX_DEV]
        if not self.dev:
            raise ValueError("no held-out pairs to choose the model on")

    def batches(self, epoch: int, rng: np.random.Generator):
        """Lists of ``batch_size`` pairs (a last partial batch of at least 2 pairs is kept)."""
        pairs = self.source(rng)
        if len(pairs) < 2:
            raise ValueError("fewer than two training pairs: nothing to contrast")
        order, size = rng.permutation(len(pairs)), self.config.batch_size
        for i in range(0, len(order), size):
            chunk = [pairs[j] for j in order[i : i + size]]
            if len(chunk) >= 2:
                yield chunk

    def loss(self, model: Encoder, batch: list[Pair]) -> torch.Tensor:
        """The encoder's in-batch loss: the B positives, then every pair's hard negatives."""
        negatives = [n for pair in batch for n in pair[2:]]
        return model.loss([pair[0] for pair in batch], [pair[1] for pair in batch] + negatives)

    def evaluate(self, model: Encoder) -> dict[str, float]:
        q = model.vectors([pair[0] for pair in self.dev], "query")  # [N, K]
        p = model.vectors([pair[1] for pair in self.dev], "passage")  # [N, K]
        if model.hash is not None:
            p = binarize(torch.from_numpy(p)).numpy()
        return pair_metrics(ranks_of_diagonal(q @ p.T))

    def save(self, model: Encoder, directory: Path) -> None:
        save_model(model, "encode", self.tokenizer, directory)


def _self_supervised(passages: Sequence[str], kind: str, tok) -> tuple[Callable, list[Pair]]:
    """The pair source over 19 of every 20 passages, and fixed held-out pairs from the 20th."""
    from wenda.train.pairs import SELF_SUPERVISED, passage_sentences

    if kind not in SELF_SUPERVISED:
        raise ValueError(f"self-supervision is one of {sorted(SELF_SUPERVISED)}, not {kind!r}")
    make = SELF_SUPERVISED[kind]
    corpus = [passage_sentences(t, tok) for t in passages]
    train, held = [s for i, s in enumerate(corpus) if i % 20], [s for i, s in enumerate(corpus) if not i % 20]
    return (lambda rng: make(train, rng)), make(held, np.random.default_rng(12345))


def _supervised(held_out_fraction: float, tok, negatives: int = 0) -> tuple[list[Pair], list[Pair], dict]:
    """Question-passage pairs of the reading-comprehension training sets, split by context; the
    training pairs with ``negatives`` BM25 hard negatives each, the held-out ones without."""
    from wenda.data.reading_train import DEFAULT_NAMES, load_reading_training, split_held_out
    from wenda.train.pairs import question_pairs

    examples, reports = load_reading_training(DEFAULT_NAMES)
    train, held = split_held_out(examples, held_out_fraction)
    pairs = question_pairs(train, tok, negatives=negatives)
    return pairs, question_pairs(held, tok), {k: str(v) for k, v in reports.items()}


HASH_SETTINGS = ("bits", "hash_gamma", "hash_margin")


def _initial(directory: Path, model_name: str, overrides: dict) -> Encoder:
    """The encoder saved in ``directory``, to train further: its architecture, vocabulary and
    weights stay; only the hash settings may change, so a BPR hash layer can be put on an encoder
    trained for float vectors (BPR starts its hash training from a trained encoder, BERT)."""
    from wenda.train.setup import saved_model

    if extra := sorted(set(overrides) - set(HASH_SETTINGS)):
        raise ValueError(
            f"--init keeps the saved architecture; only {', '.join(HASH_SETTINGS)} may change, not {extra}"
        )
    model = saved_model(directory, "encode", model_name, TOKENIZER)
    if not overrides:
        return model
    config = type(model.config).from_dict({**model.config.to_dict(), **overrides})
    fresh = type(model)(config, model.vocab)
    kept = {k: v for k, v in model.state_dict().items() if not k.startswith("hash.")}
    missing, unexpected = fresh.load_state_dict(kept, strict=False)
    if unexpected or any(not k.startswith("hash.") for k in missing):
        raise ValueError(f"{directory}: saved weights do not fit ({unexpected or missing})")
    return fresh  # the encoder's weights, a new hash layer (or none)


def train_retriever(
    model_name: str,
    out: Path,
    settings: dict | None = None,
    passages: Sequence[str] | None = None,
    self_supervised: str | None = "ict",
    supervised: bool = False,
    progress: bool = True,
    init: Path | None = None,
) -> dict:
    """Train encoder ``model_name`` into ``out`` from ``passages`` alone (``self_supervised``:
    ``ict`` or ``crop``), from the question-passage pairs of the reading training sets
    (``supervised``), or both (pairs pooled; held-out pairs from both); writes ``training.json``.
    ``init`` starts from a saved encoder of that type (:func:`_initial`) instead of a fresh one.
    The ``negatives`` setting (default 0 here) gives each supervised pair that many BM25 hard
    negatives (:func:`wenda.train.pairs.question_pairs`); self-supervised pairs have none.

    Returns:
        the trainer's final state plus ``params``, ``train_pairs``, ``held_out`` and ``out``.
    """
    import wenda.encode  # noqa: F401  (registers every model)
    from wenda.fileio import atomic_write_json
    from wenda.text import Tokenizer
    from wenda.train.setup import build_model, split_settings
    from wenda.train.trainer import Trainer

    if not supervised and not (self_supervised and passages):
        raise ValueError("nothing to train on: give passages with a self-supervised task, or supervised=True")
    defaults = {"metric": "mrr", "batch_size": 64, "patience": 3, "negatives": 0}
    overrides, config = split_settings("encode", model_name, {**defaults, **(settings or {})})
    tok, sources, dev, data = Tokenizer(TOKENIZER), [], [], {}
    if self_supervised and passages:
        source, held = _self_supervised(passages, self_supervised, tok)
        sources.append(source)
        dev += held
    if supervised:
        pairs, held, data = _supervised(HELD_OUT_FRACTION, tok, config.negatives)
        sources.append(lambda rng, pairs=pairs: list(pairs))
        dev += held
    example = [p for s in sources for p in s(np.random.default_rng(0))]
    if init is not None:
        model = _initial(init, model_name, overrides)
    else:
        model = build_model("encode", model_name, (t for pair in example for t in pair), config, overrides)
    task = RetrievalTask(lambda rng: [p for s in sources for p in s(rng)], dev, config)
    state = Trainer(model, task, config, Path(out), progress=progress).fit()
    report = {
        "model": model_name,
        "model_config": model.config.to_dict(),
        **state,
        "params": sum(p.numel() for p in model.parameters()),
        "train_pairs": len(example),
        "held_out": len(task.dev),
        "self_supervised": self_supervised if passages else None,
        "supervised": supervised,
        "data": data,
        **({"init": str(init)} if init is not None else {}),
    }
    atomic_write_json(Path(out) / "training.json", report)
    return {**report, "out": str(out)}
