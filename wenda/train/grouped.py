"""Training readers that rank passages: groups of passages per question, and their objectives.

Open-domain readers (S-Net's ranking branch, R^3's ranker) learn which of a question's passages
holds the answer, so they train on *groups*: the passage window holding the gold answer
(:func:`~wenda.train.reading.training_item`) plus ``group_size - 1`` distractors, the BM25 best
windows of the training contexts for the question that do not contain any gold answer text (hard
negatives, as a retriever would return them; :func:`~wenda.train.distractors.distractors`). A model
names its objective in ``Reader.rank_objective``:

- ``"supervised"`` (S-Net, Tan et al. 2018): span loss on the gold passage (and, for readers with a
  no-answer logit, "no answer" on the distractors) plus ``rank_weight``
  times the cross-entropy of the gold passage under the softmax of the group's rank logits;
- ``"reinforce"`` (R^3, Wang et al. 2018): the same span loss (the reader learns from the passage
  holding the answer) and, for the ranker, REINFORCE: a passage ``τ`` is sampled from the ranker's
  softmax, the reader's best span in ``τ`` earns ``2`` for an exact match, its F1 if it overlaps
  the gold answer, else ``-1``, and ``-(r - b) log γ(τ)`` is minimised, ``b`` the expected reward
  over the group (exact: every passage's answer is decoded); plus ``rank_weight`` times the
  supervised cross-entropy (R^3's pre-training, kept in the loss).

With ``negatives=0`` a group is the gold passage alone: both ranking terms are 0 and only the reader
learns (R^3's reader pre-training; a later run continues from it with ``--init`` and distractors).

Readers that do not rank passages may train on groups too (``shared_norm``): Clark & Gardner 2018
("Simple and Effective Multi-Paragraph Reading Comprehension", §2.3, shared normalisation) score
every window of a group and take one softmax over all their positions (and, for a reader with a
no-answer logit, the mean of the windows' no-answer logits, as :meth:`Reader.span_logits` scores
"no answer" over several passages), so the scores of different passages become comparable: the
distractors' positions compete with the gold answer, as they do when ``ask`` reads the retrieved
passages under one softmax. Readers with a no-answer logit also see groups of distractors alone
(a share ``no_answer_distractors`` of the questions), whose target is "no answer".

With a teacher reader (``wenda train reader --teacher``, :mod:`wenda.train.distill`) the span loss
on the gold passage is mixed with the teacher's soft targets on that passage (:func:`group_loss`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from wenda.eval.squad import exact_match, f1
from wenda.read.base import Reader, ReaderOutput, span_loss
from wenda.read.decode import span_scores
from wenda.text import Tokenizer, TokenizerConfig
from wenda.train.distill import Teacher
from wenda.train.distractors import distractors, every, windows_of
from wenda.train.reading import ReadingTask, training_item

# question tokens, passage windows (gold first), gold start and end in passage 0 (-1, -1 when no
# passage holds the answer: a retrieval miss), gold answer texts
Group = tuple[list[str], list[list[str]], int, int, tuple[str, ...]]


def with_distractors(examples, tok: Tokenizer, length: int, k: int, texts: dict | None = None) -> list[tuple]:
    """``(example, training item, distractor windows)`` for each answerable example whose answer fits
    a window of ``length`` (:func:`~wenda.train.reading.training_item`, which records the gold
    windows' ``texts`` for a teacher): up to ``k`` BM25-best windows of the examples' contexts that
    hold none of its answers (:func:`~wenda.train.distractors.distractors`)."""
    pairs = [
        (ex, item)
        for ex in examples
        if not ex.is_impossible and (item := training_item(ex, tok, length, False, texts))
    ]
    contexts = dict.fromkeys(ex.context for ex, _ in pairs)
    windows = [w for c in contexts for w in windows_of(tok.tokens(c), length) if w]
    # answers normalised as the windows are: tokens joined by spaces
    golds = [tuple(" ".join(tok.tokens(text)) for text, _ in ex.answers) for ex, _ in pairs]
    picks = distractors([item[0] for _, item in pairs], windows, golds, k)
    return [(ex, item, [windows[i] for i in pick]) for (ex, item), pick in zip(pairs, picks, strict=True)]


class GroupReadingTask(ReadingTask):
    """Groups of ``group_size`` passages per question, for readers that rank passages or train with
    ``shared_norm`` (see the module docstring); the held-out evaluation is
    :class:`~wenda.train.reading.ReadingTask`'s."""

    def __init__(
        self, train, held_out, config, model_config, tokenizer: TokenizerConfig, group_size: int = 4,
        teacher: Teacher | None = None,
    ) -> None:  # fmt: skip
        self.group_size = group_size
        super().__init__(train, held_out, config, model_config, tokenizer, teacher)

    def _build_items(self, train, tok: Tokenizer, model_config) -> list[Group]:
        length = model_config.max_passage_len
        found = with_distractors(train, tok, length, self.group_size - 1, self.teacher_texts)
        return [
            (q, [p, *others], s, e, tuple(text for text, _ in ex.answers))
            for ex, (q, p, s, e, _), others in found
        ]

    def _distractor_items(self, train, tok: Tokenizer, length: int) -> list[Group]:
        """Groups without their gold window (a share of the questions, for readers with a no-answer
        logit): the distractors alone, whose target is "no answer"."""
        chosen = every(min(1.0, self.config.no_answer_distractors), len(self.items))
        picked = (self.items[i] for i in chosen)
        return [(q, windows[1:], -1, -1, golds) for q, windows, _, _, golds in picked if len(windows) > 1]

    @staticmethod
    def length(item: Group) -> int:
        """A group's passages share one padded batch: its longest window's length."""
        return max(len(w) for w in item[1])

    def loss(self, model: Reader, batch: list[Group]) -> torch.Tensor:
        c = self.config
        return group_loss(model, batch, self.teacher, c.distill_weight, c.distill_temperature)


def _group_logits(model: Reader, batch: list[Group]) -> tuple[ReaderOutput, torch.Tensor, torch.Tensor]:
    """Run every passage of every group: output rows ``[N, L]``, mask, and the group of each row."""
    questions = [g[0] for g in batch for _ in g[1]]
    passages = [p for g in batch for p in g[1]]
    output, mask = model.logits(questions, passages)
    owner = torch.tensor([b for b, g in enumerate(batch) for _ in g[1]], device=mask.device)  # [N]
    return output, mask, owner


def _gold_span_loss(output: ReaderOutput, mask: torch.Tensor, batch: list[Group]) -> torch.Tensor:
    """Span loss on each group's gold passage (its first row); a reader with a no-answer logit also
    learns to abstain on the distractors (they hold no gold answer text)."""
    device = mask.device
    gold = torch.tensor([i == 0 and g[2] >= 0 for g in batch for i in range(len(g[1]))], device=device)  # [N]
    first = [g[2:4] if i == 0 and g[2] >= 0 else (0, 0) for g in batch for i in range(len(g[1]))]
    starts = torch.tensor([s for s, _ in first], device=device)  # [N]
    ends = torch.tensor([e for _, e in first], device=device)  # [N]
    if output.no_answer is not None:
        return span_loss(output, mask, starts, ends, gold)
    return span_loss(ReaderOutput(output.start, output.end), mask, starts, ends, gold)


def _shared_span_loss(output: ReaderOutput, mask: torch.Tensor, owner: torch.Tensor, batch: list[Group]) -> torch.Tensor:  # fmt: skip
    """Shared normalisation (module docstring): each group's windows laid end to end, ``[B, G * L]``,
    one :func:`span_loss` over them; the gold answer is in window 0, and a group without it (or a
    reader without a no-answer logit) is handled as ``span_loss`` handles an unanswerable row."""
    sizes = [len(g[1]) for g in batch]
    slot = torch.tensor([i for n in sizes for i in range(n)], device=mask.device)  # [N]
    shape = (len(batch), max(sizes), mask.shape[1])

    def laid_out(x: torch.Tensor, fill) -> torch.Tensor:  # [N, L] -> [B, G * L]
        out = x.new_full(shape, fill)
        out[owner, slot] = x
        return out.flatten(1)

    no_answer = None
    if output.no_answer is not None:  # the group's "no answer": its windows' mean logit
        total = output.no_answer.new_zeros(len(batch)).index_add(0, owner, output.no_answer)
        no_answer = total / torch.tensor(sizes, device=mask.device, dtype=total.dtype)  # [B]
    shared = ReaderOutput(laid_out(output.start, 0.0), laid_out(output.end, 0.0), no_answer)
    starts = torch.tensor([max(g[2], 0) for g in batch], device=mask.device)  # [B]
    ends = torch.tensor([max(g[3], 0) for g in batch], device=mask.device)  # [B]
    has = torch.tensor([g[2] >= 0 for g in batch], device=mask.device)  # [B]
    return span_loss(shared, laid_out(mask, False), starts, ends, has)


def _group_log_softmax(rank: torch.Tensor, owner: torch.Tensor, groups: int) -> torch.Tensor:
    """``log γ`` per row ``[N]``: the rank logits log-softmaxed within each row's group."""
    top = torch.full((groups,), -torch.inf, device=rank.device).scatter_reduce(0, owner, rank, "amax")
    shifted = rank - top[owner].detach()
    log_z = torch.zeros(groups, device=rank.device).index_add(0, owner, shifted.exp()).log()
    return shifted - log_z[owner]


def _gold_rows(batch: list[Group]) -> list[int]:
    """The output row of each group's gold passage (its first), for the groups that have one."""
    first = np.cumsum([0] + [len(g[1]) for g in batch[:-1]])
    return [int(f) for f, g in zip(first, batch, strict=True) if g[2] >= 0]


def _rank_cross_entropy(log_gamma: torch.Tensor, batch: list[Group]) -> torch.Tensor:
    """Mean ``-log γ`` of the gold passage over the groups that have one (0 if none has)."""
    rows = _gold_rows(batch)
    if not rows:
        return log_gamma.sum() * 0.0
    return -log_gamma[torch.tensor(rows, device=log_gamma.device)].mean()


def supervised(model: Reader, output: ReaderOutput, mask: torch.Tensor, owner: torch.Tensor, batch: list[Group]) -> torch.Tensor:  # fmt: skip
    """S-Net's ranking term: ``rank_weight`` × the gold passage's cross-entropy."""
    log_gamma = _group_log_softmax(output.rank, owner, len(batch))
    return model.config.rank_weight * _rank_cross_entropy(log_gamma, batch)


def reward(predicted: str, golds: Sequence[str]) -> float:
    """R^3's reward: 2 for an exact match, the F1 if positive, else -1 (SQuAD's normalisation)."""
    if exact_match(predicted, golds):
        return 2.0
    score = f1(predicted, golds)
    return score if score > 0 else -1.0


def _rewards(output: ReaderOutput, mask: torch.Tensor, batch: list[Group], max_len: int = 15) -> torch.Tensor:
    """The reward of the reader's best span in every row ``[N]``."""
    scores = span_scores(output.start.detach(), output.end.detach(), mask, max_len)  # [N, L, L]
    best = scores.flatten(1).argmax(1).tolist()
    length = scores.shape[1]
    rows = [(p, g[4]) for g in batch for p in g[1]]
    out = [
        reward(" ".join(p[i // length : i % length + 1]), golds)
        for (p, golds), i in zip(rows, best, strict=True)
    ]
    return torch.tensor(out, device=mask.device)


def reinforce(model: Reader, output: ReaderOutput, mask: torch.Tensor, owner: torch.Tensor, batch: list[Group]) -> torch.Tensor:  # fmt: skip
    """R^3's ranking terms: REINFORCE for the ranker + ``rank_weight`` × the supervised cross-entropy."""
    log_gamma = _group_log_softmax(output.rank, owner, len(batch))  # [N]
    rewards = _rewards(output, mask, batch)  # [N]
    gamma = log_gamma.detach().exp()
    baseline = torch.zeros(len(batch), device=mask.device).index_add(0, owner, gamma * rewards)  # [B]
    sizes = [len(g[1]) for g in batch]
    first = np.cumsum([0] + sizes[:-1])
    picked = [int(f + torch.multinomial(gamma[f : f + n], 1)) for f, n in zip(first, sizes, strict=True)]
    picked = torch.tensor(picked, device=mask.device)  # [B]: τ per question
    advantage = rewards[picked] - baseline  # [B]
    policy = -(advantage * log_gamma[picked]).mean()
    supervised_rank = _rank_cross_entropy(log_gamma, batch)
    return policy + model.config.rank_weight * supervised_rank


OBJECTIVES = {"supervised": supervised, "reinforce": reinforce}


def group_loss(model: Reader, batch: list[Group], teacher: Teacher | None = None, weight: float = 0.0, temperature: float = 1.0) -> torch.Tensor:  # fmt: skip
    """The gold-passage span loss plus the model's ranking terms (``OBJECTIVES[model.rank_objective]``);
    for a reader that does not rank passages, the shared-normalisation span loss alone.
    With a ``teacher`` (``wenda.train.distill``) the span part is mixed with the teacher's soft
    targets on each group's gold passage, as single-window readers distil on their window:
    ``(1 - weight) * span + weight * soft``; the ranking terms are the model's own."""
    output, mask, owner = _group_logits(model, batch)
    if model.rank_objective is None:  # a single-window reader trained with shared normalisation
        span = _shared_span_loss(output, mask, owner, batch)
    else:
        span = _gold_span_loss(output, mask, batch)
    rows = _gold_rows(batch)
    if teacher is not None and rows:
        pick = torch.tensor(rows, device=mask.device)
        gold_groups = [g for g in batch if g[2] >= 0]  # in the order of ``rows``
        soft = teacher.loss(
            ReaderOutput(output.start[pick], output.end[pick]), mask[pick],
            [g[0] for g in gold_groups], [g[1][0] for g in gold_groups], temperature,
        )  # fmt: skip
        span = (1 - weight) * span + weight * soft
    if model.rank_objective is None:
        return span
    return span + OBJECTIVES[model.rank_objective](model, output, mask, owner, batch)
