"""Worked examples for letter-trigram word hashing and the DSSM/CDSSM inputs built from it.

Exact ids, derived by hand from ``1 + (26 * i0 + j1) * 27 + i2`` where ``i`` indexes ``#a-z``
(# = 0, a = 1, ..., z = 26) and ``j`` indexes ``a-z`` (a = 0, ..., z = 25):

    #go: i0 = 0 (#), j1 = 6 (g), i2 = 15 (o)  -> 1 + 6 * 27 + 15           = 178
    goo: i0 = 7 (g), j1 = 14 (o), i2 = 15 (o) -> 1 + (182 + 14) * 27 + 15  = 1 + 5292 + 15  = 5308
    ood: i0 = 15,    j1 = 14,     i2 = 4 (d)  -> 1 + (390 + 14) * 27 + 4   = 1 + 10908 + 4  = 10913
    od#: i0 = 15,    j1 = 3 (d),  i2 = 0      -> 1 + (390 + 3) * 27        = 10612
    #fo: i0 = 0,     j1 = 5 (f),  i2 = 15     -> 1 + 5 * 27 + 15           = 151
    foo: i0 = 6 (f), j1 = 14,     i2 = 15     -> 1 + (156 + 14) * 27 + 15  = 1 + 4590 + 15  = 4606
    ric: i0 = 18,    j1 = 8 (i),  i2 = 3 (c)  -> 1 + (468 + 8) * 27 + 3    = 1 + 12852 + 3  = 12856
    ich: i0 = 9 (i), j1 = 2 (c),  i2 = 8 (h)  -> 1 + (234 + 2) * 27 + 8    = 1 + 6372 + 8   = 6381
    ch#: i0 = 3 (c), j1 = 7 (h),  i2 = 0      -> 1 + (78 + 7) * 27         = 2296
    #a#: all indices 0                        -> 1 (the first id)
    zzz: i0 = 26, j1 = 25, i2 = 26            -> 1 + 701 * 27 + 26         = 18954 (the last exact id)
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import mmh3  # noqa: E402

from wenda.nn.trigrams import (  # noqa: E402
    EXACT,
    letter_trigrams,
    trigram_bags,
    trigram_id,
    trigram_space,
    word_trigram_ids,
    word_trigram_ids_padded,
)
from wenda.rank.cdssm import CDSSM, CDSSMConfig  # noqa: E402
from wenda.rank.dssm import DSSM, DSSMConfig  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402

B = 8192  # the default hash buckets


def _vocab() -> Vocab:
    return Vocab.build([["good"]], oov_buckets=4)


def test_letter_trigrams_of_a_word():
    assert letter_trigrams("good") == ["#go", "goo", "ood", "od#"]
    assert letter_trigrams("Good") == ["#go", "goo", "ood", "od#"]  # case-folded
    assert letter_trigrams("a") == ["#a#"]
    assert letter_trigrams("") == []
    # "İ" lowercases to "i" + a combining dot: "#i̇#" has 4 characters, so 2 trigrams.
    assert len(letter_trigrams("İ")) == 2


def test_exact_ids_by_hand():
    assert [trigram_id(t, B) for t in ["#go", "goo", "ood", "od#"]] == [178, 5308, 10913, 10612]
    assert trigram_id("#a#", B) == 1
    assert trigram_id("zzz", B) == EXACT == 18954
    assert trigram_space(B) == 1 + 18954 + 8192


def test_repeated_trigrams_are_kept():
    # banana: #ba ban ana nan ana na#: "ana" twice.
    ids = word_trigram_ids("banana", B)
    assert len(ids) == 6 and ids[2] == ids[4] == trigram_id("ana", B)


def test_non_ascii_word_hashes_its_other_trigrams():
    # zürich: #zü zür üri (hashed: they hold "ü") ric ich ch# (exact).
    ids = word_trigram_ids("zürich", B)
    hashed = [1 + EXACT + mmh3.hash(t, signed=False) % B for t in ["#zü", "zür", "üri"]]
    assert list(ids) == [*hashed, 12856, 6381, 2296]
    assert all(EXACT < i < trigram_space(B) for i in hashed)
    # Digits are hashed too, into the same range.
    assert all(EXACT < i < trigram_space(B) for i in word_trigram_ids("42", B))


def test_dssm_featurize_gives_the_bags():
    """good food -> #go goo ood od# #fo foo ood od#: ood and od# twice. Sorted ids with counts:
    151 #fo, 178 #go, 4606 foo, 5308 goo, 10612 od# (2), 10913 ood (2). "a" -> {1: 1}. The empty
    text has an empty bag (all padding)."""
    model = DSSM(DSSMConfig(), _vocab())
    f = model.featurize([["good", "food"], ["a"], []], [["a"], [], []])
    assert f["query"].tolist() == [[151, 178, 4606, 5308, 10612, 10913], [1, 0, 0, 0, 0, 0], [0] * 6]
    assert f["query_counts"].tolist() == [[1, 1, 1, 1, 2, 2], [1, 0, 0, 0, 0, 0], [0] * 6]
    assert f["doc"].tolist() == [[1], [0], [0]] and f["doc_counts"].tolist() == [[1], [0], [0]]


def test_dssm_first_layer_sums_count_weighted_rows():
    """The hidden layer over "good food" is tanh(W[151] + W[178] + W[4606] + W[5308] + 2 W[10612]
    + 2 W[10913] + b), the paper's W_1 x on the count vector x, without a dense x."""
    model = DSSM(DSSMConfig(), _vocab())
    ids, counts = trigram_bags([["good", "food"]], B, 20)
    w = model.tower.trigrams.weight
    expected = torch.tanh(w[151] + w[178] + w[4606] + w[5308] + 2 * w[10612] + 2 * w[10913] + model.tower.bias)
    got = torch.tanh(model.tower.trigrams(ids, per_sample_weights=counts) + model.tower.bias)
    torch.testing.assert_close(got[0], expected)


