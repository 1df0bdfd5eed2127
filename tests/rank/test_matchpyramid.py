"""MatchPyramid's dynamic pooling (wenda.nn.conv.dynamic_max_pool2d) on hand-computed matrices, and
the model's indifference to padding."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402

from wenda.nn.conv import dynamic_max_pool2d, pool_regions  # noqa: E402
from wenda.rank.matchpyramid import MatchPyramid, MatchPyramidConfig  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402

P = 99.0  # a padding value larger than any real one: it must never come out of a max


def test_regions_tile_the_real_length():
    """Region i of d along a real length n is [floor(i n / d), ceil((i + 1) n / d)).

    n = 7, d = 3: [0, ceil(7/3) = 3), [floor(7/3) = 2, ceil(14/3) = 5), [floor(14/3) = 4, 7).
    n = 2, d = 3 (shorter than the grid): [0, ceil(2/3) = 1), [floor(2/3) = 0, ceil(4/3) = 2),
    [floor(4/3) = 1, 2): rows {0}, {0, 1}, {1}, each non-empty.
    n = 40, d = 10: ten regions of 4. n = 0: every region is empty ([0, 0)).
    """
    start, end = pool_regions(torch.tensor([7, 2, 40, 0]), 3)
    assert start[:2].tolist() == [[0, 2, 4], [0, 0, 1]]
    assert end[:2].tolist() == [[3, 5, 7], [1, 2, 2]]
    assert start[3].tolist() == end[3].tolist() == [0, 0, 0]
    start, end = pool_regions(torch.tensor([40]), 10)
    assert start[0].tolist() == list(range(0, 40, 4)) and end[0].tolist() == list(range(4, 41, 4))


def test_padding_never_enters_the_max():
    """A 4 x 5 padded matrix whose real corner is 3 x 4, the padding holding 99:

        1 5 2 0 | 99
        3 1 4 6 | 99
        2 8 1 7 | 99
        --------
        99 ...  | 99

    Pooled to 2 x 2: rows n = 3 -> [0, 2), [1, 3) (rows 0-1, rows 1-2); columns m = 4 -> [0, 2),
    [2, 4). Cells: max{1, 5, 3, 1} = 5, max{2, 0, 4, 6} = 6, max{3, 1, 2, 8} = 8,
    max{4, 6, 1, 7} = 7. Padded rows and columns get no gradient.
    """
    real = torch.tensor([[1.0, 5, 2, 0], [3, 1, 4, 6], [2, 8, 1, 7]])
    x = torch.full((1, 1, 4, 5), P)
    x[0, 0, :3, :4] = real
    x.requires_grad_(True)
    out = dynamic_max_pool2d(x, torch.tensor([3]), torch.tensor([4]), (2, 2))
    assert out[0, 0].tolist() == [[5.0, 6.0], [8.0, 7.0]]
    out.sum().backward()
    assert x.grad[0, 0, 3, :].abs().sum() == 0 and x.grad[0, 0, :, 4].abs().sum() == 0


def test_negative_matrix_is_not_lifted_by_zero_padding():
    """Real corner [[-1, -2], [-3, -4]] inside zeros, one region: the max is -1, not the padding's 0."""
    x = torch.zeros(1, 1, 3, 3)
    x[0, 0, :2, :2] = torch.tensor([[-1.0, -2], [-3, -4]])
    assert dynamic_max_pool2d(x, torch.tensor([2]), torch.tensor([2]), (1, 1)).item() == -1.0


def test_short_query_repeats_its_rows_and_empty_text_pools_to_zero():
    """A 2-row corner pooled to 3 rows uses rows {0}, {0, 1}, {1} (see the regions test): with rows
    [1, 2] and [4, 3] (one column region) the cells are 2, max(2, 4) = 4, 4. A matrix with no real
    column pools to 0 everywhere."""
    x = torch.full((2, 1, 3, 2), P)
    x[0, 0, :2, :] = torch.tensor([[1.0, 2], [4, 3]])
    out = dynamic_max_pool2d(x, torch.tensor([2, 3]), torch.tensor([2, 0]), (3, 1))
    assert out[0, 0, :, 0].tolist() == [2.0, 4.0, 4.0]
    assert out[1].abs().sum() == 0


def test_matches_adaptive_pooling_of_the_cropped_corner():
    """Parity with PyTorch's adaptive max pooling run on each matrix's real corner alone."""
    torch.manual_seed(0)
    x = torch.randn(4, 2, 20, 40)
    rows, cols = torch.tensor([1, 7, 20, 13]), torch.tensor([40, 5, 1, 29])
    out = dynamic_max_pool2d(x, rows, cols, (3, 10))
    for b in range(4):
        expected = F.adaptive_max_pool2d(x[b : b + 1, :, : rows[b], : cols[b]], (3, 10))
        assert torch.equal(out[b : b + 1], expected)


@pytest.mark.parametrize("matching", ["cosine", "dot", "indicator"])
def test_score_does_not_depend_on_padding_length(matching):
    """The pooled grid's size is fixed, so the same weights fit any max length: padding a text to 60
    instead of 40 (or a query to 30 instead of 20) must not change its score, and neither must the
    other pairs of its batch (batches are cut to their longest text)."""
    vocab = Vocab.build([["where", "is", "paris"], ["paris", "is", "in", "france"]], oov_buckets=4)
    torch.manual_seed(0)
    short = MatchPyramid(MatchPyramidConfig(matching=matching), vocab).eval()
    long = MatchPyramid(MatchPyramidConfig(matching=matching, max_query_len=30, max_doc_len=60), vocab).eval()
    long.load_state_dict(short.state_dict())
    queries, docs = [["where", "is", "paris"], ["paris"]], [["paris", "is", "in", "france"], []]
    with torch.no_grad():
        scores = short.score(queries, docs)
        assert torch.allclose(scores, long.score(queries, docs), atol=1e-6)
        assert torch.allclose(scores[1:], short.score(queries[1:], docs[1:]), atol=1e-6)  # batch-independent
