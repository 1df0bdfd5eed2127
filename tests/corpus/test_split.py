"""Tests for wenda.corpus.split: offsets, coverage, overlap, CJK, and worked examples."""

from __future__ import annotations

import random
import time
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wenda.corpus.split import split_passages, word_count


def texts(text: str, spans: list[tuple[int, int]]) -> list[str]:
    return [text[s:e] for s, e in spans]


def check_invariants(text: str, spans: list[tuple[int, int]]) -> None:
    """Offsets are stripped, ordered, moving forward, and cover every non-space character."""
    covered = [False] * len(text)
    for s, e in spans:
        assert 0 <= s < e <= len(text)
        assert not text[s].isspace() and not text[e - 1].isspace()
        covered[s:e] = [True] * (e - s)
    for a, b in pairwise(spans):
        assert b[0] > a[0] and b[1] > a[1], "windows must move forward"
    assert all(covered[k] or text[k].isspace() for k in range(len(text)))


def test_worked_example_with_sentence_overlap():
    """Four 3-word sentences, words=7, overlap=3.

    Window 1 packs sentences 1-2 (6 words; adding sentence 3 gives 9 > 7). The last sentence
    (3 words <= overlap 3) is carried over, so window 2 is sentences 2-3, then window 3 is 3-4.
    """
    text = "One two three. Four five six. Seven eight nine. Ten eleven twelve."
    assert texts(text, split_passages(text, words=7, overlap=3)) == [
        "One two three. Four five six.",
        "Four five six. Seven eight nine.",
        "Seven eight nine. Ten eleven twelve.",
    ]


def test_no_overlap_when_the_last_sentence_is_longer_than_overlap():
    """Sentences of 3 words with overlap=2: no whole sentence fits in the overlap, so none is carried."""
    text = "One two three. Four five six. Seven eight nine."
    assert texts(text, split_passages(text, words=6, overlap=2)) == [
        "One two three. Four five six.",
        "Seven eight nine.",
    ]


def test_long_sentence_is_cut_into_word_windows():
    """Ten words, words=4, overlap=1: windows start at words 1, 4, 7 (each carries one word back)."""
    text = "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10"
    assert texts(text, split_passages(text, words=4, overlap=1)) == [
        "w1 w2 w3 w4",
        "w4 w5 w6 w7",
        "w7 w8 w9 w10",
    ]


def test_long_sentence_between_short_ones():
    text = "Short one. a b c d e f g h i j. Short two."
    spans = texts(text, split_passages(text, words=4, overlap=1))
    assert spans == ["Short one.", "a b c d", "d e f g", "g h i j.", "Short two."]


def test_short_text_is_one_passage_and_offsets_are_stripped():
    text = "\n\n  Hello there. How are you?  \n"
    (span,) = split_passages(text)
    assert text[span[0] : span[1]] == "Hello there. How are you?"


@pytest.mark.parametrize("text", ["", "   ", "\n\t \u3000\n"])
def test_blank_text_has_no_passages(text):
    assert split_passages(text) == []


def test_no_passage_exceeds_the_word_limit_and_neighbours_overlap():
    rng = random.Random(1)
    sentences = [
        " ".join(f"w{rng.randrange(999)}" for _ in range(rng.randint(2, 12))) + "." for _ in range(300)
    ]
    text = " ".join(sentences)
    spans = split_passages(text, words=50, overlap=10)
    check_invariants(text, spans)
    assert all(word_count(text[s:e]) <= 50 for s, e in spans)
    assert sum(1 for a, b in pairwise(spans) if b[0] < a[1]) >= len(spans) // 2


def test_punctuation_inside_numbers_and_blank_lines():
    text = "Pi is 3.14 exactly\n\nNew paragraph here"
    assert texts(text, split_passages(text, words=4, overlap=0)) == [
        "Pi is 3.14 exactly",
        "New paragraph here",
    ]


def test_word_count_counts_cjk_as_half_words():
    assert word_count("one two  three") == 3
    assert word_count("我爱北京") == 2
    assert word_count("我爱北京，and Paris。") == 4  # full-width punctuation is not a word


def test_chinese_sentences_are_packed_by_half_words():
    """Each sentence is 6 characters (3 words) plus 。; words=6, overlap=3 carries one sentence."""
    text = "这是第一句话。这是第二句话！这是第三句话？最后的一句话。"
    assert texts(text, split_passages(text, words=6, overlap=3)) == [
        "这是第一句话。这是第二句话！",
        "这是第二句话！这是第三句话？",
        "这是第三句话？最后的一句话。",
    ]


def test_chinese_without_punctuation_is_cut_between_characters():
    """20 characters = 10 words; words=4 is 8 characters, overlap=1 is 2 characters."""
    text = "一二三四五六七八九十" * 2
    assert texts(text, split_passages(text, words=4, overlap=1)) == [
        "一二三四五六七八",
        "七八九十一二三四",
        "三四五六七八九十",
    ]


def test_a_single_overlong_word_is_its_own_passage():
    text = "a " + "x" * 500 + " b"
    assert texts(text, split_passages(text, words=1, overlap=0)) == ["a", "x" * 500, "b"]


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        split_passages("text", words=0)
    with pytest.raises(ValueError):
        split_passages("text", words=10, overlap=10)


def test_speed_is_over_100k_words_per_second():
    rng = random.Random(0)
    text = " ".join("word" + ("." if rng.random() < 0.06 else "") for _ in range(200_000))
    began = time.perf_counter()
    spans = split_passages(text)
    assert time.perf_counter() - began < 2.0
    check_invariants(text, spans)


_ALPHABET = st.sampled_from(list("ab .!?\n\t。！，”") + ["中", "文", "」", "\u3000", "xyz"])


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(_ALPHABET, max_size=120).map("".join),
    words=st.integers(1, 12),
    data=st.data(),
)
def test_property_coverage_and_progress(text, words, data):
    overlap = data.draw(st.integers(0, words - 1))
    spans = split_passages(text, words=words, overlap=overlap)
    check_invariants(text, spans)
    # every token weighs at most one word, so even a cut sentence never exceeds the limit
    assert all(word_count(text[s:e]) <= words for s, e in spans)
    if word_count(text) <= words and text.strip():
        assert len(spans) == 1
