"""One check shared by the reader tests: padding must not change a pair's logits."""

from __future__ import annotations

WORDS = [
    "who",
    "wrote",
    "hamlet",
    "when",
    "was",
    "it",
    "written",
    "by",
    "william",
    "shakespeare",
    "in",
    "london",
]


def assert_padding_invariant(
    model, short_q=("who", "wrote", "hamlet"), short_p=("william", "wrote", "it")
) -> None:
    """A short pair alone, and the same pair padded beside a longer question and passage: the logits
    at its real positions (and its no-answer logit, if any) agree."""
    import torch  # here, so that test modules can import this before skipping without torch

    long_q, long_p = WORDS[:7], WORDS[5:] + WORDS[:3]
    model.eval()
    with torch.no_grad():
        alone, _ = model.logits([list(short_q)], [list(short_p)])
        padded, mask = model.logits([long_q, list(short_q)], [long_p, list(short_p)])
    n = len(short_p)
    assert mask[1].sum() == n and mask.shape[1] > n
    assert torch.allclose(padded.start[1, :n], alone.start[0], atol=1e-5)
    assert torch.allclose(padded.end[1, :n], alone.end[0], atol=1e-5)
    if alone.no_answer is not None:
        assert torch.allclose(padded.no_answer[1], alone.no_answer[0], atol=1e-5)
