"""The gated attention-based recurrent matching that R-Net and S-Net share (Wang et al. 2017, §3.2;
Tan et al. 2018 reuse it): question and passage encoders, the gated attention GRU, question pooling
``r^Q``, the pointer network and the no-answer head, in :class:`GatedMatchReader`. The models are
:mod:`wenda.read.rnet` and :mod:`wenda.read.snet`; their docstrings give the equations.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from wenda.nn import masked_max, masked_softmax
from wenda.nn.rnn import BiRNN, reverse_within
from wenda.read.base import Reader, ReaderConfig, ReaderOutput


@dataclass
class GatedMatchConfig(ReaderConfig):
    """Settings R-Net and S-Net share. Attributes: hidden: units of every GRU; encoder_layers: depth
    of the encoders; bidirectional_match: run the gated attention both ways; dropout: between
    layers. Characters are off by default (``char_filters``, see :class:`ReaderConfig`)."""

    hidden: int = 75
    encoder_layers: int = 1
    bidirectional_match: bool = False
    dropout: float = 0.2


def additive(keys: Tensor, queries: Tensor, v: nn.Linear) -> Tensor:
    """``v^T tanh(k_j + q_t)`` for projected keys ``[B, Lk, H]`` and queries ``[B, Lq, H]`` -> ``[B, Lq, Lk]``."""
    return v(torch.tanh(keys[:, None, :, :] + queries[:, :, None, :])).squeeze(-1)  # [B, Lq, Lk]


def dot(keys: Tensor, queries: Tensor, v: None = None) -> Tensor:
    """``relu(k_j) · relu(q_t) / sqrt(H)``, same shapes as :func:`additive` (``v`` unused)."""
    return (
        torch.bmm(torch.relu(queries), torch.relu(keys).transpose(1, 2)) / keys.shape[-1] ** 0.5
    )  # [B, Lq, Lk]


SELF_SCORES = {"additive": additive, "dot": dot}  # the self-matching score, by config name


class GatedAttentionGRU(nn.Module):
    """The gated attention-based recurrent network: ``u^P`` ``[B, Lp, 2H]`` over ``u^Q`` -> ``v^P`` ``[B, Lp, H]``."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.w_uq = nn.Linear(2 * hidden, hidden, bias=False)
        self.w_up = nn.Linear(2 * hidden, hidden, bias=False)
        self.w_vp = nn.Linear(hidden, hidden, bias=False)
        self.v = nn.Linear(hidden, 1, bias=False)
        self.gate = nn.Linear(4 * hidden, 4 * hidden, bias=False)
        self.cell = nn.GRUCell(4 * hidden, hidden)

    def step(
        self, wq: Tensor, uq: Tensor, q_mask: Tensor, up_t: Tensor, wp_t: Tensor, v_prev: Tensor
    ) -> Tensor:
        """One position: ``W^Q_u u^Q`` ``[B, Lq, H]``, ``u^Q`` ``[B, Lq, 2H]``, ``u^P_t`` ``[B, 2H]``,
        ``W^P_u u^P_t`` ``[B, H]``, ``v^P_{t-1}`` ``[B, H]`` -> the gated input ``[B, 4H]``."""
        scores = additive(wq, (wp_t + self.w_vp(v_prev))[:, None, :], self.v)  # [B, 1, Lq]
        c = torch.bmm(masked_softmax(scores, q_mask[:, None, :], -1), uq).squeeze(1)  # [B, 2H]
        x = torch.cat([up_t, c], -1)  # [B, 4H]
        return torch.sigmoid(self.gate(x)) * x  # [B, 4H]

    def forward(self, up: Tensor, uq: Tensor, q_mask: Tensor) -> Tensor:
        wq = self.w_uq(uq)  # [B, Lq, H]: position-independent, computed once
        v = up.new_zeros(up.shape[0], self.cell.hidden_size)  # [B, H]
        states = []
        # unbind, not up[:, t]: each indexing's backward would fill a whole [B, Lp, ·] of zeros
        for up_t, wp_t in zip(up.unbind(1), self.w_up(up).unbind(1), strict=True):  # [B, 2H], [B, H]
            v = self.cell(self.step(wq, uq, q_mask, up_t, wp_t, v), v)  # [B, H]
            states.append(v)
        return torch.stack(states, 1)  # [B, Lp, H]


