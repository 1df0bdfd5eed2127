"""R-Net (Wang, Yang, Wei, Chang, Zhou; ACL 2017, "Gated Self-Matching Networks for Reading
Comprehension").

A BiGRU encodes the question (``u^Q``) and, with its own weights, the passage (``u^P``) from word
(and optionally character) embeddings. The *gated attention-based recurrent network* reads the
passage left to right (the paper's experiments also right to left), attending over the question
with its previous state ``v^P_{t-1}``::

    s^t_j = v^T tanh(W^Q_u u^Q_j + W^P_u u^P_t + W^P_v v^P_{t-1})   c_t = Σ_j softmax(s^t)_j u^Q_j
    v^P_t = GRU(v^P_{t-1}, g_t ⊙ [u^P_t; c_t])   with the gate   g_t = sigmoid(W_g [u^P_t; c_t])

*Self-matching attention* lets each position attend over the whole question-aware passage,
``s^t_j = v^T tanh(W^P_v v^P_j + W^~P_v v^P_t)``, gates ``[v^P_t; c_t]`` the same way and runs a
BiGRU, giving ``h^P``. The *pointer network* starts from ``r^Q = Σ_j softmax(v^T tanh(W^Q_u u^Q_j
+ W^Q_v V^Q_r))_j u^Q_j``: step 1 scores ``v^T tanh(W^P_h h^P_j + W^a_h r^Q)`` (start logits),
one GRU step on the attended ``c_1 = Σ_j a_j h^P_j`` gives ``h^a_1``, and step 2 scores the ends.

Hyper-parameters (paper, SQuAD): hidden 75 in every layer, 3-layer encoders, dropout 0.2 between
layers, fixed 300d GloVe, char embeddings from a BiGRU, AdaDelta. Defaults here: hidden 75 and
dropout 0.2 (the paper's); a 1-layer encoder, no characters, a one-way gated attention and
dot-product self-matching, which made a training step on 32 x 300 tokens about 2-5x cheaper than
the paper's configuration on one CPU thread (so several passes over ~37k examples fit a 90-minute
budget). ``encoder_layers=3, char_filters=50, bidirectional_match=True, self_scores="additive"`` is
the paper's model (its ``[B, Lp, Lp, H]`` additive self-matching tensor alone is ~0.9 GB).

Departures: the default self-matching score is ``relu(W v^P_j) · relu(W~ v^P_t) / sqrt(H)`` (as in
the widely used HKUST R-Net code), not the paper's additive one; the gated attention runs one way
by default. It keeps the paper's ``v^P_{t-1}`` in its score, hence the loop (dropping it would vectorize
the layer but saved little when measured). Characters are a
max-pooled CNN (:class:`~wenda.nn.charcnn.CharCNN`), not a BiGRU's final states. ``W^Q_v V^Q_r``
(two parameters multiplied) is learned as one vector; biases a softmax cannot see are dropped (as
in match_lstm.py). Dropout is on the input of every recurrent layer and of the pointer. The
optional no-answer logit (not in the paper) is a linear head on ``[r^Q; max-pooled h^P]``. Padding
is trailing: the loop and the forward GRUs never carry it into a real position, the backward ones
run on rows reversed within their lengths (unpacked: see :class:`~wenda.nn.rnn.BiRNN`), every softmax is masked,
and outputs at padding are zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from wenda.nn import masked_softmax
from wenda.nn.rnn import BiRNN
from wenda.read.base import ReaderOutput
from wenda.read.gated import SELF_SCORES, GatedMatchConfig, GatedMatchReader
from wenda.registry import register


@dataclass
class RNetConfig(GatedMatchConfig):
    """R-Net's settings (:class:`~wenda.read.gated.GatedMatchConfig`; the paper's: hidden 75,
    3-layer encoders, gated attention both ways, dropout 0.2, char embeddings) plus self_scores: the
    self-matching score, a key of :data:`~wenda.read.gated.SELF_SCORES` (paper: "additive")."""

    self_scores: str = "dot"


@register("read", "rnet")
class RNet(GatedMatchReader):
    """R-Net: gated attention, self-matching and a pointer network (see the module docstring)."""

    Config = RNetConfig

    def __init__(self, config: RNetConfig, vocab) -> None:
        super().__init__(config, vocab)
        h, m = config.hidden, self._build_core(config)
        self.self_keys, self.self_queries = nn.Linear(m, h, bias=False), nn.Linear(m, h, bias=False)
        self.self_scores = SELF_SCORES[config.self_scores]
        self.self_v = nn.Linear(h, 1, bias=False) if config.self_scores == "additive" else None
        self.self_gate = nn.Linear(2 * m, 2 * m, bias=False)
        self.self_rnn = BiRNN(2 * m, h, 1, config.dropout, "gru")
        self._build_output(2 * h)

    def _self_match(self, vp: Tensor, p_mask: Tensor) -> Tensor:
        """``v^P`` ``[B, Lp, M]`` -> ``h^P`` ``[B, Lp, 2H]``."""
        scores = self.self_scores(self.self_keys(vp), self.self_queries(vp), self.self_v)  # [B, Lp, Lp]
        c = torch.bmm(masked_softmax(scores, p_mask[:, None, :], -1), vp)  # [B, Lp, M]
        x = torch.cat([vp, c], -1)  # [B, Lp, 2M]
        return self.self_rnn(torch.sigmoid(self.self_gate(x)) * x, p_mask)  # [B, Lp, 2H]

    def forward(
        self,
        question: Tensor,
        passage: Tensor,
        question_chars: Tensor | None = None,
        passage_chars: Tensor | None = None,
    ) -> ReaderOutput:
        p_mask, vp, rq = self._encode_and_match(question, passage, question_chars, passage_chars)
        return self._output(self._self_match(vp, p_mask), p_mask, rq)
