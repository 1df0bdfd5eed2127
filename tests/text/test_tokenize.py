from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from wenda.text import Tokenizer, TokenizerConfig


def test_words_are_lowercased_stemmed_and_stopwords_dropped():
    assert Tokenizer().tokens("The Running Cities of Zürich in 2019") == ["run", "citi", "zürich", "2019"]


def test_chinese_runs_become_bigrams_in_order():
    """北京大学 -> 北京 京大 大学 (Lucene CJKAnalyzer); a lone character stays a unigram."""
    toks = Tokenizer().tokens("去北京大学 and 东")
    assert toks == ["去北", "北京", "京大", "大学", "东"]


def test_char_mode_and_no_stemming():
    t = Tokenizer(TokenizerConfig(stemmer=None, stopwords=None, cjk="char"))
    assert t.tokens("The cats 中文") == ["the", "cats", "中", "文"]


def test_query_syntax_characters_are_not_tokens():
    assert Tokenizer().tokens('cat\'s (mat) [x:y] AND -z* "q"') == ["cat", "s", "mat", "x", "y", "z", "q"]


def test_spans_point_into_original_text():
    text = "Ünïcode Cities, 北京大学!"
    for term, start, end in Tokenizer().spans(text):
        assert end > start
        assert Tokenizer().tokens(text[start:end])[0] == term or len(term) == 2


def test_config_round_trip_rejects_unknown_keys():
    cfg = TokenizerConfig(stemmer=None)
    assert TokenizerConfig.from_dict(cfg.to_dict()) == cfg
    try:
        TokenizerConfig.from_dict({"nope": 1})
    except ValueError as exc:
        assert "nope" in str(exc)
    else:
        raise AssertionError("unknown key accepted")


@given(st.text(max_size=200))
def test_any_text_tokenizes_to_nonempty_terms_without_spaces(text):
    for tok in Tokenizer().tokens(text):
        assert tok and not any(c.isspace() for c in tok)
