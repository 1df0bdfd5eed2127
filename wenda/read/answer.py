"""A trained reader ready to serve: text in, answers with character offsets out.

Passages longer than the model's ``max_passage_len`` tokens are read as overlapping windows (half a
window of overlap), all windows of all passages sharing one softmax (``wenda.read.decode``), and
each answer is mapped back to the exact substring of the passage it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch

from wenda.nn.modeldir import PACKAGED, packaged_or_path
from wenda.nn.precision import autocast, check_precision
from wenda.read.base import Reader
from wenda.read.calibrate import Calibration
from wenda.read.decode import char_span, decode, span_log_probs
from wenda.text import Tokenizer, TokenizerConfig

Window = tuple[int, list[str], list[tuple[int, int]]]  # passage index, tokens, char offsets


@dataclass(frozen=True)
class Answer:
    """An extracted answer: ``passages[passage][start:end] == text``; ``prob`` shares one scale with
    every other answer to the same question and with ``no_answer``."""

    text: str
    passage: int
    start: int
    end: int
    prob: float
    no_answer: float


def windows(tokens: list[tuple[str, int, int]], length: int, passage: int) -> list[Window]:
    """Overlapping windows of ``length`` tokens with a stride of half a window (at least one)."""
    stride = max(1, length // 2)
    out = []
    for begin in range(0, max(1, len(tokens) - length + stride), stride):
        chunk = tokens[begin : begin + length]
        out.append((passage, [t for t, _, _ in chunk], [(b, e) for _, b, e in chunk]))
        if begin + length >= len(tokens):
            break
    return out


def _float_scores(logits: tuple) -> tuple:
    """One question's ``(start, end, mask, no_answer)`` with the scores as float32."""
    start, end, mask, none = logits
    return start.float(), end.float(), mask, None if none is None else none.float()


