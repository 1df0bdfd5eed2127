"""S-Net's evidence extraction model (Tan, Wei, Yang, Du, Lv, Zhou; AAAI 2018, "S-Net: From Answer
Extraction to Answer Synthesis for Machine Reading Comprehension").

R-Net-style encoders and matching (reused from :mod:`wenda.read.rnet`): a BiGRU encodes the question
(``u^Q``) and, with its own weights, the passage (``u^P``); the gated attention-based recurrent
network matches them into the question-aware passage ``v^P``. There is no self-matching layer. The
question vector is ``r^Q = Σ_j softmax(v^T tanh(W^Q_u u^Q_j + W^Q_v V^Q_r))_j u^Q_j``, and a pointer
network on ``v^P`` started from ``r^Q`` gives the start and end logits (as in R-Net). *Passage
ranking* pools the passage with ``r^Q``, ``r^P = Σ_t softmax(v^T tanh(W^P_v v^P_t + W^Q_v r^Q))_t
v^P_t``, and scores relevance with an MLP, ``g = v_g^T tanh(W_g [r^Q; r^P])`` (a logit, ``[B]``).

Hyper-parameters (paper, MS-MARCO): hidden 150, dropout 0.1, 300d GloVe plus char embeddings,
AdaDelta, joint loss ``L_span + λ L_rank`` with ``λ = 0.8``. Defaults here are CPU-friendly: hidden
75 (R-Net's, not S-Net's 150), dropout 0.2, a 1-layer encoder, no characters, gated attention both
ways (the pointer reads ``v^P`` directly, so one-way matching would leave it left context only).

Departures: the paper points over the concatenation of all of a question's passages and ranks them
against each other; here (the reader contract) each passage is read alone, and with ``rank=True``
the relevance logit is ``ReaderOutput.rank``, trained on groups of passages per question with
``L_span`` on the passage holding the answer plus ``rank_weight`` (λ) times the cross-entropy of
that passage under the softmax of the group's logits (``wenda.train.grouped``, objective
``"supervised"``); at inference spans are weighted by that softmax
(:func:`~wenda.read.base.rank_weighted`). ``rank`` is off by default: a single-passage reader then.
Answer
synthesis (the paper's second stage, a seq2seq generator) is omitted. ``W^Q_v V^Q_r`` is learned as
one vector. The optional no-answer logit (not in the paper) is a linear head on ``[r^Q; max-pooled
v^P]``. Padding is trailing and masked everywhere: every softmax is masked, the backward recurrent
layers run on rows reversed within their lengths, and ``v^P`` is zero at padding.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from wenda.nn import masked_softmax
from wenda.read.base import ReaderOutput
from wenda.read.gated import GatedMatchConfig, GatedMatchReader, additive
from wenda.registry import register


@dataclass
class SNetConfig(GatedMatchConfig):
    """S-Net's settings (:class:`~wenda.read.gated.GatedMatchConfig`; the paper's: hidden 150,
    dropout 0.1; here 75, R-Net's), gated attention both ways by default, plus rank: build the
    passage-ranking branch; rank_weight: λ, the ranking loss's weight."""

    bidirectional_match: bool = True
    rank: bool = False
    rank_weight: float = 0.8


@register("read", "snet")
class SNet(GatedMatchReader):
    """S-Net's evidence extraction: matching, pointer network and passage ranking (see the module docstring)."""

    Config = SNetConfig

    def __init__(self, config: SNetConfig, vocab) -> None:
        super().__init__(config, vocab)
        h, m = config.hidden, self._build_core(config)
        self._build_output(m)
        if config.rank:
            self.rank_p, self.rank_q = nn.Linear(m, h, bias=False), nn.Linear(2 * h, h, bias=False)
            self.rank_v = nn.Linear(h, 1, bias=False)
            self.rank_mlp = nn.Sequential(nn.Linear(m + 2 * h, h), nn.Tanh(), nn.Linear(h, 1, bias=False))

    def rank_logits(self, vp: Tensor, p_mask: Tensor, rq: Tensor) -> tuple[Tensor, Tensor]:
        """``v^P`` ``[B, Lp, M]``, ``r^Q`` ``[B, 2H]`` -> relevance logits ``[B]`` and pooling weights
        ``[B, Lp]`` (zero at padding)."""
        scores = additive(self.rank_p(vp), self.rank_q(rq)[:, None, :], self.rank_v).squeeze(1)  # [B, Lp]
        weights = masked_softmax(scores, p_mask, -1)  # [B, Lp]
        rp = torch.bmm(weights[:, None, :], vp).squeeze(1)  # [B, M]
        return self.rank_mlp(torch.cat([rq, rp], -1)).squeeze(-1), weights  # [B], [B, Lp]

    @property
    def rank_objective(self) -> str | None:
        """With ``rank``: the joint loss, span plus λ times the ranking cross-entropy."""
        return "supervised" if self.config.rank else None

    def forward(
        self,
        question: Tensor,
        passage: Tensor,
        question_chars: Tensor | None = None,
        passage_chars: Tensor | None = None,
    ) -> ReaderOutput:
        p_mask, vp, rq = self._encode_and_match(question, passage, question_chars, passage_chars)
        output = self._output(vp, p_mask, rq)
        if self.config.rank:
            output.rank = self.rank_logits(vp, p_mask, rq)[0]  # [B]
        return output
