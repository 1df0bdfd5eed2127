"""Training pairs for dual encoders: (query tokens, positive passage tokens), made from the bare
corpus when nobody has labels, or from question-passage data when someone has.

* :func:`ict_pairs`, the inverse cloze task (Lee, Chang & Toutanova, ACL 2019, ORQA §5): a random
  sentence of a passage is the query and the passage's other sentences the positive; the sentence
  is left in the positive 10% of the time, so the encoder still learns that word overlap matters.
* :func:`crop_pairs`, independent cropping (Izacard et al., TMLR 2022, Contriever §3.2): two spans of
  the same passage, each of 10-50% of its tokens at a random place, are a positive pair.
* :func:`question_pairs`: a question and the passage that answers it (the reading-comprehension
  training sets give both): the ~100-word window of its context, cut as the index cuts documents,
  that holds the answer (DPR §3.1 and §4.1: the gold passage is the 100-word passage containing
  it; a whole context would pair COVID-QA's questions with the first words of a 4,000-word
  article). The other passages of a batch are the negatives in every case; with ``negatives`` > 0
  each question also brings that many BM25 hard negatives (DPR §3.2 and §5.2, "gold + 1 BM25
  negative", its best setting): the best-scoring windows of the training contexts that hold none of
  its answers (:func:`~wenda.train.distractors.distractors`, shared with the readers' training).

Pairs are remade each epoch from the epoch's random generator, so a resumed run sees the same
pairs as an uninterrupted one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from wenda.corpus.split import sentence_spans, split_passages
from wenda.text import Tokenizer

Tokens = list[str]
Pair = tuple[Tokens, ...]  # (query, positive passage, hard negative passages...)
Passage = list[Tokens]  # a passage as the token lists of its sentences


def passage_sentences(text: str, tokenizer: Tokenizer) -> Passage:
    """The token lists of ``text``'s non-empty sentences."""
    sentences = (tokenizer.tokens(text[a:b]) for a, b in sentence_spans(text))
    return [s for s in sentences if s]


def ict_pairs(corpus: Sequence[Passage], rng: np.random.Generator, keep: float = 0.1) -> list[Pair]:
    """One inverse-cloze pair per passage of at least two sentences (module docstring)."""
    pairs = []
    for sentences in corpus:
        if len(sentences) < 2:
            continue
        i = int(rng.integers(len(sentences)))
        kept = rng.random() < keep
        context = [t for j, s in enumerate(sentences) if kept or j != i for t in s]
        pairs.append((sentences[i], context))
    return pairs


def _crop(tokens: Tokens, rng: np.random.Generator, low: float, high: float) -> Tokens:
    length = max(1, int(round(len(tokens) * rng.uniform(low, high))))
    start = int(rng.integers(len(tokens) - length + 1))
    return tokens[start : start + length]


def crop_pairs(
    corpus: Sequence[Passage], rng: np.random.Generator, low: float = 0.1, high: float = 0.5
) -> list[Pair]:
    """One pair of independent crops per passage of at least 4 tokens (module docstring)."""
    pairs = []
    for sentences in corpus:
        tokens = [t for s in sentences for t in s]
        if len(tokens) >= 4:
            pairs.append((_crop(tokens, rng, low, high), _crop(tokens, rng, low, high)))
    return pairs


def question_pairs(
    examples, tokenizer: Tokenizer, words: int = 100, overlap: int = 20, negatives: int = 0
) -> list[Pair]:
    """(question, answering passage, ``negatives`` hard negatives) of every answerable span example
    (``wenda.data.reading_train``): the passage is the first window of
    :func:`~wenda.corpus.split.split_passages` (``words``, ``overlap``) over the context that holds
    the first answer whole (else the one it starts in); negatives: :func:`bm25_negatives`."""
    answerable = [ex for ex in examples if ex.answers]
    questions = [tokenizer.tokens(ex.question) for ex in answerable]
    positives = [tokenizer.tokens(answer_window(ex, words, overlap)) for ex in answerable]
    hard = bm25_negatives(answerable, questions, tokenizer, negatives, words, overlap)
    return [(q, p, *n) for q, p, n in zip(questions, positives, hard, strict=True) if q and p]


def bm25_negatives(
    examples, questions: Sequence[Tokens], tokenizer: Tokenizer, k: int, words: int = 100, overlap: int = 20
) -> list[list[Tokens]]:
    """For each example, up to ``k`` of the ``words``-word windows of all the examples' contexts:
    BM25's best for its question (``questions``, tokens) among those holding none of its answers
    (so never its own positive). ``k`` = 0: no negatives, and no BM25 index is built."""
    if k <= 0:
        return [[] for _ in examples]
    from wenda.train.distractors import distractors

    contexts = list(dict.fromkeys(ex.context for ex in examples))
    windows = [tokenizer.tokens(c[a:b]) for c in contexts for a, b in split_passages(c, words, overlap)]
    golds = [tuple(" ".join(tokenizer.tokens(t)) for t, _ in ex.answers) for ex in examples]
    picks = distractors(questions, windows, golds, k)
    return [[windows[i] for i in chosen] for chosen in picks]


def answer_window(example, words: int = 100, overlap: int = 20) -> str:
    """The text of ``example.context``'s first ``words``-word window that holds its first answer."""
    text, start = example.answers[0]
    end = start + len(text)
    windows = split_passages(example.context, words, overlap)
    a, b = next((w for w in windows if w[0] <= start and end <= w[1]), None) or next(
        (w for w in windows if w[0] <= start < w[1]), (0, len(example.context))
    )
    return example.context[a:b]


SELF_SUPERVISED = {"ict": ict_pairs, "crop": crop_pairs}
