"""Match-SRNN: the anti-diagonal sweep computes the paper's cell-by-cell recursion, and padding never
changes a score.

The reference below is the spatial GRU written as the paper states it, one cell at a time:
h[i][j] from h[i-1][j] (top), h[i][j-1] (left), h[i-1][j-1] (diagonal) and s_ij, with zero states on
the boundary row and column. The model sweeps whole anti-diagonals at once; both must agree on
every cell.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from wenda.rank.match_srnn import MatchSRNN, MatchSRNNConfig, SpatialGRU  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402

VOCAB = Vocab.build(
    [["where", "is", "paris"], ["paris", "is", "in", "france", "tea", "grows"]], oov_buckets=4
)


def _reference(gru: SpatialGRU, s: torch.Tensor) -> torch.Tensor:
    """h ``[B, Lq + 1, Ld + 1, U]`` by the paper's recursion, one cell at a time (row/col 0: boundary)."""
    batch, lq, ld, _ = s.shape
    u = gru.hidden
    h = [[torch.zeros(batch, u) for _ in range(ld + 1)] for _ in range(lq + 1)]
    for i in range(1, lq + 1):
        for j in range(1, ld + 1):
            q = torch.cat([h[i - 1][j], h[i][j - 1], h[i - 1][j - 1]], -1)  # top, left, diagonal
            a = gru.from_input(s[:, i - 1, j - 1])
            g = a[:, : 7 * u] + gru.from_state(q)
            r = torch.sigmoid(g[:, : 3 * u])
            z = torch.softmax(g[:, 3 * u :].view(batch, 4, u), 1)
            cand = torch.tanh(a[:, 7 * u :] + gru.recur(r * q))
            h[i][j] = (
                z[:, 0] * cand + z[:, 1] * h[i - 1][j] + z[:, 2] * h[i][j - 1] + z[:, 3] * h[i - 1][j - 1]
            )
    return torch.stack([torch.stack(row, 1) for row in h], 1)


def test_anti_diagonal_sweep_equals_cell_by_cell_recursion():
    torch.manual_seed(0)
    gru = SpatialGRU(channels=3, hidden=4)
    s = torch.randn(2, 3, 5, 3)
    with torch.no_grad():
        by_diagonal = gru(s)  # [B, T, Lq, U]
        reference = _reference(gru, s)
    for i in range(3):
        for j in range(5):
            assert torch.allclose(by_diagonal[:, i + j, i], reference[:, i + 1, j + 1], atol=1e-6)


def test_padding_and_batch_company_do_not_change_scores():
    """Each pair is read at its own last real cell, so padding (or a longer pair in the batch) never
    reaches its state; an empty text scores the output bias (zero state)."""
    torch.manual_seed(0)
    model = MatchSRNN(MatchSRNNConfig(max_query_len=6, max_doc_len=10), VOCAB).eval()
    queries = [["where", "is", "paris"], ["tea"], [], ["paris", "is"]]
    docs = [["paris", "is", "in", "france"], ["tea", "grows", "in", "france", "and", "china"], ["tea"], []]
    with torch.no_grad():
        together = model.score(queries, docs)
        alone = torch.cat([model.score([q], [d]) for q, d in zip(queries, docs, strict=True)])
    assert torch.allclose(together, alone, atol=1e-6)
    assert together[2].item() == pytest.approx(model.out.bias.item())
    assert together[3].item() == pytest.approx(model.out.bias.item())
