"""R^3, the Reinforced Ranker-Reader (Wang, Yu, Guo, Wang, Klinger, Zhang, Chang, Tesauro, Zhou,
Jiang; AAAI 2018, "R^3: Reinforced Ranker-Reader for Open-Domain Question Answering").

Open-domain QA retrieves many passages per question, most without the answer. R^3 learns a
*ranker* that picks the passage to read and a *reader* that extracts the span from it, jointly:

- a shared BiLSTM encodes the question (``H^q``) and each passage (``H^p``) from word embeddings;
- the **ranker** runs a match-LSTM (Wang & Jiang 2017, :class:`~wenda.read.match_lstm.MatchLSTM`)
  over ``H^p`` attending to ``H^q``, max-pools its states and scores the passage with a linear
  layer; a softmax over the question's passages gives ``γ(τ | q)`` (``ReaderOutput.rank``);
- the **reader** runs its own match-LSTM in both directions and the boundary answer pointer
  (:class:`~wenda.read.match_lstm.BoundaryPointer`) for start and end logits.

Training (``wenda.train.grouped``, objective ``"reinforce"``): the reader is trained by maximum
likelihood on the passage holding the answer; the ranker by REINFORCE, sampling ``τ ~ γ`` and
rewarding the reader's answer from ``τ`` with ``2`` for an exact match, its F1 when it overlaps the
gold answer, and ``-1`` otherwise (the paper's reward). At inference a span's score is ``γ(τ|q)
P(span | τ)`` (:func:`~wenda.read.base.rank_weighted`).

Hyper-parameters (paper, Quasar-T/SearchQA/...): hidden 300, fixed 300d GloVe, Adamax, ranker and
reader pre-trained before joint training. Defaults here are CPU-sized: hidden 75 (as our
Match-LSTM), 50d GloVe, dropout 0.2.

Departures: the paper pre-trains the ranker with a supervised loss (passages containing the answer
are positive) and then trains by REINFORCE; here that supervised cross-entropy stays in the loss,
weighted ``rank_weight`` (0 gives pure REINFORCE), so one run does both. The reader's pre-training
is a first run with ``--set negatives=0`` (groups of the gold passage alone: the ranker's softmax is
1, its terms 0, so only the reader learns, at a quarter of a 4-passage group's cost), then joint
training from it with ``--init`` and distractors. The REINFORCE
baseline is the expected reward under ``γ`` over the question's passages (computed exactly: every
passage's answer is decoded anyway), which lowers the variance and leaves the gradient's
expectation unchanged. The optional no-answer logit (not in the paper) is Match-LSTM's head (max-pooled
``H^r`` and the start pointer's summary); with groups, the distractor passages train it as
unanswerable, and at inference ``P(none) = Σ_τ γ(τ) P(none | τ)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from wenda.nn import masked_max
from wenda.nn.rnn import BiRNN
from wenda.read.base import Reader, ReaderConfig, ReaderOutput
from wenda.read.match_lstm import MatchLSTM, MatchPointer
from wenda.registry import register


@dataclass
class R3Config(ReaderConfig):
    """Attributes: hidden: units of every LSTM (paper: 300); dropout: on embeddings and encoder
    input; rank_supervision: weight of the ranker's supervised cross-entropy beside REINFORCE (the
    paper's pre-training kept in the loss; 0 = REINFORCE only)."""

    hidden: int = 75
    dropout: float = 0.2
    rank_weight: float = 1.0


@register("read", "r3")
class R3(Reader):
    """The Reinforced Ranker-Reader (see the module docstring)."""

    Config = R3Config

    @property
    def rank_objective(self) -> str:
        """The ranker learns by REINFORCE (``wenda.train.grouped``)."""
        return "reinforce"

    def __init__(self, config: R3Config, vocab) -> None:
        super().__init__(config, vocab)
        h = config.hidden
        self.embed_dropout = nn.Dropout(config.dropout)
        self.encoder = BiRNN(config.embed_dim, h, 1, 0.0)  # shared by ranker and reader
        self.rank_match = MatchLSTM(h, 2 * h)
        self.rank_score = nn.Linear(h, 1)
        self.reader = MatchPointer(h, 2 * h, config.no_answer)

    def _encode(self, ids: Tensor, mask: Tensor) -> Tensor:
        """Word ids ``[B, L]`` -> shared BiLSTM states ``[B, L, 2H]``, zero at padding."""
        return self.encoder(self.embed_dropout(self.embedding(ids)), mask)

    def rank_logits(self, hp: Tensor, hq: Tensor, q_mask: Tensor, p_mask: Tensor) -> Tensor:
        """The ranker: match-LSTM states max-pooled over the passage, scored -> ``[B]``."""
        states = self.rank_match(hp, hq, q_mask)  # [B, Lp, H]
        return self.rank_score(masked_max(states, p_mask[:, :, None], 1)).squeeze(-1)  # [B]

    def forward(self, question: Tensor, passage: Tensor) -> ReaderOutput:
        q_mask, p_mask = question != 0, passage != 0  # [B, Lq], [B, Lp]
        hq, hp = self._encode(question, q_mask), self._encode(passage, p_mask)  # [B, Lq, 2H], [B, Lp, 2H]
        output = self.reader(hp, hq, q_mask, p_mask)  # start/end [B, Lp], no-answer [B]
        output.rank = self.rank_logits(hp, hq, q_mask, p_mask)  # [B]
        return output
