"""BiDAF, Bidirectional Attention Flow (Seo, Kembhavi, Farhadi, Hajishirzi; ICLR 2017,
"Bidirectional Attention Flow for Machine Comprehension").

Each word is its word embedding concatenated with a character CNN's max-pooled filters
(:mod:`wenda.nn.charcnn`), passed through a 2-layer highway network; one BiLSTM, shared by both
sides, gives contextual states ``h`` (passage, ``[T, 2H]``) and ``u`` (question, ``[J, 2H]``). The
attention flow layer scores every pair, ``S_tj = w · [h_t; u_j; h_t ∘ u_j]``, and attends both ways:
context-to-query ``ũ_t = sum_j softmax_j(S_t)_j u_j``; query-to-context ``h̃ = sum_t b_t h_t`` with
``b = softmax_t(max_j S_tj)``, tiled over ``t``. ``G = [h; ũ; h ∘ ũ; h ∘ h̃]`` (``8H``) feeds a
2-layer BiLSTM modeling layer ``M``; start logits are ``w1 · [G; M]``, end logits ``w2 · [G; M2]``
with ``M2`` a further BiLSTM over ``M``.

Hyper-parameters. Paper: d = 100 LSTM units per direction, 100 char filters of width 5 over 8-d
character embeddings, 100-d GloVe words kept fixed, dropout 0.2 (CNN, every LSTM, the output
layers), words cut at 16 characters (its code). Defaults here: ``hidden = 64``, since a training
step on 32 passages of 300 tokens took 2.1 s against 5.4 s at d = 100 (one CPU thread; the modeling
layer's 8H-wide input dominates), so ~37k examples make an epoch of ~40 minutes instead of ~105 and
a 90-minute budget holds about two; the character settings, highway depth and dropout are the
paper's; ``embed_dim`` is the base's 50 (GloVe 6B) and the word vectors are tuned unless
``freeze_embeddings`` (the paper's choice) is set, since out-of-GloVe and hashed words start random.

Departures: masking is exact (:class:`~wenda.nn.rnn.BiRNN`; masked softmaxes; the query-to-context max over real
question words only; the char CNN maxes over windows starting at real characters, where the
paper's code pools over padding too), so padding never changes a pair's logits. The similarity has
no bias (every softmax it feeds cancels one) and neither do the two output projections, for the
same reason. Characters are ids by a fixed scheme, not a vocabulary (:func:`~wenda.nn.charcnn.char_id`).
The no-answer logit (``no_answer``, not in the paper) reads the max over the passage of ``[M; M2]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from wenda.nn import masked_max, masked_softmax
from wenda.nn.charcnn import Highway
from wenda.nn.rnn import BiRNN
from wenda.read.base import Reader, ReaderConfig, ReaderOutput
from wenda.registry import register


@dataclass
class BiDAFConfig(ReaderConfig):
    """Attributes: hidden: LSTM units per direction (the paper's d); dropout: on the character
    embeddings, every LSTM's input and the output layers; char_filters: the paper's 100 (the other
    character settings are :class:`ReaderConfig`'s); highway_layers: depth of the highway."""

    hidden: int = 64
    dropout: float = 0.2
    char_filters: int = 100
    highway_layers: int = 2


def similarity(h: Tensor, u: Tensor, w: Tensor) -> Tensor:
    """``S_tj = w · [h_t; u_j; h_t ∘ u_j]`` for ``[B, T, D]``, ``[B, J, D]`` and ``w`` ``[3D]`` ->
    ``[B, T, J]``, computed as three products so the ``[B, T, J, 3D]`` tensor is never built."""
    w_h, w_u, w_hu = w.view(3, -1)  # [D] each
    s = torch.bmm(h * w_hu, u.transpose(1, 2))  # [B, T, J]
    return s + (h @ w_h)[:, :, None] + (u @ w_u)[:, None, :]  # [B, T, J]


def attention_flow(
    h: Tensor, u: Tensor, s: Tensor, p_mask: Tensor, q_mask: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """``G = [h; ũ; h ∘ ũ; h ∘ h̃]`` ``[B, T, 4D]``, the context-to-query weights ``a`` ``[B, T, J]``
    and the query-to-context weights ``b`` ``[B, T]``; both are 0 at padding (all 0 for an empty side)."""
    a = masked_softmax(s, q_mask[:, None, :], -1)  # [B, T, J]
    u_tilde = torch.bmm(a, u)  # [B, T, D]
    b = masked_softmax(masked_max(s, q_mask[:, None, :], -1), p_mask, -1)  # [B, T]
    h_tilde = torch.bmm(b[:, None, :], h)  # [B, 1, D], broadcast over T below
    return torch.cat([h, u_tilde, h * u_tilde, h * h_tilde], -1), a, b  # [B, T, 4D]


@register("read", "bidaf")
class BiDAF(Reader):
    """BiDAF (see the module docstring)."""

    Config = BiDAFConfig

    def __init__(self, config: BiDAFConfig, vocab) -> None:
        super().__init__(config, vocab)
        c, h2 = config, 2 * config.hidden
        self.dropout = nn.Dropout(c.dropout)
        self.char_cnn = self.char_encoder(c.dropout)
        self.highway = Highway(c.embed_dim + c.char_filters, c.highway_layers)
        # Single-layer LSTMs get their input dropout from self.dropout (nn.LSTM's own is between layers).
        self.context_rnn = BiRNN(c.embed_dim + c.char_filters, c.hidden, 1, 0.0)
        self.similarity = nn.Parameter(torch.empty(3 * h2).uniform_(-(h2**-0.5), h2**-0.5))
        self.modeling_rnn = BiRNN(4 * h2, c.hidden, 2, c.dropout)
        self.end_rnn = BiRNN(h2, c.hidden, 1, 0.0)
        self.start_head = nn.Linear(5 * h2, 1, bias=False)
        self.end_head = nn.Linear(5 * h2, 1, bias=False)
        self.no_answer_head = nn.Linear(2 * h2, 1) if c.no_answer else None

    def _embed(self, words: Tensor, chars: Tensor) -> Tensor:
        """``[B, L]``, ``[B, L, W]`` -> highway(word ⊕ char) ``[B, L, E + F]``."""
        return self.highway(self.embed(words, chars))

    def forward(
        self, question: Tensor, passage: Tensor, question_chars: Tensor, passage_chars: Tensor
    ) -> ReaderOutput:
        q_mask, p_mask = question != 0, passage != 0  # [B, J], [B, T]
        u = self.context_rnn(self.dropout(self._embed(question, question_chars)), q_mask)  # [B, J, 2H]
        h = self.context_rnn(self.dropout(self._embed(passage, passage_chars)), p_mask)  # [B, T, 2H]
        s = similarity(h, u, self.similarity)  # [B, T, J]
        g, _, _ = attention_flow(h, u, s, p_mask, q_mask)  # [B, T, 8H]
        m = self.modeling_rnn(g, p_mask)  # [B, T, 2H]
        m2 = self.end_rnn(self.dropout(m), p_mask)  # [B, T, 2H]
        start = self.start_head(self.dropout(torch.cat([g, m], -1))).squeeze(-1)  # [B, T]
        end = self.end_head(self.dropout(torch.cat([g, m2], -1))).squeeze(-1)  # [B, T]
        no_answer = None
        if self.no_answer_head is not None:
            pooled = masked_max(torch.cat([m, m2], -1), p_mask[:, :, None], 1)  # [B, 4H]
            no_answer = self.no_answer_head(self.dropout(pooled)).squeeze(-1)  # [B]
        return ReaderOutput(start, end, no_answer)