class ReaderService:
    """Answers questions from passages with a trained :class:`~wenda.read.base.Reader`, its span
    scores divided by the calibration's temperature (``wenda.read.calibrate``), its forward passes
    in ``precision`` (``fp32`` or ``bf16``: ``wenda.nn.precision``)."""

    def __init__(
        self,
        model: Reader,
        tokenizer: TokenizerConfig,
        max_answer_len: int = 15,
        calibration: Calibration | None = None,
        precision: str = "fp32",
    ) -> None:
        self.model = model.eval()
        self.precision = check_precision(precision)
        self.tokenizer = Tokenizer(tokenizer)
        self.max_answer_len = max_answer_len
        self.calibration = calibration or Calibration()

    @property
    def name(self) -> str:
        """The model's registered name."""
        return self.model.registered_name

    def windows(self, passages: Sequence[str]) -> list[Window]:
        """Every non-empty window of every passage (see :func:`windows`)."""
        length = self.model.config.max_passage_len
        chunks = [w for i, p in enumerate(passages) for w in windows(self.tokenizer.spans(p), length, i)]
        return [c for c in chunks if c[1]]

    def read(self, question: str, passages: Sequence[str], top_k: int = 1) -> list[Answer]:
        """The ``top_k`` best answers to ``question`` in ``passages`` (best first)."""
        return self.read_with_logits(question, passages, top_k)[0]

    def read_with_logits(
        self, question: str, passages: Sequence[str], top_k: int = 1
    ) -> tuple[list[Answer], tuple | None]:
        """:meth:`read`'s answers and the :meth:`~wenda.read.base.Reader.span_logits` they were
        decoded from (None when no passage has a token)."""
        return self.read_many([question], [passages], top_k)[0]

    def read_many(
        self, questions: Sequence[str], passages: Sequence[Sequence[str]], top_k: int = 1
    ) -> list[tuple[list[Answer], tuple | None]]:
        """:meth:`read_with_logits` for each question over its own passages, with one forward pass
        over all their windows (:meth:`~wenda.read.base.Reader.span_logits_many`); the caller
        chooses how many questions make a batch."""
        chunks = [self.windows(p) for p in passages]
        todo = [i for i, c in enumerate(chunks) if c]
        results: list[tuple[list[Answer], tuple | None]] = [([], None)] * len(questions)
        if not todo:
            return results
        with self._inference():
            logits = self.model.span_logits_many(
                [self.tokenizer.tokens(questions[i]) for i in todo], [[c[1] for c in chunks[i]] for i in todo]
            )
        logits = [_float_scores(x) for x in logits]  # bf16 products decode in float32
        for i, question_logits in zip(todo, logits, strict=True):
            results[i] = (self._answers(question_logits, chunks[i], passages[i], top_k), question_logits)
        return results

    @contextmanager
    def _inference(self):
        with torch.inference_mode(), autocast(next(self.model.parameters()).device, self.precision):
            yield

    def _answers(
        self, logits: tuple, chunks: list[Window], passages: Sequence[str], top_k: int
    ) -> list[Answer]:
        """Decode one question's scores (divided by the temperature) into answers with offsets."""
        start, end, mask, none = logits
        t = self.calibration.temperature
        spans, p_none = decode(
            start / t, end / t, mask, self.max_answer_len, top_k, None if none is None else none / t
        )
        answers = []
        for s in spans:
            passage, _, offsets = chunks[s.passage]
            begin, stop = char_span(offsets, s.start, s.end)
            answers.append(Answer(passages[passage][begin:stop], passage, begin, stop, s.prob, p_none))
        return answers

    def evidence(self, question: str, passage: str) -> list[tuple[int, int, float, float]]:
        """Why the reader answers as it does: for each token of ``passage``, ``(char start, char
        end, P(answer starts here), P(answer ends here))``, the marginals of the calibrated span
        distribution (:func:`~wenda.read.decode.span_scores` under one softmax with "no answer"); a
        token read in two overlapping windows keeps its larger values."""
        chunks = self.windows([passage])
        if not chunks:
            return []
        with self._inference():
            logits = self.model.span_logits(self.tokenizer.tokens(question), [c[1] for c in chunks])
            start, end, mask, none = _float_scores(logits)
            t = self.calibration.temperature
            log_probs, _ = span_log_probs(
                start / t,
                end / t,
                mask,
                self.max_answer_len,
                None if none is None else none / t,
            )
            probs = log_probs.exp()  # [P, L, L]
            p_start, p_end = probs.sum(2), probs.sum(1)  # [P, L]
        best: dict[tuple[int, int], tuple[float, float]] = {}
        for w, (_, _, offsets) in enumerate(chunks):
            for i, span in enumerate(offsets):
                old = best.get(span, (0.0, 0.0))
                best[span] = (max(old[0], float(p_start[w, i])), max(old[1], float(p_end[w, i])))
        return [(b, e, ps, pe) for (b, e), (ps, pe) in sorted(best.items())]

    def answer(self, question: str, passages: Sequence[str]) -> Answer | None:
        """The best answer, or None when there is none or P(no answer) is above the calibrated
        threshold (the reader abstains)."""
        answers = self.read(question, passages)
        if not answers or answers[0].no_answer > self.calibration.no_answer_threshold:
            return None
        return answers[0]


# The readers shipped inside the package, by name (bench/default_reader.py says how they were made):
# "default", a DrQA reader (fast: 20 passages in under 100 ms on 2 cores), and "minilm", the
# fine-tuned all-MiniLM-L6-v2 reader (more accurate, 6-13x slower; it needs wenda[minilm], and
# its file holds only what fine-tuning changed beyond the package's word-piece table, as float16).
PACKAGED_READERS = {"default": PACKAGED / "reader", "minilm": PACKAGED / "reader-minilm"}
DEFAULT_READER = PACKAGED_READERS["default"]


def reader_directory(directory: str | Path | None = None) -> Path:
    """The directory of a reader given as a path or as a packaged reader's name (a name wins only
    where no directory of that name exists); None: the default packaged reader.

    Raises:
        wenda.nn.modeldir.ModelError: a packaged reader missing from this installation.
    """
    return packaged_or_path("default" if directory is None else directory, PACKAGED_READERS, "reader")


def load_reader(
    directory: str | Path | None = None, max_answer_len: int = 15, precision: str = "fp32"
) -> ReaderService:
    """Load a trained reader directory (``config.json``, ``model.safetensors``, ``vocab.json``, and
    ``calibration.json`` when training wrote one) or a packaged reader by name (``"default"``,
    ``"minilm"``: :data:`PACKAGED_READERS`); without either, the default packaged reader.
    ``precision``: see :class:`ReaderService`.

    Raises:
        wenda.nn.modeldir.ModelError: the directory is incomplete, corrupt or of another version.
    """
    from wenda.nn.modeldir import load_model

    directory = reader_directory(directory)
    model, tokenizer = load_model(directory, "read")
    calibration = Calibration.load(directory)
    return ReaderService(model, tokenizer, max_answer_len, calibration, precision)
