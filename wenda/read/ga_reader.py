"""The Gated-Attention Reader (Dhingra, Liu, Yang, Cohen, Salakhutdinov; ACL 2017, "Gated-Attention
Readers for Text Comprehension"), adapted from cloze answers to answer spans.

Word (and optionally character) embeddings ``X^(0)`` of the document and ``Y`` of the query feed
``K`` hops. Hop ``k`` runs its own BiGRU over the document, ``D^(k) = BiGRU_D^(k)(X^(k-1))``, and
its own BiGRU over the query *embeddings* (not the previous hop's), ``Q^(k) = BiGRU_Q^(k)(Y)``. For
``k < K`` the *gated-attention* module lets each document token ``d_i`` attend over the query
tokens and multiplies in what it found::

    α_i = softmax(Q^T d_i)     q̃_i = Q α_i     x_i = d_i ⊙ q̃_i     (X^(k) = [x_1 .. x_Ld])

so the query filters the document's features at every hop. The last hop's ``D^(K)`` is the output.

Hyper-parameters (paper): K = 3, hidden 128 or 256 per direction (by data set), dropout 0.1-0.4,
character embeddings concatenated to the word vectors, Adam. Defaults here: K = 3 and dropout 0.2
(the paper's); hidden 64, because six BiGRUs (three over 300 passage tokens) are the whole cost:
a training step on 32 x 300 tokens took ~0.85 s on one CPU thread at 64 against ~1.55 s at 128,
i.e. ~16 vs ~30 minutes per pass over ~37k examples, so 64 leaves room for several passes in a
90-minute budget on 2 cores. No characters by default (``char_filters=50`` turns them on).

Departures. *Span adaptation*: the paper scores each document token as the cloze answer by
``softmax(q_ℓ^T D^(K))``, ``q_ℓ`` the final query state at the placeholder, and sums the
probabilities over each candidate's occurrences (attention-sum). A question has no placeholder and
an answer is a span, so the query summary is ``q = [forward state at the last query word; backward
state at the first]`` of ``Q^(K)`` and start and end are *bilinear*, ``D^(K) W_s q`` and
``D^(K) W_e q``: the paper's dot-product score with one learned map per boundary. Bilinear, not two
linear heads on ``D^(K)``, keeps the query in the final scoring, as the paper's last hop does (two
linear heads would see the query only through the gates). The gate is a table entry (:data:`GATES`:
the paper's best, ``mul``, or its ``sum`` ablation). Characters are a max-pooled CNN
(:class:`~wenda.nn.charcnn.CharCNN`), not a BiGRU's final states; the paper's optional
token-in-query feature is left out. The optional no-answer logit (not in the paper) is a linear
head on ``[q; max-pooled D^(K)]``. Padding is trailing: BiGRUs zero it and read rows reversed within
their lengths (:class:`~wenda.nn.rnn.BiRNN`), the query softmax masks padded query words, and
padded document positions stay zero through every gate.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from wenda.nn import masked_max, masked_softmax
from wenda.nn.rnn import BiRNN
from wenda.read.base import Reader, ReaderConfig, ReaderOutput
from wenda.registry import register

GATES = {"mul": torch.mul, "sum": torch.add}  # the gated-attention combination, by config name


@dataclass
class GAReaderConfig(ReaderConfig):
    """Attributes: hops: K, document/query BiGRU pairs (paper: 3); hidden: units per direction of
    every GRU (paper: 128 or 256); dropout: on every GRU's input (paper: 0.1-0.4); gate: a key of
    :data:`GATES` (paper: "mul"). Characters are off by default (``char_filters``, see
    :class:`ReaderConfig`)."""

    hops: int = 3
    hidden: int = 64
    dropout: float = 0.2
    gate: str = "mul"


def gated_attention(d: Tensor, q: Tensor, q_mask: Tensor, gate=torch.mul) -> Tensor:
    """``x_i = gate(d_i, Q softmax(Q^T d_i))`` for documents ``[B, Ld, D]`` and queries ``[B, Lq, D]``
    with ``q_mask`` ``[B, Lq]`` -> ``[B, Ld, D]`` (padded query words get no attention)."""
    alpha = masked_softmax(torch.bmm(d, q.transpose(1, 2)), q_mask[:, None, :], -1)  # [B, Ld, Lq]
    return gate(d, torch.bmm(alpha, q))  # [B, Ld, D]


def query_summary(q: Tensor, q_mask: Tensor) -> Tensor:
    """``[forward state at the last real word; backward state at the first]`` of ``[B, Lq, 2H]`` ->
    ``[B, 2H]`` (zero for an empty query, whose states are all zero)."""
    h = q.shape[-1] // 2
    last = (q_mask.sum(1) - 1).clamp_min(0)  # [B]
    forward = q[torch.arange(q.shape[0], device=q.device), last, :h]  # [B, H]
    return torch.cat([forward, q[:, 0, h:]], -1)  # [B, 2H]


@register("read", "ga_reader")
class GAReader(Reader):
    """The Gated-Attention Reader with bilinear span heads (see the module docstring)."""

    Config = GAReaderConfig

    def __init__(self, config: GAReaderConfig, vocab) -> None:
        super().__init__(config, vocab)
        c, h = config, config.hidden
        if c.hops < 1 or c.gate not in GATES:
            raise ValueError(f"need hops >= 1 and gate in {sorted(GATES)}, got {c.hops}, {c.gate!r}")
        e = c.embed_dim + c.char_filters
        self.char_cnn = self.char_encoder(c.dropout)
        self.doc_rnns = nn.ModuleList(
            BiRNN(e if k == 0 else 2 * h, h, 1, c.dropout, "gru") for k in range(c.hops)
        )
        self.query_rnns = nn.ModuleList(BiRNN(e, h, 1, c.dropout, "gru") for _ in range(c.hops))
        self.gate = GATES[c.gate]
        self.start_bilinear = nn.Linear(2 * h, 2 * h)
        self.end_bilinear = nn.Linear(2 * h, 2 * h)
        self.no_answer_head = nn.Linear(4 * h, 1) if c.no_answer else None

    def forward(
        self,
        question: Tensor,
        passage: Tensor,
        question_chars: Tensor | None = None,
        passage_chars: Tensor | None = None,
    ) -> ReaderOutput:
        q_mask, p_mask = question != 0, passage != 0  # [B, Lq], [B, Lp]
        y = self.embed(question, question_chars)  # [B, Lq, E]
        x = self.embed(passage, passage_chars)  # [B, Lp, E]
        for k, (doc_rnn, query_rnn) in enumerate(zip(self.doc_rnns, self.query_rnns, strict=True)):
            d, q = doc_rnn(x, p_mask), query_rnn(y, q_mask)  # [B, Lp, 2H], [B, Lq, 2H]
            if k < len(self.doc_rnns) - 1:
                x = gated_attention(d, q, q_mask, self.gate) * p_mask[:, :, None]  # [B, Lp, 2H]
        summary = query_summary(q, q_mask)  # [B, 2H]
        start = torch.bmm(d, self.start_bilinear(summary)[:, :, None]).squeeze(-1)  # [B, Lp]
        end = torch.bmm(d, self.end_bilinear(summary)[:, :, None]).squeeze(-1)  # [B, Lp]
        no_answer = None
        if self.no_answer_head is not None:
            pooled = masked_max(d, p_mask[:, :, None], 1)  # [B, 2H]
            no_answer = self.no_answer_head(torch.cat([summary, pooled], -1)).squeeze(-1)  # [B]
        return ReaderOutput(start, end, no_answer)
