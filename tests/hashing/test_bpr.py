"""BPR's hash layer and losses (Yamada et al. 2021), on examples worked by hand."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from wenda.hashing import HashLayer, binarize, bpr_loss  # noqa: E402


def test_binarize_maps_zero_to_minus_one():
    assert binarize(torch.tensor([0.3, 0.0, -2.0])).tolist() == [1.0, -1.0, -1.0]


def test_beta_follows_the_continuation_schedule():
    layer = HashLayer(4, 8, gamma=0.1)
    assert layer.beta == 1.0
    for _ in range(30):
        layer.advance()
    assert layer.beta == pytest.approx(math.sqrt(1 + 0.1 * 30))  # = 2


def test_loss_worked_example():
    """One query ``q = (1, 0)``, its positive ``(1, 0)`` and a negative ``(0, 1)``; beta = 1.

    Relaxed codes: ``t = tanh(1) = 0.76159``; ``h_q = (t, 0)``, ``h_+ = (t, 0)``, ``h_- = (0, t)``.
    Candidate hinge: ``max(0, 2 - <h_q, h_+> + <h_q, h_->) = 2 - t^2 = 1.41998``.
    Re-ranking: scores ``<q, h_+> = t``, ``<q, h_-> = 0``; cross-entropy ``log(1 + e^-t) = 0.38363``.
    """
    layer = HashLayer(2, 8, gamma=0.001)
    q = torch.tensor([[1.0, 0.0]])
    p = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    t = math.tanh(1.0)
    expected = (2 - t * t) + math.log(1 + math.exp(-t))
    assert bpr_loss(q, p, layer).item() == pytest.approx(expected, rel=1e-6)


def test_loss_is_small_when_codes_separate_well():
    layer = HashLayer(2, 8, gamma=0.001)
    for _ in range(10_000):
        layer.advance()  # beta ~ 31.6: tanh is nearly sign
    q = torch.tensor([[3.0, -3.0], [-3.0, 3.0]])
    p = torch.tensor([[1.0, -1.0], [-1.0, 1.0]])
    # <h_q, h_+> ~ 2, <h_q, h_-> ~ -2: hinge 2 - 2 - 2 < 0 -> 0; re-ranking softmax over (6, -6).
    assert bpr_loss(q, p, layer).item() == pytest.approx(math.log(1 + math.exp(-12)), abs=1e-4)


def test_bits_must_pack_into_bytes():
    with pytest.raises(ValueError, match="multiple of 8"):
        HashLayer(4, 12, gamma=0.001)


def test_untrained_codes_are_lsh_of_the_input():
    """The layer starts as a random orthogonal projection without bias, so its codes' Hamming
    distances follow the inputs' angles (Charikar 2002): the fraction of differing bits estimates
    angle / pi, and a near neighbour differs in fewer bits than an unrelated vector."""
    torch.manual_seed(0)
    layer = HashLayer(384, 384, gamma=0.001)
    assert torch.allclose(layer.proj.weight @ layer.proj.weight.T, torch.eye(384), atol=1e-4)
    x = torch.randn(200, 384)
    near, far = x + 0.3 * torch.randn(200, 384), torch.randn(200, 384)
    codes = [binarize(layer(v)) for v in (x, near, far)]
    differ = [(codes[0] != c).float().mean(1) for c in codes[1:]]  # [200] each
    angle = torch.arccos(torch.nn.functional.cosine_similarity(x, near)) / math.pi  # [200]
    assert (differ[0] < differ[1]).all()
    assert differ[0].mean().item() == pytest.approx(angle.mean().item(), abs=0.02)
    assert differ[1].mean().item() == pytest.approx(0.5, abs=0.02)
