"""K-NRM's kernels and kernel pooling on hand-worked examples (Xiong et al. 2017, eq. 2-3)."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from wenda.rank.knrm import kernel_centers, kernel_pooling  # noqa: E402


def test_kernel_centers_follow_the_paper():
    """11 kernels: mu = 1 (exact match), then 0.9, 0.7, ..., -0.9 (step 0.2)."""
    assert kernel_centers(11) == pytest.approx([1.0, 0.9, 0.7, 0.5, 0.3, 0.1, -0.1, -0.3, -0.5, -0.7, -0.9])
    with pytest.raises(ValueError):
        kernel_centers(1)


def test_kernel_pooling_worked_example():
    """One real query word against doc words with cosines 1.0 and 0.8, one padded doc word (0.9)
    and one padded query word.

    Exact kernel (mu 1, sigma 1e-3): exp(0) + exp(-0.04 / 2e-6) = 1 + ~0 -> log(1) = 0.
    Soft kernel (mu 0.9, sigma 0.1): exp(-0.01 / 0.02) twice = 2 * 0.606531 = 1.213061;
    log(1.213061) = 0.193145, times 0.01 -> 0.00193145. The padded doc word (0.9 would add
    exp(0) = 1) and the padded query word must not count.
    """
    sim = torch.tensor([[[1.0, 0.8, 0.9], [0.9, 0.9, 0.9]]])  # [B=1, Lq=2, Ld=3]
    q_mask = torch.tensor([[1.0, 0.0]])
    d_mask = torch.tensor([[1.0, 1.0, 0.0]])
    mu, sigma = torch.tensor([1.0, 0.9]), torch.tensor([1e-3, 0.1])
    features = kernel_pooling(sim, q_mask, d_mask, mu, sigma)  # [1, 2]
    assert features[0, 0].item() == pytest.approx(0.0, abs=1e-7)
    assert features[0, 1].item() == pytest.approx(0.01 * math.log(2 * math.exp(-0.5)), rel=1e-5)


def test_empty_doc_gives_the_clamped_floor_not_nan():
    """No real doc word: soft-TF 0, clamped to 1e-10, log = -23.02585, times 0.01 per query word."""
    sim = torch.zeros(1, 1, 2)
    features = kernel_pooling(sim, torch.ones(1, 1), torch.zeros(1, 2), torch.tensor([1.0]), torch.tensor([0.1]))
    assert features.item() == pytest.approx(0.01 * math.log(1e-10), rel=1e-5)
