"""A BiLSTM sentence encoder with max pooling over GloVe (InferSent's encoder: Conneau, Kiela,
Schwenk, Barrault & Bordes, EMNLP 2017), as a dual encoder for retrieval.

Words -> GloVe vectors -> a bidirectional LSTM -> the element-wise maximum over the real positions
of the concatenated states -> a linear map to ``dim``. InferSent found max pooling over BiLSTM
states the best of its seven encoders for transfer; it used 4096 units per direction and 300d
GloVe, trained on NLI. Ours: 50d GloVe (the vectors we can install), ``hidden = 128`` per
direction and a final linear layer to ``dim`` (InferSent uses the pooled states directly) so the
index size is a setting, trained for retrieval with in-batch negatives (``wenda.encode.base``).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from wenda.encode.base import Encoder, EncoderConfig
from wenda.nn import masked_max
from wenda.nn.rnn import BiRNN
from wenda.registry import register


@dataclass
class BiLSTMEncoderConfig(EncoderConfig):
    """Attributes: hidden: LSTM units per direction; layers: stacked BiLSTMs; dropout: on every
    LSTM's input."""

    hidden: int = 128
    layers: int = 1
    dropout: float = 0.1


@register("encode", "bilstm")
class BiLSTMEncoder(Encoder):
    """BiLSTM + max pooling (see the module docstring)."""

    Config = BiLSTMEncoderConfig

    def __init__(self, config: BiLSTMEncoderConfig, vocab) -> None:
        super().__init__(config, vocab)
        c = config
        self.rnn = BiRNN(c.embed_dim, c.hidden, c.layers, c.dropout)
        self.out = nn.Linear(2 * c.hidden, c.dim)

    def forward(self, ids: Tensor) -> Tensor:
        mask = ids != 0  # [B, L]
        states = self.rnn(self.embedding(ids), mask)  # [B, L, 2H], zero at padding
        pooled = masked_max(states, mask[:, :, None], dim=1)  # [B, 2H], zero for an empty text
        return self.out(pooled)  # [B, dim]
