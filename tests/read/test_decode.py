"""Span decoding: hand-worked probabilities, ties, length limits, passage ends, offsets."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from wenda.read.decode import char_span, decode, span_log_probs, span_scores  # noqa: E402
from wenda.text import Tokenizer, TokenizerConfig  # noqa: E402

LN2 = math.log(2)


def test_worked_example_probabilities_and_tie_break():
    """One passage of 2 tokens, start = [0, ln2], end = [ln2, 0].

    Spans (0,0): e^(0+ln2) = 2; (0,1): e^0 = 1; (1,1): e^(ln2+0) = 2. Z = 5.
    (0,0) and (1,1) tie at 2/5 = 0.4: the earlier start wins; (0,1) has 0.2.
    """
    start, end, mask = (
        torch.tensor([[0.0, LN2]]),
        torch.tensor([[LN2, 0.0]]),
        torch.ones(1, 2, dtype=torch.bool),
    )
    spans, p_none = decode(start, end, mask, max_len=2, top_k=3)
    assert [(s.start, s.end) for s in spans] == [(0, 0), (1, 1), (0, 1)]
    assert [s.prob for s in spans] == pytest.approx([0.4, 0.4, 0.2])
    assert p_none == 0.0


def test_length_limit_excludes_long_spans():
    """Same logits with max_len = 1: (0,1) is not a span any more, Z = 4, each of the two is 0.5."""
    start, end, mask = (
        torch.tensor([[0.0, LN2]]),
        torch.tensor([[LN2, 0.0]]),
        torch.ones(1, 2, dtype=torch.bool),
    )
    spans, _ = decode(start, end, mask, max_len=1, top_k=5)
    assert [(s.start, s.end) for s in spans] == [(0, 0), (1, 1)]
    assert [s.prob for s in spans] == pytest.approx([0.5, 0.5])
    with pytest.raises(ValueError):
        span_scores(start, end, mask, 0)


def test_answer_at_the_passage_end_and_padding_never_chosen():
    start = torch.tensor([[0.0, 0.0, 5.0, 9.0, 9.0]])  # positions 3 and 4 are padding
    end = torch.tensor([[0.0, 0.0, 5.0, 9.0, 9.0]])
    mask = torch.tensor([[True, True, True, False, False]])
    spans, _ = decode(start, end, mask, max_len=3)
    assert (spans[0].start, spans[0].end) == (2, 2)


def test_probabilities_are_shared_across_passages_with_no_answer():
    """Every valid span of every passage and the no-answer option sum to one."""
    torch.manual_seed(0)
    start, end = torch.randn(3, 6), torch.randn(3, 6)
    mask = torch.ones(3, 6, dtype=torch.bool)
    mask[2, 4:] = False
    spans, p_none = decode(start, end, mask, max_len=4, top_k=1000, no_answer=torch.tensor(1.5))
    valid = sum(
        1 for p in range(3) for i in range(6) for j in range(i, min(i + 4, 6)) if mask[p, i] and mask[p, j]
    )
    assert len(spans) == valid
    assert sum(s.prob for s in spans) + p_none == pytest.approx(1.0, abs=1e-5)
    assert spans[0].prob >= spans[-1].prob
    assert {s.passage for s in spans} == {0, 1, 2}


def test_tie_between_passages_goes_to_the_earlier_passage():
    start = end = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    spans, _ = decode(start, end, torch.ones(2, 2, dtype=torch.bool), max_len=2)
    assert (spans[0].passage, spans[0].start, spans[0].end) == (0, 0, 0)


def test_no_valid_span_gives_nothing_and_all_mass_on_no_answer():
    mask = torch.zeros(1, 3, dtype=torch.bool)
    spans, p_none = decode(torch.zeros(1, 3), torch.zeros(1, 3), mask, no_answer=torch.tensor(0.0))
    assert spans == [] and p_none == pytest.approx(1.0)


def test_char_offsets_give_the_exact_original_substring_with_non_ascii():
    text = "Der Zürichsee liegt bei Zürich; 東京は日本の首都です。 Ｆｕｌｌｗｉｄｔｈ ok"
    spans = Tokenizer(TokenizerConfig(stopwords=None, stemmer=None)).spans(text)
    offsets = [(b, e) for _, b, e in spans]
    tokens = [t for t, _, _ in spans]
    i, j = tokens.index("zürichsee"), tokens.index("zürich")
    begin, stop = char_span(offsets, i, j)
    assert text[begin:stop] == "Zürichsee liegt bei Zürich"
    k = tokens.index("fullwidth")  # NFKC-normalized token, original full-width characters kept
    assert text[slice(*char_span(offsets, k, k))] == "Ｆｕｌｌｗｉｄｔｈ"
    first_cjk = next(n for n, t in enumerate(tokens) if t[0] == "東")
    assert text[slice(*char_span(offsets, first_cjk, first_cjk + 1))] == "東京は"


def test_top_indices_equal_a_full_stable_sort_with_ties():
    from wenda.read.decode import _top_indices

    generator = torch.Generator().manual_seed(0)
    for _ in range(50):
        flat = torch.randint(0, 5, (200,), generator=generator).float()  # many ties
        flat[torch.randint(0, 200, (20,), generator=generator)] = float("-inf")
        for k in (1, 3, 17):
            expected = torch.sort(-flat, stable=True).indices[:k]
            assert torch.equal(_top_indices(flat, k), expected)


def test_span_log_probs_are_decodes_probabilities_and_sum_to_one_with_no_answer():
    torch.manual_seed(0)
    start, end = torch.randn(2, 6), torch.randn(2, 6)
    mask = torch.tensor([[True] * 6, [True] * 4 + [False] * 2])
    none = torch.tensor(0.3)
    log_probs, log_none = span_log_probs(start, end, mask, 3, none)
    total = log_probs.exp().sum() + log_none.exp()
    assert float(total) == pytest.approx(1.0, abs=1e-6)
    spans, p_none = decode(start, end, mask, 3, top_k=4, no_answer=none)
    assert p_none == pytest.approx(float(log_none.exp()), abs=1e-7)
    for s in spans:
        assert s.prob == pytest.approx(float(log_probs[s.passage, s.start, s.end].exp()), abs=1e-7)
    assert span_log_probs(start, end, mask, 3)[1] is None
    assert float(span_log_probs(start, end, mask, 3)[0].exp().sum()) == pytest.approx(1.0, abs=1e-6)
