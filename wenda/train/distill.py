"""Knowledge distillation for readers: a trained teacher reader's answer distributions teach a
student (Hinton et al. 2015, "Distilling the Knowledge in a Neural Network"; for span readers, Hu et
al. 2018, "Attention-Guided Answer Distillation for Machine Reading Comprehension", whose answer
distillation is this loss).

On every training window the teacher reads the same question and words, and the student learns its
start and end distributions beside the gold span::

    loss = (1 - a) * span_loss + a * T^2 * [ KL(p_t^start || p_s^start) + KL(p_t^end || p_s^end) ]
    p^start = softmax(start_logits / T) over the positions both readers see

``a`` is ``TrainConfig.distill_weight`` and ``T`` ``distill_temperature`` (``T^2`` keeps the soft
part's gradients on the scale of the hard part's, Hinton et al. §2). All readers share one word
tokenization (:data:`wenda.read.base.TOKENIZER`), so a word-piece teacher (the MiniLM reader) and a
word-level student (DrQA) give logits over the same word positions. A teacher that reads punctuation
marks as well (the MiniLM reader, ``Reader.reads_punctuation``) reads each training window's text
as it was trained to, marks included, when the task recorded it (:attr:`Teacher.texts`, filled by
:func:`wenda.train.reading.training_item`), and its logits at the words' positions are kept; a window
without its text (a BM25 distractor) it reads as the student does, words only. The teacher may see
fewer words of a long window (its word-piece limit), and positions it does not see are left out of
both distributions. The no-answer class is not distilled: the gold-span part trains it.

The point is a fast reader that answers more like a slow, accurate one: the shipped default must
read 20 passages in 100 ms on two cores, which the MiniLM reader cannot.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from wenda.nn.precision import autocast, check_precision
from wenda.read.base import TOKENIZER, Reader, ReaderOutput
from wenda.text import Tokenizer, TokenizerConfig


def distill_loss(student: ReaderOutput, s_mask: Tensor, teacher: ReaderOutput, t_mask: Tensor, temperature: float) -> Tensor:  # fmt: skip
    """``T^2 [KL(p_t^start || p_s^start) + KL(p_t^end || p_s^end)]``, averaged over the batch.

    Args:
        student, teacher: logits ``[B, Ls]`` and ``[B, Lt]`` over the same windows' words.
        s_mask, t_mask: ``[B, Ls]`` / ``[B, Lt]`` True at the words each reader saw.
        temperature: ``T`` > 0.
    """
    width = min(student.start.shape[1], teacher.start.shape[1])
    mask = s_mask[:, :width] & t_mask[:, :width]  # [B, W]
    rows = mask.any(1)  # [B] a window neither saw gives no target
    total = student.start.new_zeros(())
    for s, t in ((student.start, teacher.start), (student.end, teacher.end)):
        s_log = _log_softmax(s[:, :width].float() / temperature, mask)  # [B, W]
        t_log = _log_softmax(t[:, :width].float() / temperature, mask)  # [B, W]
        kl = (t_log.exp() * (t_log - s_log)).masked_fill(~mask, 0.0).sum(1)  # [B]
        total = total + kl[rows].sum() / rows.sum().clamp_min(1)
    return temperature**2 * total


def _log_softmax(logits: Tensor, mask: Tensor) -> Tensor:
    """log-softmax over the masked positions (others get a large negative, not -inf: no NaN)."""
    return F.log_softmax(logits.masked_fill(~mask, torch.finfo(logits.dtype).min), -1)


class Teacher:
    """A saved reader used only to give soft targets: evaluation mode, no gradients, moved to the
    student's device on first use, run in its own ``precision`` (``bf16`` reads as well as fp32 on
    a CPU with AVX-512 BF16 at under half the time, BENCHMARKS.md) whatever the student's.

    Without dropout the teacher's logits for a window never change, so each window is read once:
    the logits of the words it saw are kept (``cache``) and later epochs cost the student's time
    alone. ~35K training windows keep about 50 MB.
    """

    def __init__(
        self,
        directory: str | Path,
        precision: str = "fp32",
        student: TokenizerConfig = TOKENIZER,
        cache: bool = True,
    ) -> None:
        from wenda.nn.modeldir import load_model

        model, tokenizer = load_model(Path(directory), "read")
        if not tokenizer.same_words(student):
            raise ValueError(
                f"{directory}: a teacher must tokenize as its student does ({student}), not as {tokenizer}"
            )
        self.model: Reader = model.eval().requires_grad_(False)
        self.directory, self.precision = str(directory), check_precision(precision)
        self.cache: dict[tuple, tuple[Tensor, Tensor, Tensor]] | None = {} if cache else None
        # (question words, window words) -> (question text, window text), for a teacher that reads
        # marks its student does not: it reads the text itself (see the module docstring)
        self.texts: dict[tuple, tuple[str, str]] | None = (
            {} if tokenizer.punctuation and not student.punctuation else None
        )
        self._own, self._student = Tokenizer(tokenizer), Tokenizer(student)

    def loss(self, student: ReaderOutput, s_mask: Tensor, questions, windows, temperature: float) -> Tensor:
        """:func:`distill_loss` of the student's logits against this teacher's on the same windows."""
        output, t_mask = self.logits(questions, windows, student.start.device)
        return distill_loss(student, s_mask, output, t_mask, temperature)

    def logits(self, questions, windows, device) -> tuple[ReaderOutput, Tensor]:
        """The teacher's start/end logits ``[B, Lt]`` and mask on ``device``, from the cache where
        it has read the window before."""
        if next(self.model.parameters()).device != torch.device(device):
            self.model.to(device)
        keys = [(tuple(q), tuple(w)) for q, w in zip(questions, windows, strict=True)]
        cache = self.cache if self.cache is not None else {}
        todo = [i for i, k in enumerate(keys) if k not in cache]
        if todo:
            views = [self._view(keys[i]) for i in todo]
            with torch.no_grad(), autocast(device, self.precision):
                output, mask = self.model.logits(
                    [v[0] if v else questions[i] for v, i in zip(views, todo, strict=True)],
                    [v[1] if v else windows[i] for v, i in zip(views, todo, strict=True)],
                )
            for row, (i, view) in enumerate(zip(todo, views, strict=True)):
                cache[keys[i]] = _kept(output.start[row], output.end[row], mask[row], view and view[2])
        rows = [cache[k] for k in keys]
        width = max(1, max(len(r[2]) for r in rows))
        start = torch.zeros(len(rows), width, device=device)  # [B, Lt]
        end, seen = torch.zeros_like(start), torch.zeros(len(rows), width, dtype=torch.bool, device=device)
        for i, (s, e, m) in enumerate(rows):
            start[i, : len(m)], end[i, : len(m)], seen[i, : len(m)] = s, e, m.to(device)
        return ReaderOutput(start, end), seen

    def _view(self, key: tuple) -> tuple[list[str], list[str], list[int]] | None:
        """The teacher's own tokens of a window whose text :attr:`texts` holds: its question, its
        window, and the positions of the student's words among the window's tokens; None (read the
        student's words) when the text is unknown or does not give back the student's words."""
        if not self.texts:
            return None
        text = self.texts.pop(key, None) if self.cache is not None else self.texts.get(key)  # read once
        if text is None:
            return None
        question, window = text
        spans = self._own.spans(window)  # words and marks
        words = {(b, e) for _, b, e in self._student.spans(window)}
        at = [i for i, (_, b, e) in enumerate(spans) if (b, e) in words]
        if [spans[i][0] for i in at] != list(key[1]):
            return None
        return self._own.tokens(question), [t for t, _, _ in spans], at


def _kept(start: Tensor, end: Tensor, mask: Tensor, at: list[int] | None) -> tuple[Tensor, Tensor, Tensor]:
    """One window's teacher logits ``[Lt]`` as cached: at the student's word positions ``at``
    (all positions when None), up to the last word the teacher saw."""
    if at is not None:
        index = torch.tensor(at, dtype=torch.long, device=mask.device)
        inside = index < mask.shape[0]  # a word beyond the teacher's padded width was not seen
        index = index.clamp(max=mask.shape[0] - 1)
        start, end, mask = start[index], end[index], mask[index] & inside
    cut = int(mask.nonzero().max()) + 1 if mask.any() else 0  # to the last seen word
    return start[:cut].float().clone(), end[:cut].float().clone(), mask[:cut].clone()
