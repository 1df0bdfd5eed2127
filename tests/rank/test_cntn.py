"""Worked examples for CNTN's dynamic k-max pooling and neural tensor layer."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from wenda.rank.cntn import CNTN, CNTNConfig, kmax_pooling  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402


def _pool(rows, valid, k, size):
    x = torch.tensor([rows], dtype=torch.float32)  # [1, F, L]
    out, keep = kmax_pooling(x, torch.tensor([valid]), torch.tensor([k]), size)
    return out[0].tolist(), keep.item()


def test_kmax_pooling_keeps_the_largest_in_order():
    """Rows [3 1 4 1 5] and [9 2 6 5 3], k = 2: the two largest of each, in sentence order, are
    [4 5] and [9 6]; k = 3 on the first: [3 4 5]."""
    assert _pool([[3, 1, 4, 1, 5], [9, 2, 6, 5, 3]], 5, 2, 2) == ([[4, 5], [9, 6]], 2)
    assert _pool([[3, 1, 4, 1, 5]], 5, 3, 3) == ([[3, 4, 5]], 3)


def test_kmax_pooling_ignores_padding():
    """Only the first 3 positions are real: [3 1 4 | 1 5]. k = 2 -> [3 4] (the 5 is padding); k = 4
    keeps all 3 real values and zero-fills the 4th slot; no real position -> all zero."""
    assert _pool([[3, 1, 4, 1, 5]], 3, 2, 2) == ([[3, 4]], 2)
    assert _pool([[3, 1, 4, 1, 5]], 3, 4, 4) == ([[3, 1, 4, 0]], 3)
    assert _pool([[3, 1, 4, 1, 5]], 0, 2, 2) == ([[0, 0]], 0)


def test_tensor_layer_by_hand():
    """q = [1, 2], d = [3, 4], two slices: M1 = I gives q.d = 3 + 8 = 11, M2 = [[0, 1], [0, 0]]
    gives q0 d1 = 4. V [q; d] = [q0, -d1] = [1, -4]; b = [0, 0.5]. Pre-activation [12, 0.5];
    with u = [1, 2]: s = tanh(12) + 2 tanh(0.5) = 0.99999999992 + 0.92423431452 = 1.92423431."""
    model = CNTN(CNTNConfig(filters=1, k_top=2, slices=2), Vocab.build([["a"]], oov_buckets=1))
    with torch.no_grad():
        model.tensor.weight.copy_(torch.tensor([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 0.0]]]))
        model.tensor.bias.copy_(torch.tensor([0.0, 0.5]))
        model.linear.weight.copy_(torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, -1.0]]))
        model.u.weight.copy_(torch.tensor([[1.0, 2.0]]))
        score = model.match(torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0, 4.0]]))
    assert score.item() == pytest.approx(math.tanh(12) + 2 * math.tanh(0.5), rel=1e-6)
    assert score.item() == pytest.approx(1.92423431, rel=1e-6)


def test_sentence_vector_does_not_depend_on_padding():
    """k-max pooling picks only real positions and s is the real length, so [5 6 7] padded to 3 or
    to 9 words gives the same vector; an empty sentence gives zeros."""
    torch.manual_seed(0)
    model = CNTN(CNTNConfig(), Vocab.build([["a", "b", "c", "d", "e", "f", "g"]], oov_buckets=1)).eval()
    with torch.no_grad():
        short = model.encode(torch.tensor([[5, 6, 7]]))
        long = model.encode(torch.tensor([[5, 6, 7, 0, 0, 0, 0, 0, 0]]))
        empty = model.encode(torch.tensor([[0, 0, 0]]))
    assert short.shape == (1, 50 * 4)
    torch.testing.assert_close(short, long)
    assert torch.equal(empty, torch.zeros_like(empty))
