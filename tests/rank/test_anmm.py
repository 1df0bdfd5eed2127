"""aNMM's bin sums and score on a worked example, numbers derived by hand.

Words pad 0, bucket 1, a 2, b 3, c 4, d 5 with vectors a = (1, 0), b = (0, 1), c = (1, 1),
d = (-1, 0). Question "a b" (padded to 3), answer "a c d" (padded to 5), 5 bins laid out as DRMM's
([-1, -0.5) [-0.5, 0) [0, 0.5) [0.5, 1) and exact matches); soft bin of s = floor((s + 1) * 2).
Matching signals: a: a exact (1, bin 4), c 0.70711 (bin 3), d -1 (bin 0); b: a 0 (bin 2),
c 0.70711 (bin 3), d 0 (bin 2). Bin sums x_jk (sum of the signals in each bin):
    a: [-1, 0, 0, 0.70711, 1]      b: [0, 0, 0, 0.70711, 0]      padding: all 0
Padded answer positions would be exact matches of a padded question position (id 0 = id 0); they
are never counted, so the padded row stays 0.

Score (aNMM-1) with value-shared weights reading only the exact bin (w = [0, 0, 0, 0, 1], b = 0) and
a zero attention vector (equal gates 1/2 over the two real words): h_a = tanh(1), h_b = tanh(0) = 0,
s = tanh(1) / 2 = 0.380797.
"""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from wenda.rank.anmm import ANMM, ANMMConfig  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402

VOCAB = Vocab(["a", "b", "c", "d"], [2, 1, 2, 1], n_docs=3, oov_buckets=1)
VECTORS = torch.tensor([[0.0, 0.0], [0.0, -1.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]])
R = 1 / math.sqrt(2)


def _model(**overrides) -> ANMM:
    model = ANMM(ANMMConfig(embed_dim=2, bins=5, max_query_len=3, max_doc_len=5, **overrides), VOCAB)
    model.set_embeddings(VECTORS)
    return model.eval()


def _batch(model: ANMM):
    features = model.featurize([["a", "b"]], [["a", "c", "d"]])
    return features["query"], features["doc"]


def test_bin_sums_of_the_worked_example():
    model = _model()
    with torch.no_grad():
        x = model.bin_sums(*_batch(model))
    expected = torch.tensor([[-1, 0, 0, R, 1], [0, 0, 0, R, 0], [0, 0, 0, 0, 0]], dtype=torch.float32)
    assert torch.allclose(x[0], expected, atol=1e-6)


def test_score_of_the_worked_example():
    model = _model()
    with torch.no_grad():
        model.value_shared.weight.copy_(torch.tensor([[0.0, 0.0, 0.0, 0.0, 1.0]]))
        model.value_shared.bias.zero_()
        model.attention.weight.zero_()
        score = model(*_batch(model))
    assert score.item() == pytest.approx(math.tanh(1) / 2, abs=1e-6)


def test_anmm2_has_a_second_layer_and_scores_finitely():
    model = _model(hidden=4)
    assert model.combine is not None and model.value_shared.out_features == 4
    with torch.no_grad():
        assert torch.isfinite(model(*_batch(model))).all()
