"""Training a reader: the span-extraction :class:`~wenda.train.trainer.Task`.

Each training example becomes one window of at most ``max_passage_len`` tokens that holds its first
gold answer (placed a quarter into the window when the context is longer, so the model sees
context on both sides), with the answer's token start and end; unanswerable examples become the
context's first window with no answer, used only by models with a no-answer logit; such models
also read a share of the questions with a BM25 distractor window that lacks the answer, labelled
unanswerable (``TrainConfig.no_answer_distractors``; :mod:`wenda.train.distractors`). The held-out
examples (a deterministic split of the training data: SQuAD dev is never used to choose) are read
whole, through the same code users call, and scored with the official SQuAD EM/F1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from wenda.data.reading_train import HELD_OUT_FRACTION
from wenda.nn.modeldir import save_model
from wenda.read.answer import ReaderService
from wenda.read.base import TOKENIZER, Reader, span_loss
from wenda.read.calibrate import em_f1, score_examples
from wenda.text import Tokenizer, TokenizerConfig
from wenda.train.buckets import length_buckets
from wenda.train.distill import Teacher
from wenda.train.distractors import calibrate_saved, distractors, every, windows_of
from wenda.train.trainer import TrainConfig

Item = tuple[list[str], list[str], int, int, bool]  # question, passage window, start, end, has answer


def answer_tokens(spans: Sequence[tuple[str, int, int]], start: int, length: int) -> tuple[int, int] | None:
    """Token indices (inclusive) covering the characters ``[start, start + length)``, or None when no
    token overlaps them (an answer made of punctuation only)."""
    stop = start + length
    inside = [i for i, (_, b, e) in enumerate(spans) if e > start and b < stop]
    return (inside[0], inside[-1]) if inside else None


def training_item(
    example, tokenizer: Tokenizer, max_len: int, no_answer: bool, texts: dict | None = None
) -> Item | None:
    """One training window for ``example`` (see the module docstring), or None when it cannot train.

    ``texts``: where given (:attr:`wenda.train.distill.Teacher.texts`), the window's question and
    text are recorded under its (question words, window words), for a teacher that reads the text."""
    question, spans = tokenizer.tokens(example.question), tokenizer.spans(example.context)
    tokens = [t for t, _, _ in spans]
    if not question or not tokens:
        return None
    if example.is_impossible:
        if not no_answer:
            return None
        begin, item = 0, (question, tokens[:max_len], 0, 0, False)
    else:
        text, char_start = example.answers[0]
        found = answer_tokens(spans, char_start, len(text))
        if found is None or found[1] - found[0] >= max_len:
            return None
        begin = max(0, min(found[0] - max_len // 4, len(tokens) - max_len))
        item = (question, tokens[begin : begin + max_len], found[0] - begin, found[1] - begin, True)
    if texts is not None:
        window = spans[begin : begin + max_len]
        texts[tuple(question), tuple(item[1])] = (
            example.question,
            example.context[window[0][1] : window[-1][2]],
        )
    return item


class ReadingTask:
    """Batches of training windows, the span loss, and EM/F1 on held-out examples."""

    def __init__(
        self, train, held_out, config: TrainConfig, model_config, tokenizer: TokenizerConfig = TOKENIZER,
        teacher: Teacher | None = None,
    ) -> None:  # fmt: skip
        self.config, self.tokenizer, self.teacher = config, tokenizer, teacher
        if teacher is not None and not (0 <= config.distill_weight <= 1 and config.distill_temperature > 0):
            raise ValueError(
                f"need 0 <= distill_weight <= 1 and distill_temperature > 0, not "
                f"{config.distill_weight} and {config.distill_temperature}"
            )
        self.items = self._build_items(train, Tokenizer(tokenizer), model_config)
        if not self.items:
            raise ValueError("no training example fits the reader (answers found within max_passage_len)")
        self.dropped = len(train) - len(self.items)
        if model_config.no_answer and config.no_answer_distractors > 0:
            self.items += self._distractor_items(train, Tokenizer(tokenizer), model_config.max_passage_len)
        self.held_out = [ex for ex in held_out if not ex.is_impossible]

    @property
    def teacher_texts(self) -> dict | None:
        """Where the training windows' texts go for a teacher that reads them (:attr:`Teacher.texts`)."""
        return self.teacher.texts if self.teacher is not None else None

    def _build_items(self, train, tok: Tokenizer, model_config) -> list:
        """One training window per example that fits (:func:`training_item`)."""
        length, no_answer = model_config.max_passage_len, model_config.no_answer
        items = (training_item(ex, tok, length, no_answer, self.teacher_texts) for ex in train)
        return [item for item in items if item is not None]

    def _distractor_items(self, train, tok: Tokenizer, length: int) -> list[Item]:
        """Unanswerable items: a share of the answerable questions, each with its best BM25 window
        of the training contexts that holds none of its answers."""
        answerable = [ex for ex in train if not ex.is_impossible]
        chosen = [answerable[i] for i in every(min(1.0, self.config.no_answer_distractors), len(answerable))]
        chosen = [(ex, q) for ex in chosen if (q := tok.tokens(ex.question))]
        contexts = dict.fromkeys(ex.context for ex in answerable)
        windows = [w for c in contexts for w in windows_of(tok.tokens(c), length) if w]
        golds = [tuple(" ".join(tok.tokens(t)) for t, _ in ex.answers) for ex, _ in chosen]
        picks = distractors([q for _, q in chosen], windows, golds, 1)
        return [(q, windows[p[0]], 0, 0, False) for (_, q), p in zip(chosen, picks, strict=True) if p]

    def batches(self, epoch: int, rng: np.random.Generator):
        """Lists of ``batch_size`` training items, shuffled per epoch; with ``length_buckets``, items
        of similar length batched together (:mod:`wenda.train.buckets`)."""
        size = self.config.batch_size
        if self.config.length_buckets:
            chunks = length_buckets([self.length(item) for item in self.items], size, rng)
        else:
            order = rng.permutation(len(self.items))
            chunks = [order[i : i + size] for i in range(0, len(order), size)]
        for chunk in chunks:
            yield [self.items[j] for j in chunk]

    @staticmethod
    def length(item: Item) -> int:
        """The padded length an item asks of its batch: its window's."""
        return len(item[1])

    def loss(self, model: Reader, batch: list[Item]) -> torch.Tensor:
        """The gold-span loss; with a teacher, mixed with its soft targets (``wenda.train.distill``)."""
        questions, windows = [b[0] for b in batch], [b[1] for b in batch]
        output, mask = model.logits(questions, windows)
        device = output.start.device
        starts = torch.tensor([b[2] for b in batch], device=device)
        ends = torch.tensor([b[3] for b in batch], device=device)
        has = torch.tensor([b[4] for b in batch], device=device)
        loss = span_loss(output, mask, starts, ends, has)
        if self.teacher is None:
            return loss
        a = self.config.distill_weight
        soft = self.teacher.loss(output, mask, questions, windows, self.config.distill_temperature)
        return (1 - a) * loss + a * soft

    def evaluate(self, model: Reader) -> dict[str, float]:
        """SQuAD EM and F1 (in percent) of the best answer on each answerable held-out example."""
        return em_f1(score_examples(ReaderService(model, self.tokenizer), self.held_out))

    def save(self, model: Reader, directory: Path) -> None:
        save_model(model, "read", self.tokenizer, directory)