class GatedMatchReader(Reader):
    """What R-Net and S-Net share: char/word encoders, the gated attention matching ``v^P``, the
    attention-pooled question vector ``r^Q``, the pointer network and the no-answer head. Subclasses
    call :meth:`_build_core` and :meth:`_build_output` with the width of the states the pointer reads."""

    def _build_core(self, c) -> int:
        """The encoders, the matching and the question pooling; returns the width M of ``v^P``."""
        h = c.hidden
        self.char_cnn = self.char_encoder(c.dropout)
        self.q_encoder = BiRNN(c.embed_dim + c.char_filters, h, c.encoder_layers, c.dropout, "gru")
        self.p_encoder = BiRNN(c.embed_dim + c.char_filters, h, c.encoder_layers, c.dropout, "gru")
        self.dropout = nn.Dropout(c.dropout)
        self.gated = GatedAttentionGRU(h)
        self.gated_back = GatedAttentionGRU(h) if c.bidirectional_match else None
        self.pool_q, self.pool_v = nn.Linear(2 * h, h, bias=False), nn.Linear(h, 1, bias=False)
        self.pool_r = nn.Parameter(torch.randn(h) / h**0.5)  # W^Q_v V^Q_r as one vector
        return 2 * h if c.bidirectional_match else h

    def _build_output(self, width: int) -> None:
        """The pointer network and the optional no-answer head over states of ``width``."""
        h = self.config.hidden
        self.ptr_p, self.ptr_a = nn.Linear(width, h, bias=False), nn.Linear(2 * h, h, bias=False)
        self.ptr_v = nn.Linear(h, 1, bias=False)
        self.ptr_cell = nn.GRUCell(width, 2 * h)
        self.no_answer_head = nn.Linear(width + 2 * h, 1) if self.config.no_answer else None

    def _encode(self, ids: Tensor, chars: Tensor | None, mask: Tensor, rnn: BiRNN) -> Tensor:
        """Word ids ``[B, L]`` (and chars ``[B, L, W]``) -> ``[B, L, 2H]``, zero at padding."""
        return rnn(self.embed(ids, chars), mask)  # [B, L, 2H]

    def _match(self, up: Tensor, uq: Tensor, q_mask: Tensor, p_mask: Tensor) -> Tensor:
        """``u^P`` ``[B, Lp, 2H]``, ``u^Q`` ``[B, Lq, 2H]`` -> ``v^P`` ``[B, Lp, M]`` (M = H, or 2H both ways)."""
        up, uq = self.dropout(up), self.dropout(uq)
        vp = self.gated(up, uq, q_mask)  # [B, Lp, H]
        if self.gated_back is not None:
            lengths = p_mask.sum(1)  # [B]
            back = reverse_within(
                self.gated_back(reverse_within(up, lengths), uq, q_mask), lengths
            )  # [B, Lp, H]
            vp = torch.cat([vp, back], -1)  # [B, Lp, 2H]
        return vp * p_mask[:, :, None]  # [B, Lp, M]

    def _encode_and_match(self, question, passage, question_chars, passage_chars):
        """The passage mask ``[B, Lp]``, ``v^P`` ``[B, Lp, M]`` and ``r^Q`` ``[B, 2H]``."""
        q_mask, p_mask = question != 0, passage != 0  # [B, Lq], [B, Lp]
        uq = self._encode(question, question_chars, q_mask, self.q_encoder)  # [B, Lq, 2H]
        up = self._encode(passage, passage_chars, p_mask, self.p_encoder)  # [B, Lp, 2H]
        vp = self._match(up, uq, q_mask, p_mask)  # [B, Lp, M]
        pool = self.pool_v(torch.tanh(self.pool_q(uq) + self.pool_r)).squeeze(-1)  # [B, Lq]
        rq = torch.bmm(masked_softmax(pool, q_mask, -1)[:, None, :], uq).squeeze(1)  # [B, 2H]
        return p_mask, vp, rq

    def _output(self, states: Tensor, p_mask: Tensor, rq: Tensor) -> ReaderOutput:
        """Pointer over ``states`` ``[B, Lp, W]`` started from ``r^Q`` ``[B, 2H]``, and the no-answer logit."""
        wp = self.ptr_p(self.dropout(states))  # [B, Lp, H]
        start = additive(wp, self.ptr_a(rq)[:, None, :], self.ptr_v).squeeze(1)  # [B, Lp]
        c = torch.bmm(masked_softmax(start, p_mask, -1)[:, None, :], states).squeeze(1)  # [B, W]
        ha = self.ptr_cell(self.dropout(c), rq)  # [B, 2H]
        end = additive(wp, self.ptr_a(ha)[:, None, :], self.ptr_v).squeeze(1)  # [B, Lp]
        no_answer = None
        if self.no_answer_head is not None:
            pooled = masked_max(states, p_mask[:, :, None], 1)  # [B, W]
            no_answer = self.no_answer_head(torch.cat([rq, pooled], -1)).squeeze(-1)  # [B]
        return ReaderOutput(start, end, no_answer)
