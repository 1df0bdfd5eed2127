"""DRMM's matching histograms and term gates on a worked example, numbers derived by hand.

Vocabulary: a, b, c, d built from 3 documents with df(a) = 2, df(b) = 1, df(c) = 2, df(d) = 1, one OOV
bucket, so ids are pad 0, bucket 1, a 2, b 3, c 4, d 5. Two-dimensional word vectors:
a = (1, 0), b = (0, 1), c = (1, 1), d = (-1, 0).

Query "a b" (padded to 3), text "a c d" (padded to 5). Cosines:
    a: a 1 (same word: exact), c 1/sqrt(2) = 0.707, d -1
    b: a 0, c 0.707, d 0
With the paper's 5-bin example, [-1, -0.5) [-0.5, 0) [0, 0.5) [0.5, 1) and exact matches,
the soft bin of a cosine s is floor((s + 1) / 2 * 4): -1 -> 0, 0 -> 2, 0.707 -> floor(3.41) = 3.
    CH   a: [1, 0, 0, 1, 1]               b: [0, 0, 2, 1, 0]
    NH   (CH / 3 text words)  a: [1/3, 0, 0, 1/3, 1/3]   b: [0, 0, 2/3, 1/3, 0]
    LCH  log10(1 + CH)  a: [0.30103, 0, 0, 0.30103, 0.30103]   b: [0, 0, 0.47712, 0.30103, 0]
The padded query row is all zeros, and the two padded text positions (cosine 0 with everything, so
bin 2 if they were counted) add nothing: b's bin 2 stays 2, a's stays 0.

IDF = ln((1 + N) / (1 + df)) with N = 3: a ln(4/3), b ln(2), an unseen word (df 0) ln(4), the largest.
With the gate weight at its initial 1, g_i is proportional to exp(idf_i) = 4/3 and 2 for a and b:
g = (4/3) / (10/3) = 0.4 and 2 / (10/3) = 0.6, and 0 on the padded position.

Score with a matching network reading only the exact bin (hidden unit 0 = that bin, output = unit 0,
no biases), in LCH: z_a = tanh(tanh(0.30103)), z_b = tanh(tanh(0)) = 0, so s = 0.4 * z_a.
"""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from wenda.rank.drmm import DRMM, DRMMConfig  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402

VOCAB = Vocab(["a", "b", "c", "d"], [2, 1, 2, 1], n_docs=3, oov_buckets=1)
VECTORS = torch.tensor([[0.0, 0.0], [0.0, -1.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]])
L2 = math.log10(2)


def _model(**overrides) -> DRMM:
    config = DRMMConfig(embed_dim=2, bins=5, max_query_len=3, max_doc_len=5, **overrides)
    model = DRMM(config, VOCAB)
    model.set_embeddings(VECTORS)
    return model.eval()


def _batch(model: DRMM):
    features = model.featurize([["a", "b"]], [["a", "c", "d"]])
    return features["query"], features["doc"]


@pytest.mark.parametrize(
    ("histogram", "expected"),
    [
        ("ch", [[1, 0, 0, 1, 1], [0, 0, 2, 1, 0], [0, 0, 0, 0, 0]]),
        ("nh", [[1 / 3, 0, 0, 1 / 3, 1 / 3], [0, 0, 2 / 3, 1 / 3, 0], [0, 0, 0, 0, 0]]),
        ("lch", [[L2, 0, 0, L2, L2], [0, 0, math.log10(3), L2, 0], [0, 0, 0, 0, 0]]),
    ],
)
def test_histograms_of_the_worked_example(histogram, expected):
    model = _model(histogram=histogram)
    with torch.no_grad():
        hist = model.histogram(*_batch(model))
    assert torch.allclose(hist[0], torch.tensor(expected, dtype=torch.float32), atol=1e-6)


def test_idf_and_gates_of_the_worked_example():
    model = _model()
    idf = model.idf
    assert idf[VOCAB.id("a")].item() == pytest.approx(math.log(4 / 3))
    assert idf[VOCAB.id("b")].item() == pytest.approx(math.log(2))
    assert idf[VOCAB.id("never-seen")].item() == pytest.approx(math.log(4)) == pytest.approx(idf.max().item())
    assert idf[0].item() == 0.0
    query, _ = _batch(model)
    assert torch.allclose(model.gates(query)[0], torch.tensor([0.4, 0.6, 0.0]), atol=1e-6)


@pytest.mark.parametrize("gate", ["idf", "tv"])
def test_gates_are_a_softmax_over_real_terms_only(gate):
    model = _model(gate=gate)
    query = torch.tensor([[2, 3, 0], [4, 0, 0], [0, 0, 0]])
    g = model.gates(query)
    assert torch.allclose(g.sum(1), torch.tensor([1.0, 1.0, 0.0]))
    assert (g[query == 0] == 0).all() and torch.isfinite(g).all()


def test_score_of_the_worked_example():
    model = _model()
    with torch.no_grad():
        for layer in (model.matching[0], model.matching[2]):
            layer.weight.zero_()
            layer.bias.zero_()
        model.matching[0].weight[0, 4] = 1.0  # hidden unit 0 reads the exact-match bin
        model.matching[2].weight[0, 0] = 1.0
        score = model(*_batch(model))
    assert score.item() == pytest.approx(0.4 * math.tanh(math.tanh(L2)), abs=1e-6)


def test_word_vectors_are_frozen_by_default_and_unknown_settings_refused():
    assert not _model().embedding.weight.requires_grad
    with pytest.raises(ValueError, match="histogram"):
        _model(histogram="log")
    with pytest.raises(ValueError, match="gate"):
        _model(gate="att")
