"""The reading stage's base class: an extractive reader scoring every passage token as an answer
start and end, plus an optional "no answer" logit, and the span loss that trains it.

Every model subclasses :class:`Reader`, registers with ``@register("read", name)``, declares a
dataclass ``Config`` (architecture only) and implements ``forward(**features) -> ReaderOutput``. The
base builds the word embedding and turns token lists into tensors in :meth:`Reader.featurize`;
models needing other inputs (DrQA's exact-match and term-frequency features) override that hook, so
the trainer never branches on a model's name. Logits are raw: padding is excluded by the mask
``passage != 0`` in :func:`span_loss` and in :func:`wenda.read.decode.decode`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from wenda.nn import pad_ids, padded_length
from wenda.nn.batching import by_length
from wenda.nn.charcnn import CharCNN, char_ids
from wenda.nn.model import ConfigBase, NeuralModel
from wenda.read.decode import Span, decode
from wenda.text import TokenizerConfig

# Readers see every word (no stopwords, no stems: "who"/"when" matter and answers are quoted as
# written); Chinese as single characters, so an answer span may start at any character.
TOKENIZER = TokenizerConfig(stopwords=None, stemmer=None, cjk="char")


@dataclass
class ReaderConfig(ConfigBase):
    """Settings every reader shares; models extend this dataclass with their own fields.

    Attributes:
        embed_dim: word vector size (GloVe 6B gives 50; DrQA used 300d GloVe 840B).
        max_question_len: question tokens kept. max_passage_len: passage tokens kept (answers past
            it cannot be found). Batches are padded to their longest row, capped at these.
        freeze_embeddings: keep the word vectors fixed. freeze_pretrained: keep fixed only the
            vectors that came from GloVe; words without one (and the hashed OOV buckets) learn.
        no_answer: learn a "no answer here" logit (SQuAD 2.0-style unanswerable questions).
        char_filters: filters of the character CNN (BiDAF's, :class:`~wenda.nn.charcnn.CharCNN`)
            whose max-pooled outputs follow each word vector; 0 = no characters. char_dim,
            char_width: its character embedding size and window; max_word_len: characters kept per
            word. Readers that use characters build the CNN with :meth:`Reader.char_encoder`.
    """

    embed_dim: int = 50
    max_question_len: int = 30
    max_passage_len: int = 300
    freeze_embeddings: bool = False
    freeze_pretrained: bool = False
    no_answer: bool = False
    char_filters: int = 0
    char_dim: int = 8
    char_width: int = 5
    max_word_len: int = 16


@dataclass
class ReaderOutput:
    """Raw logits: ``start``/``end`` ``[B, Lp]``; ``no_answer`` ``[B]`` (None unless the config asks);
    ``rank`` ``[B]``, a passage-relevance logit from readers that rank the passages of a question
    against each other (S-Net's ranking branch, R3's ranker), else None.

    ``no_answer`` competes with the start logits and, separately, with the end logits (see
    :func:`span_loss`), so against a span score ``start[i] + end[j]`` it counts twice.
    """

    start: Tensor
    end: Tensor
    no_answer: Tensor | None = None
    rank: Tensor | None = None


QuestionLogits = tuple[Tensor, Tensor, Tensor, Tensor | None]  # start, end, mask, no-answer


def _rows(output: ReaderOutput, part: slice, width: int) -> ReaderOutput:
    """The rows ``part`` of a batch's logits, positions cut to ``width``."""

    def pick(t: Tensor | None) -> Tensor | None:
        return None if t is None else t[part]

    return ReaderOutput(
        output.start[part, :width], output.end[part, :width], pick(output.no_answer), pick(output.rank)
    )


def _cat(parts: list[Tensor | None], width: int = 0) -> Tensor | None:
    """Concatenate along the batch, zero-padding positions to ``width`` (None stays None)."""
    if parts[0] is None:
        return None
    return torch.cat([F.pad(t, (0, width - t.shape[1])) if width else t for t in parts])


def rank_weighted(output: ReaderOutput, mask: Tensor) -> tuple[ReaderOutput, Tensor | None]:
    """Fold passage ranking into span scores (R^3's answer score, Wang et al. 2018): with
    ``γ = softmax(rank)`` over the ``P`` passages, span ``(i, j)`` of passage ``p`` scores
    ``log γ_p + log P(i | p) + log P(j | p)`` (start carries ``log γ_p``), and with a no-answer
    logit ``z_p`` -- normalised with the starts and with the ends, as :func:`span_loss` trains it --
    "no answer" scores ``log Σ_p γ_p P(none | p)``. All scores are then log-probabilities, so the
    returned no-answer score competes with span scores on one scale. Returns the new output and
    that scalar (None without a no-answer logit)."""
    floor = torch.finfo(output.start.dtype).min
    start, end = output.start.masked_fill(~mask, floor), output.end.masked_fill(~mask, floor)  # [P, L]
    log_gamma = F.log_softmax(output.rank, 0)  # [P]
    if output.no_answer is None:
        start, end = F.log_softmax(start, -1), F.log_softmax(end, -1)  # [P, L]
        return ReaderOutput(start + log_gamma[:, None], end, None, output.rank), None
    z = output.no_answer[:, None]  # [P, 1]
    start, end = (
        F.log_softmax(torch.cat([start, z], 1), -1),
        F.log_softmax(torch.cat([end, z], 1), -1),
    )  # [P, L + 1]
    none = torch.logsumexp(log_gamma + start[:, -1] + end[:, -1], 0)  # scalar
    return ReaderOutput(start[:, :-1] + log_gamma[:, None], end[:, :-1], output.no_answer, output.rank), none


def span_loss(output: ReaderOutput, mask: Tensor, starts: Tensor, ends: Tensor, has_answer: Tensor) -> Tensor:
    """Mean cross-entropy of the gold start and gold end over the real passage positions.

    With ``z_b`` the no-answer logit (if the model has one), ``s_b``/``e_b`` the start/end logits
    restricted to ``mask``, and the target ``t_b = starts[b]`` (``u_b = ends[b]``) for an answerable
    example or the extra class ``L`` (after the last position) for an unanswerable one::

        loss = 1/B sum_b -[ log softmax([s_b; z_b])[t_b] + log softmax([e_b; z_b])[u_b] ]

    so answerable examples also push ``z_b`` down (it is a competitor in both distributions) and
    unanswerable ones push it up against every position. Without a no-answer logit the extra class
    is absent and unanswerable examples are left out of the mean (a model that cannot abstain has
    nothing to learn from them).

    Args:
        output: the reader's logits. mask: ``[B, L]`` True at real passage tokens.
        starts, ends: ``[B]`` gold token positions (inclusive; ignored where ``has_answer`` is False).
        has_answer: ``[B]`` bool.
    """
    length = output.start.shape[1]
    floor = torch.finfo(output.start.dtype).min  # not -inf: an empty passage must not give NaN
    start = output.start.masked_fill(~mask, floor)  # [B, L]
    end = output.end.masked_fill(~mask, floor)  # [B, L]
    has_answer = has_answer.bool()
    starts = torch.where(has_answer, starts, torch.full_like(starts, length))  # [B]
    ends = torch.where(has_answer, ends, torch.full_like(ends, length))  # [B]
    if output.no_answer is not None:
        z = output.no_answer[:, None]  # [B, 1]
        start, end = torch.cat([start, z], 1), torch.cat([end, z], 1)  # [B, L + 1]
        weight = torch.ones_like(starts, dtype=start.dtype)  # [B]
    else:
        starts, ends = starts.clamp_max(length - 1), ends.clamp_max(length - 1)
        weight = has_answer.to(start.dtype)  # [B]
    nll = F.cross_entropy(start, starts, reduction="none") + F.cross_entropy(
        end, ends, reduction="none"
    )  # [B]
    nll = torch.where(weight > 0, nll, torch.zeros_like(nll))  # a skipped row's dummy target may be inf
    return (nll * weight).sum() / weight.sum().clamp_min(1.0)


class Reader(NeuralModel):
    """Base class of the extractive readers (see the module docstring).

    Attributes:
        Config: the model's config dataclass.
        uses_embeddings: build ``self.embedding`` (word ids -> vectors).
        reads_punctuation: the reader reads punctuation marks as tokens of their own (a pretrained
            transformer, which was pre-trained on text with them), so it trains and reads with
            :meth:`tokenizer_config`'s ``punctuation`` on; word-vector readers read words alone.
    """

    Config: ClassVar[type[ReaderConfig]] = ReaderConfig
    reads_punctuation: ClassVar[bool] = False

    @classmethod
    def tokenizer_config(cls) -> TokenizerConfig:
        """How this reader's training and reading split text: :data:`TOKENIZER`, with punctuation
        marks as tokens for readers that read them."""
        return replace(TOKENIZER, punctuation=cls.reads_punctuation)

    def _pad(self, rows: Sequence[Sequence[str]], cap: int) -> Tensor:
        return pad_ids([self.vocab.encode(r) for r in rows], padded_length(map(len, rows), cap))

    def featurize(
        self, questions: Sequence[Sequence[str]], passages: Sequence[Sequence[str]]
    ) -> dict[str, Tensor]:
        """Tensors for a batch of tokenized (question, passage) pairs: by default word ids
        ``question`` ``[B, Lq]`` and ``passage`` ``[B, Lp]``, padded to the batch's longest row
        (at least 1) and capped at the config's maxima (0 = padding); models with a character CNN
        (a ``char_cnn`` attribute that is not None) also get ``question_chars`` ``[B, Lq, W]`` and
        ``passage_chars`` ``[B, Lp, W]`` (:func:`~wenda.nn.charcnn.char_ids`, W <= ``max_word_len``)."""
        out = {
            "question": self._pad(questions, self.config.max_question_len),
            "passage": self._pad(passages, self.config.max_passage_len),
        }
        if getattr(self, "char_cnn", None) is not None:
            width = self.config.max_word_len
            out["question_chars"] = char_ids(questions, out["question"].shape[1], width)
            out["passage_chars"] = char_ids(passages, out["passage"].shape[1], width)
        return out

    def char_encoder(self, dropout: float) -> CharCNN | None:
        """The character CNN the config asks for (None when ``char_filters`` is 0); a reader
        assigns it to ``self.char_cnn``, which :meth:`featurize` and :meth:`embed` then use."""
        c = self.config
        return CharCNN(c.char_dim, c.char_filters, c.char_width, dropout) if c.char_filters else None

    def embed(self, ids: Tensor, chars: Tensor | None = None) -> Tensor:
        """Word vectors ``[B, L, E]`` of ids ``[B, L]``, followed by the character CNN's ``[B, L, F]``
        of ``chars`` ``[B, L, W]`` for models that have one (see :meth:`featurize`)."""
        x = self.embedding(ids)  # [B, L, E]
        if getattr(self, "char_cnn", None) is None:
            return x
        return torch.cat([x, self.char_cnn(chars)], -1)  # [B, L, E + F]

    @property
    def rank_objective(self) -> str | None:
        """How the ``rank`` output is trained, by name in ``wenda.train.grouped.OBJECTIVES``
        (readers with one train on groups of passages per question); None: no ranking output."""
        return None

    def forward(self, **features: Tensor) -> ReaderOutput:  # pragma: no cover - abstract
        """Start/end logits ``[B, Lp]`` (and no-answer ``[B]``) for the batch :meth:`featurize` made."""
        raise NotImplementedError

    def logits(
        self, questions: Sequence[Sequence[str]], passages: Sequence[Sequence[str]]
    ) -> tuple[ReaderOutput, Tensor]:
        """Featurize and run in one step, on the model's device: the output and the passage mask."""
        features = {k: v.to(self.device) for k, v in self.featurize(questions, passages).items()}
        return self(**features), features["passage"] != 0

    @torch.no_grad()
    def span_logits(
        self, question_tokens: Sequence[str], passages_tokens: Sequence[Sequence[str]]
    ) -> QuestionLogits:
        """What :meth:`read_tokens` decodes: start and end scores ``[P, L]``, the mask ``[P, L]`` and
        the scalar no-answer score (None without a no-answer logit), for one question over its
        ``P`` passages (at least one).

        The no-answer score is twice the *mean* of the passages' no-answer logits: twice because it
        competed with start and end separately (:func:`span_loss`), so ``2 z`` is on the scale of
        ``start[i] + end[j]``; the mean, not the max, because each passage was trained to abstain
        on its own, and an off-topic passage saying "not here" with confidence must not veto an
        answer another passage holds (with the max, retrieving more passages would only ever raise
        P(no answer)). Readers that rank passages score spans and "no answer" as log-probabilities
        weighted by each passage's rank probability instead (:func:`rank_weighted`).
        """
        return self.span_logits_many([question_tokens], [passages_tokens])[0]

    @torch.no_grad()
    def span_logits_many(
        self, questions: Sequence[Sequence[str]], groups: Sequence[Sequence[Sequence[str]]]
    ) -> list[QuestionLogits]:
        """:meth:`span_logits` of several questions, each over its own group of passages (at least
        one each), from one forward pass over all the (question, passage) rows: readers whose
        recurrences step through the passage cost about the same for 1 row as for 30, so this is
        what batched evaluation calls. Every reader masks its padding, so each question's result
        equals :meth:`span_logits` on it alone (the contract test checks this)."""
        rows = [list(q) for q, group in zip(questions, groups, strict=True) for _ in group]
        output, mask = self._logits_in_chunks(rows, [p for group in groups for p in group])
        results, begin = [], 0
        for group in groups:
            part = slice(begin, begin + len(group))
            begin += len(group)
            width = max(1, int(mask[part].sum(1).max()))  # the group's own longest passage
            results.append(self._question_scores(_rows(output, part, width), mask[part, :width]))
        return results

    def _logits_in_chunks(
        self, questions: list[list[str]], passages: Sequence[Sequence[str]], rows: int = 64
    ) -> tuple[ReaderOutput, Tensor]:
        """:meth:`logits` of at most ``rows`` rows at a time (a long document's windows, or many
        questions', must not build one huge batch), concatenated with the shorter chunks' positions
        padded (masked out). With several chunks the rows go by passage length, so each chunk is
        padded to little more than its own rows (rows are independent: the contract test)."""
        if len(passages) <= rows:
            return self.logits(questions, passages)
        chunks = by_length([len(p) for p in passages], rows)
        parts = [self.logits([questions[j] for j in c], [passages[j] for j in c]) for c in chunks]
        order = [j for c in chunks for j in c]
        width = max(m.shape[1] for _, m in parts)
        back = torch.argsort(torch.tensor(order, device=parts[0][1].device))  # sorted -> given order
        outs = [o for o, _ in parts]
        fields = (
            _cat([o.start for o in outs], width), _cat([o.end for o in outs], width),
            _cat([o.no_answer for o in outs]), _cat([o.rank for o in outs]),
        )  # fmt: skip
        output = ReaderOutput(*(None if x is None else x[back] for x in fields))
        return output, _cat([m for _, m in parts], width)[back]

    @staticmethod
    def _question_scores(output: ReaderOutput, mask: Tensor) -> QuestionLogits:
        """One question's (start, end, mask, no-answer score) from its rows' logits (see
        :meth:`span_logits`)."""
        if output.rank is not None:
            output, no_answer = rank_weighted(output, mask)
        else:
            no_answer = None if output.no_answer is None else 2 * output.no_answer.mean()
        return output.start, output.end, mask, no_answer

    @torch.no_grad()
    def read_tokens(
        self,
        question_tokens: Sequence[str],
        passages_tokens: Sequence[Sequence[str]],
        max_answer_len: int = 15,
        top_k: int = 1,
        temperature: float = 1.0,
    ) -> tuple[list[Span], float]:
        """The ``top_k`` best answer spans for one question over its passages, and P(no answer).

        All spans of all passages share one softmax (:func:`~wenda.read.decode.decode`) over the
        scores of :meth:`span_logits` divided by ``temperature`` (> 1 softens overconfident
        probabilities; see ``wenda.read.calibrate``). Token positions index the passage as
        truncated to ``max_passage_len``.
        """
        if not passages_tokens:
            return [], 0.0
        start, end, mask, no_answer = self.span_logits(question_tokens, passages_tokens)
        t = float(temperature)
        return decode(
            start / t, end / t, mask, max_answer_len, top_k, None if no_answer is None else no_answer / t
        )
