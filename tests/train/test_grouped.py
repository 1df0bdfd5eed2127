"""Training readers that rank passages: BM25 distractors, the group softmax, R^3's reward, the
rank-weighted answer scores, and the CLI training R^3 end to end."""

from __future__ import annotations

import json
import math

import pytest

from tests.train.test_reading import train_tiny

torch = pytest.importorskip("torch")

from wenda.read.base import ReaderOutput, rank_weighted  # noqa: E402
from wenda.train.distractors import distractors, every  # noqa: E402
from wenda.train.grouped import _group_log_softmax, reward  # noqa: E402


def test_distractors_are_bm25_best_without_the_answer():
    windows = [
        ["the", "seine", "flows", "through", "paris"],
        ["paris", "is", "the", "capital", "of", "france"],
        ["the", "thames", "flows", "through", "london"],
        ["cheese", "is", "made", "from", "milk"],
    ]
    picks = distractors([["which", "river", "flows", "through", "paris"]], windows, [("seine",)], k=2)
    # window 0 holds the answer; of the rest, 1 and 2 share terms with the question, 3 none
    assert picks == [[1, 2]] or picks == [[2, 1]]
    none_left = distractors([["paris"]], windows[:2], [("paris",)], k=3)
    assert none_left == [[]]


def test_every_spreads_a_share():
    assert every(0.5, 6) == [1, 3, 5] and every(1.0, 3) == [0, 1, 2] and every(0.0, 5) == []


def test_group_log_softmax_is_per_group():
    rank = torch.tensor([0.0, math.log(3.0), 5.0, 1.0, 1.0])
    owner = torch.tensor([0, 0, 1, 1, 1])
    got = _group_log_softmax(rank, owner, 2).exp()
    assert torch.allclose(got, torch.tensor([0.25, 0.75, *torch.softmax(torch.tensor([5.0, 1.0, 1.0]), 0)]))


def test_r3_reward():
    assert reward("The Seine", ["seine"]) == 2.0
    assert reward("river seine", ["seine"]) == pytest.approx(2 / 3)
    assert reward("thames", ["seine"]) == -1.0


def test_rank_weighted_scores_are_log_probabilities():
    """start carries log γ_p + log P(i|p), end log P(j|p); no answer is log Σ_p γ_p P(none|p)."""
    start = torch.tensor([[1.0, 2.0, 0.0], [0.5, 0.5, 3.0]])
    end = torch.tensor([[0.0, 1.0, 1.0], [2.0, 0.0, 0.0]])
    mask = torch.tensor([[True, True, False], [True, True, True]])
    rank = torch.tensor([0.0, math.log(3.0)])
    out, none = rank_weighted(ReaderOutput(start, end, None, rank), mask)
    assert none is None
    assert torch.allclose(torch.logsumexp(out.start, 1).exp(), torch.tensor([0.25, 0.75]))
    assert torch.allclose(torch.logsumexp(out.end, 1).exp(), torch.ones(2))
    assert out.start[0, 2].exp() == 0 and out.end[0, 2].exp() == 0  # padding
    z = torch.tensor([0.0, 1.0])
    out, none = rank_weighted(ReaderOutput(start, end, z, rank), mask)
    expected = 0.0
    for p, gamma in enumerate([0.25, 0.75]):
        s = torch.softmax(torch.cat([start[p][mask[p]], z[p : p + 1]]), 0)[-1]
        e = torch.softmax(torch.cat([end[p][mask[p]], z[p : p + 1]]), 0)[-1]
        expected += gamma * float(s * e)
    assert none.exp().item() == pytest.approx(expected, rel=1e-5)
    # the starts of passage p carry γ_p (1 - P(start is "none" | p)), so they and "none" share one unit
    assert torch.logsumexp(out.start, 1).exp().sum() < 1.0


@pytest.mark.parametrize("model", ["r3", "snet"])
def test_train_a_ranking_reader_cli(tmp_path, monkeypatch, model):
    out = tmp_path / model
    extra = ["negatives=2"] + (["rank=true"] if model == "snet" else [])
    report = train_tiny(tmp_path, monkeypatch, model, out, "epochs=1", *extra)
    assert report["epoch"] == 1 and report["train_examples"] >= 1
    training = json.loads((out / "training.json").read_text())
    assert training["history"][0]["loss"] > 0