def test_dssm_same_text_scores_gamma():
    """A text against itself: cosine 1, so the score is gamma (10 by default)."""
    model = DSSM(DSSMConfig(), _vocab()).eval()
    with torch.no_grad():
        score = model.score([["good", "food"], []], [["good", "food"], []])
    assert score[0].item() == pytest.approx(10.0, abs=1e-4)
    assert torch.isfinite(score).all()


def test_cdssm_featurize_per_word_bags():
    """[good, a] padded to 3 words: good -> 178 5308 10913 10612; a -> 1; the third word is padding."""
    ids = word_trigram_ids_padded([["good", "a"]], B, 3)
    assert ids.tolist() == [[[178, 5308, 10913, 10612], [1, 0, 0, 0], [0, 0, 0, 0]]]
    assert word_trigram_ids_padded([["x" * 100]], B, 1).shape == (1, 1, 32)  # long words are capped


def test_cdssm_vector_does_not_depend_on_padding():
    """Padding words are zero vectors, like the convolution's own end padding, and max pooling skips
    them, so the same text padded to 3 or 6 words has the same vector."""
    model = CDSSM(CDSSMConfig(), _vocab()).eval()
    with torch.no_grad():
        short = model.tower(word_trigram_ids_padded([["good", "food"]], B, 3))
        long = model.tower(word_trigram_ids_padded([["good", "food"]], B, 6))
        empty = model.tower(word_trigram_ids_padded([[]], B, 4))
    torch.testing.assert_close(short, long)
    assert torch.equal(empty, torch.zeros_like(empty))  # no biases: nothing in, nothing out


@pytest.mark.parametrize("cls", [DSSM, CDSSM])
def test_gamma_is_fixed_or_trained(cls):
    """Fixed gamma is a saved buffer, not a parameter; with learn_gamma it is trained (gets a gradient)."""
    fixed = cls(cls.Config(gamma=5.0), _vocab())
    assert "gamma" not in dict(fixed.named_parameters()) and fixed.state_dict()["gamma"].item() == 5.0
    learned = cls(cls.Config(learn_gamma=True), _vocab())
    learned.score([["good"], ["good"]], [["good", "food"], ["a"]]).sum().backward()
    assert learned.gamma.grad is not None and learned.gamma.grad.abs().item() > 0