def _initial(directory: Path, model_name: str, overrides: dict, tokenizer: TokenizerConfig) -> Reader:
    """The reader saved in ``directory``, to train further: its architecture and vocabulary stay.
    It trains with its class's ``tokenizer`` (:meth:`~wenda.read.base.Reader.tokenizer_config`), so a
    reader saved before it read punctuation learns to read it."""
    from wenda.train.setup import saved_model

    if overrides:
        raise ValueError(f"--init keeps the saved architecture; drop the model settings {sorted(overrides)}")
    return saved_model(directory, "read", model_name, tokenizer, punctuation_may_differ=True)


def fresh_reader(model_name: str, examples, config: TrainConfig, overrides: dict | None = None) -> Reader:
    """A new ``model_name`` reader (:func:`~wenda.train.setup.build_model`) whose vocabulary is the
    words of ``examples``' questions and contexts, tokenized as that reader reads them."""
    from wenda import registry
    from wenda.train.setup import build_model

    tok = Tokenizer(registry.get("read", model_name).tokenizer_config())
    texts = (tok.tokens(t) for ex in examples for t in (ex.question, ex.context))
    return build_model("read", model_name, texts, config, overrides)


def train_reader(
    model_name: str,
    out: Path,
    settings: dict | None = None,
    sets: Sequence[str] | None = None,
    held_out_fraction: float = HELD_OUT_FRACTION,
    progress: bool = True,
    init: Path | None = None,
    teacher: Path | None = None,
) -> dict:
    """Train reader ``model_name`` on the span-annotated training sets (``wenda.data.reading_train``),
    choosing the epoch on a held-out share of them, into ``out``; writes ``out/training.json``.
    ``init`` starts from a saved reader of that type (fine-tuning; its vocabulary and architecture
    are kept) instead of a fresh one. ``teacher``: a saved reader whose answer distributions the
    student also learns (knowledge distillation, :mod:`wenda.train.distill`).

    Returns:
        the trainer's final state plus ``params``, ``train_examples``, ``held_out`` and ``out``.
    """
    import wenda.read  # noqa: F401  (registers every model)
    from wenda import registry
    from wenda.data.reading_train import DEFAULT_NAMES, load_reading_training, split_held_out
    from wenda.fileio import atomic_write_json
    from wenda.train.setup import split_settings
    from wenda.train.trainer import Trainer

    overrides, config = split_settings("read", model_name, {"metric": "f1", **(settings or {})})
    examples, reports = load_reading_training(sets or DEFAULT_NAMES)
    train, held_out = split_held_out(examples, held_out_fraction)
    tokenizer = registry.get("read", model_name).tokenizer_config()
    if init is not None:
        model = _initial(init, model_name, overrides, tokenizer)
    else:
        model = fresh_reader(model_name, train, config, overrides)
    guide = teacher and Teacher(teacher, config.teacher_precision, tokenizer)
    if model.rank_objective is None and not config.shared_norm:
        task = ReadingTask(train, held_out, config, model.config, tokenizer, guide)
    else:  # readers that rank passages, or share one softmax, train on groups: gold + negatives
        from wenda.train.grouped import GroupReadingTask

        size = config.negatives + 1
        task = GroupReadingTask(train, held_out, config, model.config, tokenizer, size, guide)
    state = Trainer(model, task, config, Path(out), progress=progress).fit()
    calibration = calibrate_saved(Path(out), held_out, config.no_answer_distractors)
    report = {
        "model": model_name,
        "model_config": model.config.to_dict(),
        **state,
        "params": sum(p.numel() for p in model.parameters()),
        "train_examples": len(task.items),
        "not_trainable": task.dropped,
        "held_out": len(task.held_out),
        "data": {name: str(r) for name, r in reports.items()},
        "calibration": asdict(calibration),
        **({"teacher": str(teacher)} if teacher is not None else {}),
        **({"init": str(init)} if init is not None else {}),
    }
    atomic_write_json(Path(out) / "training.json", report)
    return {**report, "out": str(out)}
