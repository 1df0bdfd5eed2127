"""QANet: the position encoding and the depthwise-separable convolution on hand-worked inputs, masked
self-attention, stochastic depth's schedule, and padding that changes nothing."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from wenda.read.qanet import QANet, QANetConfig, SelfAttention, SeparableConv, position_encoding  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402


def test_position_encoding_worked_example():
    """dim = 4: pair i = 0 has rate 10000^(-0/4) = 1, pair i = 1 has 10000^(-2/4) = 1/100.
    Position 0 is (sin 0, cos 0, sin 0, cos 0) = (0, 1, 0, 1); position 1 is
    (sin 1, cos 1, sin 0.01, cos 0.01)."""
    pe = position_encoding(2, 4)
    expected = torch.tensor(
        [[0.0, 1.0, 0.0, 1.0], [math.sin(1), math.cos(1), math.sin(0.01), math.cos(0.01)]]
    )
    assert torch.allclose(pe, expected, atol=1e-6)
    assert position_encoding(2, 3).shape == (2, 3)  # an odd width drops the last cosine


def test_separable_conv_worked_example_treats_padding_as_zero():
    """One channel, kernel 3 with depthwise weights (1, 2, 3) centred, pointwise weight 1, bias 0:
    y_i = relu(x_{i-1} + 2 x_i + 3 x_{i+1}). Input (1, 2, 4) with the 4 padding is read as (1, 2, 0):
    y = (0 + 2 + 6, 1 + 4 + 0, 2 + 0 + 0) = (8, 5, 2); had the padded 4 been seen, y_1 would be 17.
    A pointwise weight of -1 makes every output negative before the ReLU, so all 0."""
    conv = SeparableConv(1, 3)
    with torch.no_grad():
        conv.depthwise.weight.copy_(torch.tensor([[[1.0, 2.0, 3.0]]]))
        conv.pointwise.weight.fill_(1.0)
        conv.pointwise.bias.zero_()
    x, mask = torch.tensor([[[1.0], [2.0], [4.0]]]), torch.tensor([[True, True, False]])
    assert torch.equal(conv(x, mask), torch.tensor([[[8.0], [5.0], [2.0]]]))
    with torch.no_grad():
        conv.pointwise.weight.fill_(-1.0)
    assert torch.equal(conv(x, mask), torch.zeros(1, 3, 1))


def test_self_attention_ignores_padded_keys():
    """Queries and keys 0 (so equal scores), values x, output identity, 2 heads of width 1: each
    position averages the *real* values. x = ((1, 0), (3, 2), (100, 100)), the last padding:
    every output is ((1 + 3) / 2, (0 + 2) / 2) = (2, 1). A text with no real token gives 0, not NaN."""
    attention = SelfAttention(2, heads=2)
    with torch.no_grad():
        attention.qkv.weight.zero_()
        attention.qkv.bias.zero_()
        attention.qkv.weight[4:].copy_(torch.eye(2))  # rows 4-5 make the values
        attention.out.weight.copy_(torch.eye(2))
        attention.out.bias.zero_()
    x = torch.tensor([[[1.0, 0.0], [3.0, 2.0], [100.0, 100.0]]] * 2)
    mask = torch.tensor([[True, True, False], [False, False, False]])
    out = attention(x, mask)
    assert torch.allclose(out[0], torch.tensor([[2.0, 1.0]] * 3))
    assert torch.equal(out[1], torch.zeros(3, 2))


def test_stochastic_depth_schedule():
    """Two model blocks of 0 convolutions have 2 sublayers each (attention, feed-forward), L = 4;
    sublayer l is dropped with l / 4 * 0.2: 0.05, 0.1, 0.15, 0.2."""
    model = QANet(QANetConfig(layer_dropout=0.2), Vocab.build([["a"]], oov_buckets=1))
    assert [p for block in model._drops(2, 0) for p in block] == pytest.approx([0.05, 0.1, 0.15, 0.2])


def test_layer_dropout_trains_and_is_off_in_eval():
    """With stochastic depth on, training steps stay finite and evaluation is deterministic."""
    torch.manual_seed(0)
    model = QANet(QANetConfig(layer_dropout=0.5, hidden=8, heads=2), Vocab.build([["a", "b"]], oov_buckets=1))
    q, p = [["a"]], [["a", "b", "a"]]
    output, _ = model.train().logits(q, p)
    assert torch.isfinite(output.start).all()
    model.eval()
    with torch.no_grad():
        assert torch.equal(model.logits(q, p)[0].start, model.logits(q, p)[0].start)
