"""DrQA's Document Reader: hand-worked token features, masked aligned attention, partial tuning."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from wenda.read.drqa import DrQA, DrQAConfig, aligned_attention  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402


def _model(**settings) -> DrQA:
    torch.manual_seed(0)
    vocab = Vocab.build([["cats", "running", "run", "fast", "dogs"]], oov_buckets=4)
    return DrQA(DrQAConfig(**settings), vocab)


def test_exact_match_and_tf_features_worked_example():
    """Question ``cats running``; passage ``Cats run cats fast`` (case kept, as if the tokenizer did).

    Snowball stems: cats -> cat, running -> run, run -> run, Cats -> (lowercase) cat.
    Features per token are [original-case match, lowercase match, stem match, tf / passage length]:

    - ``Cats``: "Cats" is not a question token (0); "cats" is (1); stem "cat" is (1); lowercase
      "cats" occurs twice in 4 tokens: 2/4 = 0.5.
    - ``run``: 0, 0; stem "run" = stem of "running" (1); 1/4 = 0.25.
    - ``cats``: 1, 1, 1, 0.5.
    - ``fast``: 0, 0, 0, 0.25.

    The batch's second passage is one token long, so the first is padded to 4 with zero rows past it.
    """
    model = _model()
    batch = model.featurize([["cats", "running"], []], [["Cats", "run", "cats", "fast"], ["dogs"]])
    expected = torch.tensor([[0, 1, 1, 0.5], [0, 0, 1, 0.25], [1, 1, 1, 0.5], [0, 0, 0, 0.25]])
    assert batch["features"].shape == (2, 4, 4)
    assert torch.equal(batch["features"][0], expected)
    assert torch.equal(
        batch["features"][1], torch.tensor([[0, 0, 0, 1.0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])
    )
    assert batch["question"].shape == (2, 2) and batch["passage"].shape == (2, 4)


def test_features_follow_truncation_to_max_passage_len():
    """tf counts the passage the model sees: ``cats cats`` of ``cats cats fast`` capped at 2 -> 2/2."""
    model = _model(max_passage_len=2)
    batch = model.featurize([["cats"]], [["cats", "cats", "fast"]])
    assert torch.equal(batch["features"][0, :, 3], torch.tensor([1.0, 1.0]))


def test_aligned_attention_ignores_padded_question_words():
    """Padded question positions get weight 0, real ones share 1; changing what sits at a padded
    position (its vector) changes nothing."""
    torch.manual_seed(0)
    proj = torch.nn.Linear(6, 6)
    p, q = torch.randn(2, 5, 6), torch.randn(2, 3, 6)
    q_mask = torch.tensor([[True, True, False], [True, False, False]])
    attn = aligned_attention(p, q, q_mask, proj)  # [2, 5, 3]
    assert attn.shape == (2, 5, 3)
    assert torch.all(attn[0, :, 2] == 0) and torch.all(attn[1, :, 1:] == 0)
    assert torch.allclose(attn.sum(-1), torch.ones(2, 5))
    q2 = q.clone()
    q2[~q_mask] = 100.0
    assert torch.equal(attn, aligned_attention(p, q2, q_mask, proj))


def test_empty_question_gives_no_attention_and_finite_logits():
    model = _model().eval()
    with torch.no_grad():
        out, _ = model.logits([[]], [["cats", "run"]])
    assert torch.isfinite(out.start).all() and torch.isfinite(out.end).all()


def test_padding_does_not_change_a_passage_logits():
    """Packed LSTMs and masks: a passage's logits are the same alone or beside a longer one."""
    model = _model().eval()
    with torch.no_grad():
        alone, _ = model.logits([["cats"]], [["cats", "run"]])
        batched, _ = model.logits([["cats"], ["dogs", "fast", "run"]], [["cats", "run"], ["fast"] * 6])
    assert torch.allclose(alone.start[0], batched.start[0, :2], atol=1e-6)
    assert torch.allclose(alone.end[0], batched.end[0, :2], atol=1e-6)


def test_tune_top_k_updates_only_the_most_frequent_words():
    model = _model(tune_top_k=2)
    out, mask = model.logits([["cats", "dogs"]], [["cats", "run", "fast", "dogs"]])
    (out.start.sum() + out.end.sum()).backward()
    grad = model.embedding.weight.grad.abs().sum(1)  # [V]
    offset = model.vocab.offset
    assert grad[offset : offset + 2].gt(0).any()
    assert torch.all(grad[:offset] == 0) and torch.all(grad[offset + 2 :] == 0)
