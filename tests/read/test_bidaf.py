"""BiDAF: the hand-worked character id scheme, the attention flow on a tiny input, and padding that
changes nothing."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from wenda.nn.charcnn import CharCNN, char_id, char_ids  # noqa: E402
from wenda.read.bidaf import attention_flow, similarity  # noqa: E402


def test_char_ids_worked_example():
    """Rows ``["Ab", "é", "中", "abcdefgh"]`` and ``[]``, 5 words per row, words cut at 4 characters.

    - ``A`` is code point 65 -> 66, ``b`` 98 -> 99 (``1 + ord``: 0 stays free for padding).
    - ``é`` is U+00E9 = 233 < 256 -> 234.
    - ``中`` is U+4E2D = 20013 >= 256 -> hashed: murmur3("中", unsigned) = 3739180114, and
      3739180114 mod 256 = 82, so 257 + 82 = 339.
    - ``abcdefgh`` (8 characters) is cut to ``abcd`` -> 98, 99, 100, 101; so W = min(4, 8) = 4.
    - Row 0 has 4 words, so its 5th word is all padding; row 1 is all padding.
    """
    ids = char_ids([["Ab", "é", "中", "abcdefgh"], []], length=5, max_word_len=4)
    expected = torch.zeros(2, 5, 4, dtype=torch.long)
    expected[0, 0, :2] = torch.tensor([66, 99])
    expected[0, 1, 0] = 234
    expected[0, 2, 0] = 339
    expected[0, 3] = torch.tensor([98, 99, 100, 101])
    assert torch.equal(ids, expected)
    assert char_id("\x00") == 1  # NUL is a character, not padding
    assert char_ids([["ab", "c"]], length=1, max_word_len=16).shape == (1, 1, 2)  # W: the longest kept word
    assert char_ids([[]], length=1, max_word_len=16).shape == (1, 1, 1)  # at least 1


def test_char_cnn_ignores_how_much_padding_a_word_has():
    """The same word padded to 3 or to 9 characters (a longer word elsewhere in the batch) encodes
    the same; a padded word encodes to 0."""
    torch.manual_seed(0)
    cnn = CharCNN(dim=4, filters=6, width=5, dropout=0.0)
    word = torch.tensor([5, 6, 7])
    short = torch.zeros(1, 2, 3, dtype=torch.long)
    long = torch.zeros(1, 2, 9, dtype=torch.long)
    short[0, 0], long[0, 0, :3] = word, word
    a, b = cnn(short), cnn(long)  # [1, 2, 6]
    assert torch.allclose(a, b, atol=1e-6)
    assert torch.all(a[0, 1] == 0)


def test_similarity_worked_example():
    """D = 1, w = (2, 3, 1): S_tj = 2 h_t + 3 u_j + h_t u_j; h = (1, 2), u = (1, -1) gives
    S = [[2 + 3 + 1, 2 - 3 - 1], [4 + 3 + 2, 4 - 3 - 2]] = [[6, -2], [9, -1]]."""
    s = similarity(
        torch.tensor([[[1.0], [2.0]]]), torch.tensor([[[1.0], [-1.0]]]), torch.tensor([2.0, 3.0, 1.0])
    )
    assert torch.equal(s, torch.tensor([[[6.0, -2.0], [9.0, -1.0]]]))


def test_attention_flow_worked_example_masks_padding():
    """D = 1, w = (0, 0, 1) so S_tj = h_t u_j. Passage h = (1, 2, 5) with the 5 padding; question
    u = (1, 3) with the 3 padding. S = [[1, 3], [2, 6], [5, 15]].

    - Context-to-query: only j = 0 is real, so every row of ``a`` is (1, 0) and ũ_t = 1.
    - Query-to-context: the max over *real* question words is S[:, 0] = (1, 2, 5) (over all words
      it would be (3, 6, 15)); the softmax over the real t = 0, 1 gives b = (1, e, 0) / (1 + e).
    - h̃ = (1 * 1 + 2 * e) / (1 + e); G_t = [h_t, ũ_t, h_t ũ_t, h_t h̃].
    """
    h, u = torch.tensor([[[1.0], [2.0], [5.0]]]), torch.tensor([[[1.0], [3.0]]])
    p_mask, q_mask = torch.tensor([[True, True, False]]), torch.tensor([[True, False]])
    s = similarity(h, u, torch.tensor([0.0, 0.0, 1.0]))
    g, a, b = attention_flow(h, u, s, p_mask, q_mask)
    e = math.e
    assert torch.allclose(a, torch.tensor([[[1.0, 0.0]] * 3]))
    assert torch.allclose(b, torch.tensor([[1 / (1 + e), e / (1 + e), 0.0]]))
    h_tilde = (1 + 2 * e) / (1 + e)
    assert torch.allclose(g[0, 1], torch.tensor([2.0, 1.0, 2.0, 2 * h_tilde]))
    assert g.shape == (1, 3, 4)


def test_attention_flow_with_an_empty_question_gives_zero_weights():
    h, u = torch.randn(1, 2, 3), torch.randn(1, 1, 3)
    s = similarity(h, u, torch.randn(9))
    g, a, b = attention_flow(h, u, s, torch.tensor([[True, True]]), torch.tensor([[False]]))
    assert torch.all(a == 0) and torch.allclose(b, torch.tensor([[0.5, 0.5]])) and torch.isfinite(g).all()
