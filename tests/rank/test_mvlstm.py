"""MV-LSTM: masked k-max pooling on a worked example, and padding that never changes a score.

k-max pooling of x = [3, -1, 5, 2] with the third position masked out (padding): the real values
sorted are 3, 2, -1, so k = 2 keeps [3, 2]; k = 5 asks for more values than there are real ones
(and than there are positions) and the rest are 0: [3, 2, -1, 0, 0]. Nothing real: all 0.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from wenda.nn.matching import masked_kmax  # noqa: E402
from wenda.rank.mvlstm import MVLSTM, MVLSTMConfig  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402

VOCAB = Vocab.build(
    [["where", "is", "paris"], ["paris", "is", "in", "france", "tea", "grows"]], oov_buckets=4
)
QUERIES = [["where", "is", "paris"], ["tea"], [], ["paris"]]
DOCS = [["paris", "is", "in", "france"], ["tea", "grows", "in", "china", "and", "france"], ["tea"], []]


def test_masked_kmax_worked_example():
    x = torch.tensor([[3.0, -1.0, 5.0, 2.0]])
    mask = torch.tensor([[True, True, False, True]])
    assert masked_kmax(x, mask, 2).tolist() == [[3.0, 2.0]]
    assert masked_kmax(x, mask, 5).tolist() == [[3.0, 2.0, -1.0, 0.0, 0.0]]
    assert masked_kmax(x, torch.zeros_like(mask), 2).tolist() == [[0.0, 0.0]]


@pytest.mark.parametrize("match", ["cosine", "bilinear", "tensor"])
def test_padding_length_does_not_change_scores(match):
    """Packed sequences keep padding out of the backward LSTM, and masking keeps padded cells out of
    the pool, so the same pairs padded to other lengths score the same."""
    torch.manual_seed(0)
    model = MVLSTM(MVLSTMConfig(match=match, max_query_len=5, max_doc_len=8), VOCAB).eval()
    with torch.no_grad():
        short = model.score(QUERIES, DOCS)
        model.config.max_query_len, model.config.max_doc_len = 12, 40
        long = model.score(QUERIES, DOCS)
    assert torch.isfinite(short).all()
    assert torch.allclose(short, long, atol=1e-6)


def test_unknown_match_is_refused():
    with pytest.raises(ValueError, match="match"):
        MVLSTM(MVLSTMConfig(match="dot"), VOCAB)
