"""A pretrained-transformer span reader: all-MiniLM-L6-v2 fine-tuned for extraction the way BERT is
(Devlin, Chang, Lee & Toutanova, NAACL 2019, section 4.2), beyond the issue's eight classic readers.

The question and the passage window go in as one sequence of word pieces, ``[CLS] question [SEP]
passage [SEP]`` with segment ids 0 and 1; one linear layer on the last hidden states gives every
piece a start and an end logit (BERT's ``S`` and ``E`` vectors), and ``[CLS]``'s state gives the
no-answer logit (BERT's SQuAD 2.0 recipe scores "no answer" at ``[CLS]``). MiniLM (Wang, Wei, Dong,
Bao, Yang & Zhou, NeurIPS 2020) is a 6-layer, 384-wide BERT distilled from a larger one; the weights
are sentence-transformers' all-MiniLM-L6-v2 (``wenda.nn.pretrained``), the only pretrained
transformer this project can install.

Where we depart, to keep the reader contract (every reader scores wenda's *words*, so offsets,
windows, decoding and calibration are shared): the input is wenda's token list (lowercased words,
each punctuation mark a token of its own as BERT's basic tokenizer splits them: ``reads_punctuation``;
the model is uncased), each token split into its pieces; a word's start logit is
that of its first piece, its end logit that of its last, so a span always covers whole words.
Windows are ``max_passage_len`` words (160: with the question they fit BERT's usual 384 pieces);
words whose pieces do not fit are masked, and the next window, half a window on, reads them.
BERT's recipe (Adam with warm-up and linear decay, 3e-5..5e-5, batch 32) is wenda's trainer at
``fine_tune_lr`` 5e-5 with ``--set schedule=linear`` (warm-up and decay over ``epochs``; the
default schedule is constant, which suits open-ended, time-budgeted runs); ``epoch_steps`` makes an
epoch a fraction of the data, since one pass takes hours on a CPU, and ``precision=bf16`` makes a
step 1.7 times as fast on CPUs with AVX-512 BF16.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from wenda.nn import pad_ids, padded_length
from wenda.nn.pretrained import HIDDEN, MAX_POSITIONS, load_pretrained, pretrained_dir
from wenda.read.base import Reader, ReaderConfig, ReaderOutput
from wenda.registry import register


@dataclass
class MiniLMReaderConfig(ReaderConfig):
    """``max_passage_len`` and ``max_question_len`` count words; max_question_pieces and max_pieces
    count word pieces (specials included) for the question and the whole sequence. ``embed_dim``,
    ``freeze_pretrained`` and the character settings are unused; ``freeze_embeddings`` fixes the
    word-piece table."""

    max_passage_len: int = 160
    max_question_pieces: int = 64
    max_pieces: int = 384


@register("read", "minilm")
class MiniLMReader(Reader):
    """all-MiniLM-L6-v2 with BERT's span heads (see the module docstring)."""

    Config = MiniLMReaderConfig
    uses_embeddings = False  # word pieces come from the model's own vocabulary
    reads_punctuation = True  # pre-trained on text with its punctuation
    package_module = "bert"  # all-MiniLM-L6-v2, read from its package at construction
    fine_tune_lr = 5e-5  # BERT's SQuAD rate

    def __init__(self, config: MiniLMReaderConfig, vocab) -> None:
        if (
            not 8 <= config.max_pieces <= MAX_POSITIONS
            or not 2 <= config.max_question_pieces < config.max_pieces
        ):
            raise ValueError(
                f"need 2 <= max_question_pieces < max_pieces <= {MAX_POSITIONS}, "
                f"not {config.max_question_pieces} and {config.max_pieces}"
            )
        super().__init__(config, vocab)
        self.bert, self.tokenizer = load_pretrained(pretrained_dir())
        self.bert.embeddings.word_embeddings.weight.requires_grad_(not config.freeze_embeddings)
        self.cls_id, self.sep_id, self.unk_id = (
            self.tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "[UNK]")
        )
        self.span = nn.Linear(HIDDEN, 2)
        self.no_answer = nn.Linear(HIDDEN, 1) if config.no_answer else None

    def _pieces(self, rows: Sequence[Sequence[str]]) -> list[list[list[int]]]:
        """Each row's words as lists of word-piece ids (a word the tokenizer drops becomes [UNK])."""
        out = []
        for words, enc in zip(rows, self.tokenizer.encode_batch([list(r) for r in rows], is_pretokenized=True, add_special_tokens=False), strict=True):  # fmt: skip
            per_word: list[list[int]] = [[] for _ in words]
            for piece, word in zip(enc.ids, enc.word_ids, strict=True):
                per_word[word].append(piece)
            out.append([p or [self.unk_id] for p in per_word])
        return out

    def featurize(
        self, questions: Sequence[Sequence[str]], passages: Sequence[Sequence[str]]
    ) -> dict[str, Tensor]:
        """``input_ids``/``token_type_ids`` ``[B, T]`` (``[CLS] q [SEP] p [SEP]``, padded with 0),
        ``first``/``last`` ``[B, Lp]`` (each passage word's first and last piece position) and
        ``passage`` ``[B, Lp]`` (1 at the words that fit, 0 elsewhere: the reader's mask)."""
        c = self.config
        questions = [q[: c.max_question_len] for q in questions]
        passages = [p[: c.max_passage_len] for p in passages]
        width = padded_length(map(len, passages), c.max_passage_len)
        ids, types, first, last, fits = [], [], [], [], []
        for q_words, p_words in zip(self._pieces(questions), self._pieces(passages), strict=True):
            q = [x for w in q_words for x in w][: c.max_question_pieces - 2]
            row, starts, ends = [self.cls_id, *q, self.sep_id], [], []
            for word in p_words:
                if len(row) + len(word) + 1 > c.max_pieces:
                    break
                starts.append(len(row))
                row += word
                ends.append(len(row) - 1)
            ids.append(row + [self.sep_id])
            types.append([0] * (len(q) + 2) + [1] * (len(row) - len(q) - 1))
            first.append(starts + [0] * (width - len(starts)))
            last.append(ends + [0] * (width - len(ends)))
            fits.append([1] * len(starts) + [0] * (width - len(starts)))
        length = max(len(r) for r in ids)
        return {
            "input_ids": pad_ids(ids, length),
            "token_type_ids": pad_ids(types, length),
            "first": torch.tensor(first, dtype=torch.long).reshape(len(ids), width),
            "last": torch.tensor(last, dtype=torch.long).reshape(len(ids), width),
            "passage": torch.tensor(fits, dtype=torch.long).reshape(len(ids), width),
        }

    def forward(
        self, input_ids: Tensor, token_type_ids: Tensor, first: Tensor, last: Tensor, passage: Tensor
    ) -> ReaderOutput:
        attention = (input_ids != 0).long()  # [B, T]; id 0 is [PAD]
        states = self.bert(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention)
        h = states.last_hidden_state  # [B, T, 384]
        logits = self.span(h)  # [B, T, 2]
        start = logits[:, :, 0].gather(1, first)  # [B, Lp]: each word's first piece
        end = logits[:, :, 1].gather(1, last)  # [B, Lp]: each word's last piece
        no_answer = None if self.no_answer is None else self.no_answer(h[:, 0]).squeeze(-1)  # [B]
        return ReaderOutput(start, end, no_answer)
