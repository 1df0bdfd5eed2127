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


def test_punctuation_mode_keeps_each_mark_as_a_token_at_its_place():
    """Readers built on a pretrained transformer read punctuation as BERT's basic tokenizer splits
    it: each mark or symbol a token of its own, words as before."""
    t = Tokenizer(TokenizerConfig(stemmer=None, stopwords=None, cjk="char", punctuation=True))
    text = 'Santa Clara, California (U.S.) cost $1.5m — "q" 北京 x_y.'
    assert t.tokens(text) == [
        "santa", "clara", ",", "california", "(", "u", ".", "s", ".", ")", "cost", "$", "1", ".", "5m",
        "—", '"', "q", '"', "北", "京", "x", "_", "y", ".",
    ]  # fmt: skip
    spans = t.spans(text)
    assert [term for term, _, _ in spans] == t.tokens(text)
    assert all(text[a:b].lower() == term for term, a, b in spans)
    plain = Tokenizer(TokenizerConfig(stemmer=None, stopwords=None, cjk="char"))
    assert [w for w in t.tokens(text) if w[0].isalnum() or w[0] in "北京"] == plain.tokens(text)


def test_configs_saved_before_punctuation_load_without_it():
    saved = {"lowercase": True, "stopwords": None, "stemmer": None, "cjk": "char"}
    assert TokenizerConfig.from_dict(saved).punctuation is False
