"""Gated-Attention Reader: a hand-worked gated-attention step, the query summary, padding
independence, and gradients on the non-default paths (characters, the ``sum`` gate, one hop)."""

from __future__ import annotations

import math

import pytest

from tests.read.padding import WORDS, assert_padding_invariant

torch = pytest.importorskip("torch")

from wenda.read.base import span_loss  # noqa: E402
from wenda.read.ga_reader import GAReader, GAReaderConfig, gated_attention, query_summary  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402


def test_gated_attention_step_worked_example():
    """One document token ``d = [1, 2]`` and a query of three 2-d states, the third padding:
    ``Q = [[ln 2, 0], [-2, 1], [5, 5]]``.

    Scores ``Q^T d = [ln 2, -2 + 2, 5 + 10] = [ln 2, 0, 15]``. The padded word is masked out, so the
    softmax runs over ``[ln 2, 0]`` alone: ``exp = [2, 1]``, ``α = [2/3, 1/3, 0]`` (unmasked, the
    15 would have taken nearly all of it). Then ``q̃ = 2/3 [ln 2, 0] + 1/3 [-2, 1] =
    [(2 ln 2 - 2) / 3, 1/3]`` and the multiplicative gate gives ``x = d ⊙ q̃ = [(2 ln 2 - 2) / 3,
    2/3]``; the ``sum`` gate gives ``d + q̃ = [1 + (2 ln 2 - 2) / 3, 7/3]``.
    """
    d = torch.tensor([[[1.0, 2.0]]])  # [1, 1, 2]
    q = torch.tensor([[[math.log(2), 0.0], [-2.0, 1.0], [5.0, 5.0]]])  # [1, 3, 2]
    q_mask = torch.tensor([[True, True, False]])
    q_tilde = [(2 * math.log(2) - 2) / 3, 1 / 3]
    x = gated_attention(d, q, q_mask)
    assert torch.allclose(x, torch.tensor([[[q_tilde[0], 2 * q_tilde[1]]]]), atol=1e-6)
    x_sum = gated_attention(d, q, q_mask, torch.add)
    assert torch.allclose(x_sum, torch.tensor([[[1 + q_tilde[0], 2 + q_tilde[1]]]]), atol=1e-6)


def test_query_summary_takes_forward_last_and_backward_first():
    """H = 1: states ``[forward, backward]`` per word; row 0 has 2 real words of 3, row 1 none."""
    q = torch.tensor([[[1.0, 10.0], [2.0, 20.0], [0.0, 0.0]], [[0.0, 0.0]] * 3])  # [2, 3, 2]
    q_mask = torch.tensor([[True, True, False], [False] * 3])
    assert torch.equal(query_summary(q, q_mask), torch.tensor([[2.0, 10.0], [0.0, 0.0]]))


@pytest.mark.parametrize("gate", ["mul", "sum"])
def test_padding_does_not_change_a_pairs_logits(gate):
    """A short pair alone, and the same pair padded beside a longer question and passage (longer
    words too, for the char CNN): the logits at its real positions and its no-answer logit agree."""
    torch.manual_seed(0)
    config = GAReaderConfig(hidden=8, embed_dim=6, char_filters=4, gate=gate, no_answer=True)
    model = GAReader(config, Vocab.build([WORDS])).eval()
    assert_padding_invariant(model, ["who", "wrote", "hamlet"], ["william", "wrote", "it"])


@pytest.mark.parametrize("settings", [{"char_filters": 4, "gate": "sum"}, {"hops": 1}])
def test_every_parameter_gets_a_gradient_off_the_default_path(settings):
    """The contract test covers the default config; this covers characters, the sum gate, one hop."""
    torch.manual_seed(0)
    model = GAReader(GAReaderConfig(hidden=8, embed_dim=6, **settings), Vocab.build([WORDS])).train()
    output, mask = model.logits([["who", "wrote", "hamlet"]] * 2, [WORDS[7:], WORDS[:5]])
    span_loss(
        output, mask, torch.tensor([1, 0]), torch.tensor([2, 1]), torch.ones(2, dtype=torch.bool)
    ).backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing, f"no gradient reaches: {missing}"


def test_rejects_a_bad_config():
    with pytest.raises(ValueError, match="hops"):
        GAReader(GAReaderConfig(hops=0), Vocab.build([WORDS]))
