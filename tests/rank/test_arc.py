"""ARC-I's padding gate and ARC-II's first layer on hand-computed one-dimensional examples.

Words get 1-d vectors (a = 1, b = 2, c = 3, padding = 0) and one filter of window 2, so every
convolution output can be worked out by hand; a hook reads the vector the MLP receives.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from wenda.rank.arci import ArcI, ArcIConfig  # noqa: E402
from wenda.rank.arcii import ArcII, ArcIIConfig  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402


def _vocab() -> Vocab:
    return Vocab(["a", "b", "c"], [1, 1, 1], n_docs=1, oov_buckets=1)  # ids: a = 2, b = 3, c = 4


def _mlp_input(model, query, doc) -> list[float]:
    seen = []
    model.mlp.register_forward_hook(lambda module, args, out: seen.append(args[0]))
    with torch.no_grad():
        model.set_embeddings(torch.tensor([[0.0], [0.0], [1.0], [2.0], [3.0]]))
        model.score([query], [doc])
    return seen[0][0].tolist()


def test_arci_gate_zeroes_windows_of_padding_only():
    """Filter weights [1, 1], bias 1, one conv + pool layer, query length 4, text length 2.

    Query "a" = [1, 0, 0, 0]: windows [1, 0] -> 1 + 0 + 1 = 2; [0, 0], [0, 0], [0, pad] are padding
    only -> gated to 0 (ungated they would give relu(1) = 1). Pool by 2: [max(2, 0), max(0, 0)] = [2, 0].
    Text "a b" = [1, 2]: windows [1, 2] -> 4 and [2, pad] -> 3 (holds "b", kept). Pool: [4].
    The MLP sees the concatenation [2, 0, 4].
    """
    config = ArcIConfig(
        embed_dim=1, filters=1, window=2, layers=1, max_query_len=4, max_doc_len=2, dropout=0.0
    )
    model = ArcI(config, _vocab()).eval()
    conv = model.towers[0][0]
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([[[1.0, 1.0]]]))
        conv.bias.fill_(1.0)
    assert _mlp_input(model, ["a"], ["a", "b"]) == [2.0, 0.0, 4.0]


def test_arcii_first_layer_is_a_convolution_of_window_pairs():
    """Paper eq. 3: cell (i, j) = relu(w . [x_i, x_i+1, y_j, y_j+1] + b) with w = [1, -1, 2, 0.5],
    b = 0.5 (as wenda splits it: query filter [1, -1], text filter [2, 0.5] with the bias).

    Query "a b" padded to 3 = [1, 2, 0]; text "c" padded to 2 = [3, 0].
      (0, 0): 1 - 2 + 6 + 0 + 0.5 = 5.5      (0, 1): 1 - 2 + 0 + 0 + 0.5 -> relu 0, and gated
      (1, 0): 2 - 0 + 6 + 0 + 0.5 = 8.5      (1, 1): text window is padding only -> gated
      (2, 0): query window is padding only -> gated (the paper's gate would keep relu(6.5) = 6.5)
    2 x 2 max-pool (ceil): rows 0-1 x cols 0-1 -> max(5.5, 8.5) = 8.5; row 2 x cols 0-1 -> 0.
    """
    config = ArcIIConfig(
        embed_dim=1, filters=1, window=2, layers=1, max_query_len=3, max_doc_len=2, dropout=0.0
    )
    model = ArcII(config, _vocab()).eval()
    with torch.no_grad():
        model.q_conv.weight.copy_(torch.tensor([[[1.0, -1.0]]]))
        model.d_conv.weight.copy_(torch.tensor([[[2.0, 0.5]]]))
        model.d_conv.bias.fill_(0.5)
    assert _mlp_input(model, ["a", "b"], ["c"]) == [8.5, 0.0]


@pytest.mark.parametrize("cls", [ArcI, ArcII])
def test_empty_texts_give_a_zero_representation(cls):
    """With no real word on either side every gated cell is 0, whatever the weights."""
    model = cls(cls.Config(), _vocab()).eval()
    assert all(v == 0.0 for v in _mlp_input(model, [], []))


@pytest.mark.parametrize("cls", [ArcI, ArcII])
def test_score_does_not_depend_on_the_rest_of_the_batch(cls):
    """Batches are cut to their longest text (``wenda.nn.conv.trim``) and padded back before the MLP:
    a pair scores the same alone as beside a longer pair."""
    torch.manual_seed(0)
    model = cls(cls.Config(), _vocab()).eval()
    with torch.no_grad():
        alone = model.score([["a"]], [["b", "c"]])
        batch = model.score([["a"], ["a", "b"] * 9], [["b", "c"], ["c", "a"] * 20])
    assert torch.allclose(alone, batch[:1], atol=1e-6)
