"""Sentence-aware passage windows with overlap, as character offsets into the document.

Retrieval and reading work on passages of about 100 words (DPR, Karpukhin et al. 2020, uses 100-word
passages). Windows here pack whole sentences, so a passage rarely starts or ends mid-sentence, and
consecutive windows share about ``overlap`` words so an answer near a border is whole in one of them.

Chinese and Japanese carry no spaces, so each Han or kana character counts as half a word (a
typical Chinese word is about two characters); a run of them is cut between characters when needed.
Counting is done in half-word units internally to stay in integers.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# Han (CJK unified + ext A + compatibility) and Japanese kana: the same ranges as wenda.text.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Curly quotes, CJK and full-width punctuation (not U+3000, a space): they stick to their
# neighbours and are not words, so a sentence border after 。” never splits a word in two.
_PUNCT = "\u2018-\u201f\u3001-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"

_WORD_RE = re.compile(rf"[^\s{_CJK}{_PUNCT}]+")
_CJK_RE = re.compile(rf"[{_CJK}]")
# Every non-space character belongs to exactly one token: one CJK character, a punctuation run,
# or a word; the groups give the token's weight.
_TOKEN_RE = re.compile(rf"(?P<cjk>[{_CJK}])|(?P<punct>[{_PUNCT}]+)|[^\s{_CJK}{_PUNCT}]+")
# A sentence ends after . ! ? and closing quotes when whitespace follows (so "3.14" and "e.g.x"
# do not end one), after CJK 。！？ with no space needed, or at a blank line.
_BOUNDARY_RE = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s)|[。！？]+[”’」』）]*|\n\s*\n")


class _Unit(NamedTuple):
    """A sentence or a token: stripped character offsets and weight in half-words."""

    start: int
    end: int
    weight: int


def word_count(text: str) -> float:
    """Words in ``text`` as the splitter counts them: CJK characters are half a word each.

    >>> word_count("Hello big world")
    3.0
    >>> word_count("我爱北京 and Paris")
    4.0
    """
    return _weight(text, 0, len(text)) / 2


def split_passages(text: str, words: int = 100, overlap: int = 20) -> list[tuple[int, int]]:
    """Cut ``text`` into overlapping passages of at most ``words`` words.

    Whole sentences are packed into a window until the next one would not fit; the next window
    starts with the previous window's last sentences, as many as fit in ``overlap`` words (none
    when the last sentence alone is longer). A sentence longer than ``words`` becomes windows of
    ``words`` words sharing ``overlap`` words.

    Args:
        text: the document text.
        words: the most words in a passage (one word longer than that is a passage of its own).
        overlap: words that consecutive windows should share; less than ``words``.

    Returns:
        ``(start, end)`` character offsets, in order; ``text[start:end]`` starts and ends with a
        non-space character, and every non-space character of ``text`` is in some passage.

    Raises:
        ValueError: ``words < 1`` or ``overlap`` not in ``[0, words)``.
    """
    if words < 1 or not 0 <= overlap < words:
        raise ValueError(f"need words >= 1 and 0 <= overlap < words, got {words=} {overlap=}")
    return _pack(text, _sentences(text), 2 * words, 2 * overlap)


def _weight(text: str, start: int, end: int) -> int:
    """Half-words in ``text[start:end]``."""
    return 2 * len(_WORD_RE.findall(text, start, end)) + len(_CJK_RE.findall(text, start, end))


def _sentences(text: str) -> list[_Unit]:
    """Sentences with their offsets stripped of surrounding whitespace; blank ones dropped."""
    units = []
    begin = 0
    ends = [m.end() for m in _BOUNDARY_RE.finditer(text)]
    for end in [*ends, len(text)]:
        segment = text[begin:end]
        stripped = segment.strip()
        if stripped:
            start = begin + len(segment) - len(segment.lstrip())
            units.append(_Unit(start, start + len(stripped), _weight(text, begin, end)))
        begin = end
    return units


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` character offsets of ``text``'s sentences (the boundaries the passage
    windows respect), stripped of surrounding whitespace; blank ones dropped."""
    return [(u.start, u.end) for u in _sentences(text)]


def _tokens(text: str, start: int, end: int) -> list[_Unit]:
    """The tokens of ``text[start:end]``, each weighted in half-words."""
    return [
        _Unit(m.start(), m.end(), 1 if m.lastgroup == "cjk" else 0 if m.lastgroup == "punct" else 2)
        for m in _TOKEN_RE.finditer(text, start, end)
    ]


def _pack(text: str, units: list[_Unit], limit: int, overlap: int) -> list[tuple[int, int]]:
    """Greedy windows over sentences; sentences over ``limit`` are cut into token windows."""
    passages: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        if units[i].weight > limit:
            # every token weighs at most 2 <= limit, so this recursion goes one level deep
            passages.extend(_pack(text, _tokens(text, units[i].start, units[i].end), limit, overlap))
            i += 1
            continue
        j = _fill(units, i, limit)
        passages.append((units[i].start, units[j - 1].end))
        if j == len(units):
            break
        i = _next_start(units, i, j, limit, overlap)
    return passages


def _fill(units: list[_Unit], i: int, limit: int) -> int:
    """End (exclusive) of the window starting at ``i``: add units while they fit in ``limit``."""
    total = units[i].weight
    j = i + 1
    while j < len(units) and total + units[j].weight <= limit:
        total += units[j].weight
        j += 1
    return j


def _next_start(units: list[_Unit], i: int, j: int, limit: int, overlap: int) -> int:
    """Where the window after ``units[i:j]`` starts, re-including up to ``overlap`` of its tail.

    The start stays after ``i`` so the windows always move on, and the overlap is trimmed until
    ``units[j]`` fits beside it, so every window adds something new.
    """
    if units[j].weight > limit:
        return j  # an overlong sentence is cut on its own, so carrying context into it is moot
    k, carried = j, 0
    while k - 1 > i and carried + units[k - 1].weight <= overlap:
        k -= 1
        carried += units[k].weight
    while carried + units[j].weight > limit:
        carried -= units[k].weight
        k += 1
    return k
