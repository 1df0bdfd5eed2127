"""DrQA's Document Reader (Chen, Fisch, Weston, Bordes; ACL 2017, "Reading Wikipedia to Answer
Open-Domain Questions", §3.2).

Each passage token is represented by its word embedding, exact-match features (does it occur in the
question), a token feature (normalized term frequency) and an *aligned question embedding*: an
attention over question words, ``a_ij ∝ exp(relu(W e_i) · relu(W q_j))``, with one ReLU projection
``W`` shared by both sides. A 3-layer BiLSTM encodes the passage; another encodes the question,
whose states are summed with self-attention weights ``b_j ∝ exp(w · q_j)``. Start and end scores are
bilinear: ``p_i W_s q`` and ``p_i W_e q``.

Hyper-parameters (paper): hidden 128 per direction, 3 layers, dropout 0.3 on embeddings and on every
LSTM layer's input. ``tune_top_k`` > 0 fine-tunes only the first ``tune_top_k`` known words of the
vocabulary (the paper tunes the 1000 most frequent *question* words; here "most frequent" is the
vocabulary's own order, so build the vocabulary from questions first to get the paper's choice).

Departures: wenda's tokenizer lowercases, so the original-case exact match equals the lowercase one
unless the tokenizer keeps case (both are computed from the tokens received); there is no
lemmatizer, so the lemma match uses the Snowball English stem (PyStemmer) instead; POS and NER
features are omitted (no tagger). Term frequency is counted over the passage as truncated to
``max_passage_len``. Padding is handled exactly (:class:`~wenda.nn.rnn.BiRNN`) and by masked softmaxes throughout. The LSTM
output is the last layer's (the paper's formula; DrQA's code concatenates all three layers).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import torch
from torch import Tensor, nn

from wenda.nn import masked_softmax
from wenda.nn.rnn import BiRNN
from wenda.read.base import Reader, ReaderConfig, ReaderOutput
from wenda.registry import register

N_FEATURES = 4  # exact match (original case, lowercase, stem) + normalized term frequency


@dataclass
class DrQAConfig(ReaderConfig):
    """Attributes: hidden: LSTM units per direction; layers: LSTM depth; dropout: on embeddings and
    LSTM inputs; tune_top_k: fine-tune only this many most frequent words (0 = all)."""

    hidden: int = 128
    layers: int = 3
    dropout: float = 0.3
    tune_top_k: int = 0


def aligned_attention(p: Tensor, q: Tensor, q_mask: Tensor, proj: nn.Module) -> Tensor:
    """DrQA's ``a_ij``: ``[B, Lp, E]``, ``[B, Lq, E]`` -> ``[B, Lp, Lq]``, 0 at padded question words."""
    scores = torch.bmm(torch.relu(proj(p)), torch.relu(proj(q)).transpose(1, 2))  # [B, Lp, Lq]
    return masked_softmax(scores, q_mask[:, None, :], -1)  # [B, Lp, Lq]


@register("read", "drqa")
class DrQA(Reader):
    """DrQA's Document Reader (see the module docstring)."""

    Config = DrQAConfig

    def __init__(self, config: DrQAConfig, vocab) -> None:
        super().__init__(config, vocab)
        e, h2 = config.embed_dim, 2 * config.hidden
        self.embed_dropout = nn.Dropout(config.dropout)
        self.align = nn.Linear(e, e)
        self.passage_rnn = BiRNN(2 * e + N_FEATURES, config.hidden, config.layers, config.dropout)
        self.question_rnn = BiRNN(e, config.hidden, config.layers, config.dropout)
        self.self_attn = nn.Linear(h2, 1)
        self.start_bilinear = nn.Linear(h2, h2)
        self.end_bilinear = nn.Linear(h2, h2)
        self.no_answer_head = nn.Linear(2 * h2, 1) if config.no_answer else None
        if config.tune_top_k > 0 and not config.freeze_embeddings:
            keep = torch.zeros(len(vocab), 1)
            keep[vocab.offset : vocab.offset + config.tune_top_k] = 1.0
            self.register_buffer("_tune_mask", keep, persistent=False)
            self.embedding.weight.register_hook(lambda grad: grad * self._tune_mask)

    @cached_property
    def _stem(self):
        import Stemmer

        return Stemmer.Stemmer("english").stemWords

    def _features(self, question: Sequence[str], passage: Sequence[str], length: int) -> Tensor:
        """``[length, 4]``: exact match (as given, lowercase, stem) and tf of each passage token."""
        passage = list(passage)[: self.config.max_passage_len]
        lower = [t.lower() for t in passage]
        q_lower = [t.lower() for t in question]
        q_exact, q_lowers, q_stems = set(question), set(q_lower), set(self._stem(q_lower))
        tf = Counter(lower)
        rows = [
            [t in q_exact, lw in q_lowers, s in q_stems, tf[lw] / len(passage)]
            for t, lw, s in zip(passage, lower, self._stem(lower), strict=True)
        ]
        out = torch.zeros(length, N_FEATURES)
        if rows:
            out[: len(rows)] = torch.tensor(rows, dtype=torch.float)
        return out

    def featurize(
        self, questions: Sequence[Sequence[str]], passages: Sequence[Sequence[str]]
    ) -> dict[str, Tensor]:
        """Word ids as in :meth:`Reader.featurize` plus ``features`` ``[B, Lp, 4]`` computed from the
        tokens as received (case included, if the tokenizer kept it)."""
        out = super().featurize(questions, passages)
        length = out["passage"].shape[1]
        questions = [list(q)[: self.config.max_question_len] for q in questions]
        out["features"] = torch.stack(
            [self._features(q, p, length) for q, p in zip(questions, passages, strict=True)]
        )
        return out

    def forward(self, question: Tensor, passage: Tensor, features: Tensor) -> ReaderOutput:
        q_mask, p_mask = question != 0, passage != 0  # [B, Lq], [B, Lp]
        q_emb = self.embed_dropout(self.embedding(question))  # [B, Lq, E]
        p_emb = self.embed_dropout(self.embedding(passage))  # [B, Lp, E]
        attn = aligned_attention(p_emb, q_emb, q_mask, self.align)  # [B, Lp, Lq]
        aligned = torch.bmm(attn, q_emb)  # [B, Lp, E]
        p_in = torch.cat([p_emb, features, aligned], -1)  # [B, Lp, 2E + 4]
        p = self.passage_rnn(p_in, p_mask)  # [B, Lp, 2H]
        q_states = self.question_rnn(q_emb, q_mask)  # [B, Lq, 2H]
        b = masked_softmax(self.self_attn(q_states).squeeze(-1), q_mask, -1)  # [B, Lq]
        q = torch.bmm(b[:, None, :], q_states).squeeze(1)  # [B, 2H]
        start = torch.bmm(p, self.start_bilinear(q)[:, :, None]).squeeze(-1)  # [B, Lp]
        end = torch.bmm(p, self.end_bilinear(q)[:, :, None]).squeeze(-1)  # [B, Lp]
        no_answer = None
        if self.no_answer_head is not None:
            pooled = p.masked_fill(~p_mask[:, :, None], -1e4).max(1).values * p_mask.any(
                1, keepdim=True
            )  # [B, 2H]
            no_answer = self.no_answer_head(torch.cat([q, pooled], -1)).squeeze(-1)  # [B]
        return ReaderOutput(start, end, no_answer)
