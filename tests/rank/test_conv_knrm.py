"""Conv-KNRM's n-gram masks and feature layout, worked by hand."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from wenda.rank.conv_knrm import ConvKNRM, ConvKNRMConfig, ngram_mask  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402


def test_ngram_mask_counts_real_ngrams():
    """Trigrams in 6 padded positions: a 5-word text has 5 - 3 + 1 = 3 (starting at 0, 1, 2); a
    1- or 2-word text has its one padded trigram (at 0); an empty text has none. Unigrams are the
    words themselves."""
    lengths = torch.tensor([0, 1, 2, 5])
    assert ngram_mask(lengths, 3, 6).sum(1).tolist() == [0, 1, 1, 3]
    assert ngram_mask(lengths, 3, 6)[3].tolist() == [True, True, True, False, False, False]
    assert ngram_mask(lengths, 1, 6).sum(1).tolist() == [0, 1, 2, 5]


@pytest.mark.parametrize(("crossmatch", "pairs"), [(True, 9), (False, 3)])
def test_feature_count(crossmatch, pairs):
    """n-grams of 1-3 words: 3 x 3 = 9 matrices cross-matched, 3 without; K = 11 features each."""
    vocab = Vocab(["a"], [1], n_docs=1, oov_buckets=1)
    model = ConvKNRM(ConvKNRMConfig(crossmatch=crossmatch), vocab)
    assert model.out.in_features == pairs * 11


def test_score_does_not_depend_on_the_rest_of_the_batch():
    """Batches are cut to their longest text (``wenda.nn.conv.trim``): a pair scores the same alone as
    beside a longer pair."""
    torch.manual_seed(0)
    model = ConvKNRM(ConvKNRMConfig(), Vocab(["a", "b", "c"], [1, 1, 1], n_docs=1, oov_buckets=1)).eval()
    with torch.no_grad():
        alone = model.score([["a"]], [["b", "c"]])
        batch = model.score([["a"], ["a", "b"] * 9], [["b", "c"], ["c", "a"] * 20])
    assert torch.allclose(alone, batch[:1], atol=1e-6)
