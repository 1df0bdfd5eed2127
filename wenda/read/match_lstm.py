"""Match-LSTM with Answer Pointer, boundary model (Wang & Jiang; ICLR 2017, "Machine Comprehension
Using Match-LSTM and Answer Pointer").

A one-directional LSTM preprocesses the question (``H^q``) and the passage (``H^p``). The
*match-LSTM* then reads the passage word by word; at position ``i`` it attends over the question
words with its previous state ``h^r_{i-1}``::

    G_i = tanh(W^q H^q + (W^p h^p_i + W^r h^r_{i-1} + b^p) ⊗ e_Q)     α_i = softmax(w^T G_i)
    h^r_i = LSTM([h^p_i; H^q α_i^T], h^r_{i-1})

once left to right and once right to left (own parameters), giving ``H^r = [H^r→; H^r←]``. The
*boundary answer pointer* is an LSTM run for two steps over ``H^r``: step ``k`` scores every
position with ``v^T tanh(V H^r + (W^a h^a_{k-1} + b^a) ⊗ e_P)`` (step 1: start, step 2: end), and
feeds the attended summary ``H^r β_k^T`` to the LSTM between the steps (``h^a_0 = 0``).

Hyper-parameters (paper, SQuAD): hidden 150 (or 300), fixed 300d GloVe, Adamax, batch 30, no
reported dropout. Default here: hidden 75, half the paper's, because the match-LSTM is a Python loop
of ~15 small ops per passage position and direction: a training step on 32 x 300 tokens took ~1.2 s
on one CPU thread at 75 against ~2.2 s at 150 (a loaded machine), i.e. ~23 vs ~43 minutes per pass
over ~37k examples, so 75 leaves room for several passes within a 90-minute budget.

Departures: the biases added *after* the score products (``b ⊗ e_Q`` in ``α``, ``c ⊗ e_P`` in the
pointer) are dropped: a constant added to every position leaves a softmax unchanged and would get
no gradient (the no-answer head has its own bias). The question and passage share one preprocessing
LSTM (the paper writes both as ``LSTM(·)``). The pointer's single LSTM update starts from zeros, so
it is written out without the recurrent weights and forget gate that would multiply them (they would
get no gradient). Dropout on the embeddings is ours (they are trainable here by default). The
optional no-answer logit (not in the paper) is a linear head over the max-pooled ``H^r`` and the
start pointer's summary ``H^r β_1^T``. Padding is trailing in both directions (the backward pass
runs on each row reversed within its length), so it never reaches a real position's state and no
per-step state freezing is needed; outputs at padding are zeroed. The span-length limit of the
paper's search is :func:`~wenda.read.decode.decode`'s ``max_answer_len``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from wenda.nn import masked_max, masked_softmax
from wenda.nn.rnn import reverse_within
from wenda.read.base import Reader, ReaderConfig, ReaderOutput
from wenda.registry import register


@dataclass
class MatchLSTMConfig(ReaderConfig):
    """Attributes: hidden: units of every LSTM (paper: 150); dropout: on the word embeddings."""

    hidden: int = 75
    dropout: float = 0.2


class MatchLSTM(nn.Module):
    """One direction of the match-LSTM layer over trailing-padded sequences."""

    def __init__(self, hidden: int, input_size: int | None = None) -> None:
        super().__init__()
        d = input_size or hidden  # the width of H^p and H^q
        self.w_q = nn.Linear(d, hidden, bias=False)
        self.w_p = nn.Linear(d, hidden)  # its bias is b^p
        self.w_r = nn.Linear(hidden, hidden, bias=False)
        self.w = nn.Linear(hidden, 1, bias=False)
        self.cell = nn.LSTMCell(2 * d, hidden)

    def attend(self, wq: Tensor, wp_i: Tensor, h: Tensor, q_mask: Tensor) -> Tensor:
        """``α_i`` ``[B, Lq]`` (0 at padded question words) from ``W^q H^q`` ``[B, Lq, H]``,
        ``W^p h^p_i + b^p`` ``[B, H]`` and the previous state ``h^r_{i-1}`` ``[B, H]``."""
        g = torch.tanh(wq + (wp_i + self.w_r(h))[:, None, :])  # [B, Lq, H]
        return masked_softmax(self.w(g).squeeze(-1), q_mask, -1)  # [B, Lq]

    def forward(self, hp: Tensor, hq: Tensor, q_mask: Tensor) -> Tensor:
        """``H^p`` ``[B, Lp, D]``, ``H^q`` ``[B, Lq, D]`` -> ``H^r`` ``[B, Lp, H]`` (one direction)."""
        wq = self.w_q(hq)  # [B, Lq, H]: computed once, not per step
        h = c = hp.new_zeros(hp.shape[0], self.w_r.in_features)  # [B, H]
        states = []
        # unbind, not hp[:, i]: each indexing's backward would fill a whole [B, Lp, H] of zeros
        for hp_i, wp_i in zip(hp.unbind(1), self.w_p(hp).unbind(1), strict=True):  # [B, D], [B, H]
            alpha = self.attend(wq, wp_i, h, q_mask)  # [B, Lq]
            context = torch.bmm(alpha[:, None, :], hq).squeeze(1)  # [B, D]
            h, c = self.cell(torch.cat([hp_i, context], -1), (h, c))  # [B, H] each
            states.append(h)
        return torch.stack(states, 1)  # [B, Lp, H]


class BoundaryPointer(nn.Module):
    """The two-step answer pointer: start and end logits over ``H^r``."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.v_proj = nn.Linear(2 * hidden, hidden, bias=False)  # V
        self.w_a = nn.Linear(hidden, hidden)  # its bias is b^a
        self.v = nn.Linear(hidden, 1, bias=False)
        # One LSTM step from h^a_0 = c^a_0 = 0: the recurrent weights and the forget gate multiply
        # zeros, so only the input, candidate and output gates of the input are left.
        self.gates = nn.Linear(2 * hidden, 3 * hidden)

    def forward(self, hr: Tensor, p_mask: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``H^r`` ``[B, Lp, 2H]`` -> start and end logits ``[B, Lp]`` and ``H^r β_1^T`` ``[B, 2H]``."""
        vh = self.v_proj(hr)  # [B, Lp, H]
        start = self.v(torch.tanh(vh + self.w_a.bias)).squeeze(-1)  # [B, Lp]: W^a h^a_0 = 0
        summary = torch.bmm(masked_softmax(start, p_mask, -1)[:, None, :], hr).squeeze(1)  # [B, 2H]
        i, g, o = self.gates(summary).chunk(3, -1)  # [B, H] each
        h = torch.sigmoid(o) * torch.tanh(torch.sigmoid(i) * torch.tanh(g))  # [B, H]: h^a_1
        end = self.v(torch.tanh(vh + self.w_a(h)[:, None, :])).squeeze(-1)  # [B, Lp]
        return start, end, summary


class MatchPointer(nn.Module):
    """The match-LSTM in both directions, the boundary pointer and the optional no-answer head:
    from encoded passage and question to a :class:`~wenda.read.base.ReaderOutput` (shared with R^3's
    reader, :mod:`wenda.read.r3`)."""

    def __init__(self, hidden: int, input_size: int | None = None, no_answer: bool = False) -> None:
        super().__init__()
        self.match_forward = MatchLSTM(hidden, input_size)
        self.match_backward = MatchLSTM(hidden, input_size)
        self.pointer = BoundaryPointer(hidden)
        self.no_answer_head = nn.Linear(4 * hidden, 1) if no_answer else None

    def forward(self, hp: Tensor, hq: Tensor, q_mask: Tensor, p_mask: Tensor) -> ReaderOutput:
        """``H^p`` ``[B, Lp, D]``, ``H^q`` ``[B, Lq, D]`` -> start/end ``[B, Lp]`` (no-answer ``[B]``)."""
        lengths = p_mask.sum(1)  # [B]
        right = self.match_forward(hp, hq, q_mask)  # [B, Lp, H]
        left = reverse_within(
            self.match_backward(reverse_within(hp, lengths), hq, q_mask), lengths
        )  # [B, Lp, H]
        hr = torch.cat([right, left], -1) * p_mask[:, :, None]  # [B, Lp, 2H]
        start, end, summary = self.pointer(hr, p_mask)  # [B, Lp], [B, Lp], [B, 2H]
        no_answer = None
        if self.no_answer_head is not None:
            pooled = masked_max(hr, p_mask[:, :, None], 1)  # [B, 2H]
            no_answer = self.no_answer_head(torch.cat([pooled, summary], -1)).squeeze(-1)  # [B]
        return ReaderOutput(start, end, no_answer)


@register("read", "match_lstm")
class MatchLSTMReader(Reader):
    """Match-LSTM with the boundary Answer Pointer (see the module docstring)."""

    Config = MatchLSTMConfig

    def __init__(self, config: MatchLSTMConfig, vocab) -> None:
        super().__init__(config, vocab)
        h = config.hidden
        self.embed_dropout = nn.Dropout(config.dropout)
        self.encoder = nn.LSTM(config.embed_dim, h, batch_first=True)
        self.answer = MatchPointer(h, no_answer=config.no_answer)

    def _encode(self, ids: Tensor, mask: Tensor) -> Tensor:
        """Word ids ``[B, L]`` -> preprocessing-LSTM states ``[B, L, H]``, zero at padding. No
        packing: padding is trailing, so a forward LSTM's real positions never see it."""
        return self.encoder(self.embed_dropout(self.embedding(ids)))[0] * mask[:, :, None]  # [B, L, H]

    def forward(self, question: Tensor, passage: Tensor) -> ReaderOutput:
        q_mask, p_mask = question != 0, passage != 0  # [B, Lq], [B, Lp]
        hq, hp = self._encode(question, q_mask), self._encode(passage, p_mask)  # [B, Lq, H], [B, Lp, H]
        return self.answer(hp, hq, q_mask, p_mask)
