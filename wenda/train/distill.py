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
word-level student (DrQA) give logits over the same word positions; a teacher that reads punctuation
marks as well (the MiniLM reader, ``Reader.reads_punctuation``) reads the student's windows as they
are, words only (the training windows keep no text to re-tokenize; its answers are somewhat worse
without the marks than with them); the teacher may see fewer words
of a long window (its word-piece limit), and positions it does not see are left out of both
distributions. The no-answer class is not distilled: the gold-span part trains it.

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
from wenda.text import TokenizerConfig


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
            with torch.no_grad(), autocast(device, self.precision):
                output, mask = self.model.logits([questions[i] for i in todo], [windows[i] for i in todo])
            for row, i in enumerate(todo):
                cut = slice(
                    0, int(mask[row].nonzero().max()) + 1 if mask[row].any() else 0
                )  # to the last seen word
                cache[keys[i]] = (
                    output.start[row, cut].float().clone(),
                    output.end[row, cut].float().clone(),
                    mask[row, cut].clone(),
                )
        rows = [cache[k] for k in keys]
        width = max(1, max(len(r[2]) for r in rows))
        start = torch.zeros(len(rows), width, device=device)  # [B, Lt]
        end, seen = torch.zeros_like(start), torch.zeros(len(rows), width, dtype=torch.bool, device=device)
        for i, (s, e, m) in enumerate(rows):
            start[i, : len(m)], end[i, : len(m)], seen[i, : len(m)] = s, e, m.to(device)
        return ReaderOutput(start, end), seen
