"""R-Net: a hand-worked gated attention step, padding independence, and gradients on the
non-default paths (characters, deeper encoders, the paper's additive self-matching)."""

from __future__ import annotations

import math

import pytest

from tests.read.padding import WORDS, assert_padding_invariant

torch = pytest.importorskip("torch")

from wenda.read.base import span_loss  # noqa: E402
from wenda.read.gated import GatedAttentionGRU  # noqa: E402
from wenda.read.rnet import RNet, RNetConfig  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402


def test_gated_attention_step_worked_example():
    """Hidden size 1, so ``u^Q_j``, ``u^P_t`` are 2-d and ``v^P`` is 1-d. ``W^Q_u = W^P_u = [1, 0]``
    (each keeps the first component), ``W^P_v = v = 1``, so the score is
    ``s_j = tanh(u^Q_j[0] + u^P_t[0] + v^P_{t-1})``.

    With ``u^P_t = [0.3, 2]`` and ``v^P_{t-1} = -0.3`` the passage terms cancel, leaving
    ``tanh(u^Q_j[0])``. The question is ``u^Q = [[0, 1], [atanh(ln 2), 3], [5, 7]]`` with the third
    word padding, so the real scores are ``[0, ln 2]`` and ``α = [1, 2] / 3 = [1/3, 2/3, 0]`` (the
    padded word gets nothing, whatever its score). The context is
    ``c_t = 1/3 [0, 1] + 2/3 [atanh(ln 2), 3] = [2/3 atanh(ln 2), 7/3]``.

    The gate ``W_g`` is zero but for ``W_g[1, 1] = ln 3 / 2``: on ``x = [u^P_t; c_t] = [0.3, 2,
    2/3 atanh(ln 2), 7/3]`` it gives ``sigmoid([0, ln 3, 0, 0]) = [1/2, 3/4, 1/2, 1/2]``, so the
    GRU's input is ``g ⊙ x = [0.15, 1.5, 1/3 atanh(ln 2), 7/6]``.
    """
    layer = GatedAttentionGRU(1)
    with torch.no_grad():
        for linear in (layer.w_uq, layer.w_up):
            linear.weight.copy_(torch.tensor([[1.0, 0.0]]))
        layer.w_vp.weight.fill_(1.0)
        layer.v.weight.fill_(1.0)
        layer.gate.weight.zero_()
        layer.gate.weight[1, 1] = math.log(3) / 2
    a = math.atanh(math.log(2))
    uq = torch.tensor([[[0.0, 1.0], [a, 3.0], [5.0, 7.0]]])  # [1, 3, 2]
    q_mask = torch.tensor([[True, True, False]])
    up_t = torch.tensor([[0.3, 2.0]])
    with torch.no_grad():
        x = layer.step(layer.w_uq(uq), uq, q_mask, up_t, layer.w_up(up_t), torch.tensor([[-0.3]]))
    assert torch.allclose(x, torch.tensor([[0.15, 1.5, a / 3, 7 / 6]]), atol=1e-6)


@pytest.mark.parametrize("self_scores", ["dot", "additive"])
def test_padding_does_not_change_a_pairs_logits(self_scores):
    """A short pair alone, and the same pair padded beside a longer question and passage (longer
    words too, for the char CNN): the logits at its real positions and its no-answer logit agree."""
    torch.manual_seed(0)
    config = RNetConfig(
        hidden=8,
        embed_dim=6,
        encoder_layers=2,
        char_filters=4,
        bidirectional_match=True,
        self_scores=self_scores,
        no_answer=True,
    )
    model = RNet(config, Vocab.build([WORDS])).eval()
    assert_padding_invariant(model, ["who", "wrote", "hamlet"], ["william", "wrote", "it"])


def test_every_parameter_gets_a_gradient_with_chars_and_additive_scores():
    """The contract test covers the default config; this covers the paper's full model."""
    torch.manual_seed(0)
    config = RNetConfig(
        hidden=8,
        embed_dim=6,
        encoder_layers=3,
        char_filters=4,
        bidirectional_match=True,
        self_scores="additive",
    )
    model = RNet(config, Vocab.build([WORDS])).train()
    output, mask = model.logits([["who", "wrote", "hamlet"]] * 2, [WORDS[7:], WORDS[:5]])
    span_loss(
        output, mask, torch.tensor([1, 0]), torch.tensor([2, 1]), torch.ones(2, dtype=torch.bool)
    ).backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing, f"no gradient reaches: {missing}"
