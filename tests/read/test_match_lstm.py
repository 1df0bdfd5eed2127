"""Match-LSTM: a hand-worked attention step, reversal within lengths, padding independence."""

from __future__ import annotations

import math

import pytest

from tests.read.padding import WORDS, assert_padding_invariant

torch = pytest.importorskip("torch")

from wenda.read.match_lstm import MatchLSTM, MatchLSTMConfig, MatchLSTMReader, reverse_within  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402


def test_attention_step_worked_example():
    """Hidden size 1, every weight 1 and ``b^p = 0``, so ``G_ij = tanh(H^q_j + h^p_i + h^r_{i-1})``
    and the score is ``w^T G_ij = G_ij``.

    With ``h^p_i = 0.3`` and ``h^r_{i-1} = -0.3`` the passage terms cancel, leaving
    ``tanh(H^q_j)``. The question is ``H^q = [0, atanh(ln 2), 5]`` with the third word padding, so the
    scores of the real words are ``[tanh 0, tanh atanh ln 2] = [0, ln 2]``, and
    ``α = [e^0, e^{ln 2}] / (1 + 2) = [1/3, 2/3]``; the padded word gets 0, however large its score
    would be. The context ``H^q α^T`` is ``2/3 · atanh(ln 2)``.
    """
    layer = MatchLSTM(1)
    with torch.no_grad():
        for linear in (layer.w_q, layer.w_p, layer.w_r, layer.w):
            linear.weight.fill_(1.0)
        layer.w_p.bias.zero_()
    hq = torch.tensor([[[0.0], [math.atanh(math.log(2))], [5.0]]])  # [1, 3, 1]
    q_mask = torch.tensor([[True, True, False]])
    with torch.no_grad():
        alpha = layer.attend(layer.w_q(hq), layer.w_p(torch.tensor([[0.3]])), torch.tensor([[-0.3]]), q_mask)
    assert torch.allclose(alpha, torch.tensor([[1 / 3, 2 / 3, 0.0]]), atol=1e-6)
    context = torch.bmm(alpha[:, None, :], hq).squeeze()
    assert context.item() == pytest.approx(2 / 3 * math.atanh(math.log(2)), abs=1e-6)


def test_reverse_within_keeps_padding_in_place_and_undoes_itself():
    """Row lengths 3 and 1 of 4 steps: ``[1 2 3 p] -> [3 2 1 p]``, ``[5 p p p]`` unchanged."""
    x = torch.tensor([[1.0, 2, 3, 0], [5, 0, 0, 0]])[:, :, None]
    lengths = torch.tensor([3, 1])
    flipped = reverse_within(x, lengths)
    assert torch.equal(flipped.squeeze(-1), torch.tensor([[3.0, 2, 1, 0], [5, 0, 0, 0]]))
    assert torch.equal(reverse_within(flipped, lengths), x)


def test_padding_does_not_change_a_pairs_logits():
    """A short pair alone, and the same pair padded beside a longer question and passage: the
    logits at its real positions (and its no-answer logit) agree."""
    torch.manual_seed(0)
    model = MatchLSTMReader(
        MatchLSTMConfig(hidden=8, embed_dim=6, no_answer=True), Vocab.build([WORDS])
    ).eval()
    assert_padding_invariant(model, ["who", "wrote", "hamlet"], ["william", "shakespeare", "wrote", "it"])
