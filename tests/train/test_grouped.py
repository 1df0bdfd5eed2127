"""Training readers that rank passages: BM25 distractors, the group softmax, R^3's reward, the
rank-weighted answer scores, and the CLI training R^3 end to end."""

from __future__ import annotations

import json
import math

import pytest

from tests.cli.test_cli import wenda
from tests.train.test_reading import train_tiny

torch = pytest.importorskip("torch")

from wenda.read.base import ReaderOutput, rank_weighted  # noqa: E402
from wenda.train.distractors import distractors, every  # noqa: E402
from wenda.train.grouped import _group_log_softmax, reinforce, reward, supervised  # noqa: E402


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
    assert distractors([["paris"], ["milk"]], windows, [("seine",), ("x",)], k=0) == [[], []]


@pytest.mark.parametrize("objective", [supervised, reinforce])
def test_groups_of_the_gold_passage_alone_train_only_the_reader(objective):
    """``negatives=0`` (R^3's reader pre-training): with one passage per question the ranker's
    softmax is 1, so its terms are 0 and give its logits no gradient."""
    from types import SimpleNamespace

    start, end = torch.randn(2, 4), torch.randn(2, 4)
    rank = torch.randn(2, requires_grad=True)
    mask = torch.ones(2, 4, dtype=torch.bool)
    batch = [(["q"], [["a", "b", "c", "d"]], 1, 2, ("b c",)), (["q"], [["e", "f", "g", "h"]], 0, 0, ("e",))]
    model = SimpleNamespace(config=SimpleNamespace(rank_weight=1.0))
    loss = objective(model, ReaderOutput(start, end, None, rank), mask, torch.tensor([0, 1]), batch)
    loss.backward()
    assert loss.item() == pytest.approx(0.0, abs=1e-6)
    assert torch.all(rank.grad.abs() < 1e-6)


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


def test_r3_pretrained_on_gold_passages_continues_with_distractors(tmp_path, monkeypatch):
    """R^3's schedule: the reader first (``negatives=0``), then ``--init`` joint training."""
    pre, joint = tmp_path / "pre", tmp_path / "joint"
    first = train_tiny(tmp_path, monkeypatch, "r3", pre, "epochs=1", "negatives=0")
    assert first["epoch"] == 1
    flags = [x for kv in ("threads=1", "batch_size=2", "epochs=1", "negatives=2") for x in ("--set", kv)]
    r = wenda(
        "train", "reader", "--model", "r3", "--data", "covid-qa", "--init", str(pre), "--out", str(joint),
        "-q", "--json", *flags,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    training = json.loads((joint / "training.json").read_text())
    assert training["init"] == str(pre) and training["history"][0]["loss"] > 0


def test_shared_normalisation_is_one_softmax_over_the_group_s_windows():
    """Two groups: (a) windows of 3 and 2 real words, gold at word 1 of window 0; (b) one window,
    no gold (target: "no answer"). Group a's start distribution is softmax over its 5 real start
    logits and the mean of its windows' no-answer logits, z = (0.5 + 1.5) / 2 = 1; b's is softmax
    over its 2 words and z = 0.2."""
    from wenda.read.base import span_loss
    from wenda.train.grouped import _shared_span_loss

    start = torch.tensor([[0.1, 2.0, -1.0], [0.3, 0.7, 9.0], [1.0, -2.0, 9.0]])
    end = torch.tensor([[0.0, 1.0, 3.0], [2.0, -1.0, 9.0], [0.5, 0.5, 9.0]])
    mask = torch.tensor([[True, True, True], [True, True, False], [True, True, False]])
    output = ReaderOutput(start, end, torch.tensor([0.5, 1.5, 0.2]))
    batch = [(["q"], [["a"] * 3, ["b"] * 2], 1, 2, ("x",)), (["q"], [["c"] * 2], -1, -1, ("y",))]
    got = _shared_span_loss(output, mask, torch.tensor([0, 0, 1]), batch)

    def nll(logits, target):
        return -(logits[target] - torch.logsumexp(logits, 0))

    a_start = torch.tensor([0.1, 2.0, -1.0, 0.3, 0.7, 1.0])  # 5 real positions, then z
    a_end = torch.tensor([0.0, 1.0, 3.0, 2.0, -1.0, 1.0])
    b_start, b_end = torch.tensor([1.0, -2.0, 0.2]), torch.tensor([0.5, 0.5, 0.2])
    want = (nll(a_start, 1) + nll(a_end, 2) + nll(b_start, 2) + nll(b_end, 2)) / 2
    assert float(got) == pytest.approx(float(want), rel=1e-5)
    alone = _shared_span_loss(ReaderOutput(start[:1], end[:1], output.no_answer[:1]), mask[:1],
                              torch.tensor([0]), [(["q"], [["a"] * 3], 1, 2, ("x",))])  # fmt: skip
    single = span_loss(ReaderOutput(start[:1], end[:1], output.no_answer[:1]), mask[:1],
                       torch.tensor([1]), torch.tensor([2]), torch.tensor([True]))  # fmt: skip
    assert float(alone) == pytest.approx(float(single), rel=1e-6)  # a group of one window: the plain loss


def test_a_reader_trains_with_shared_normalisation(tmp_path, monkeypatch):
    from tests.train.test_reading import _paragraph_examples
    from wenda.nn.modeldir import load_model
    from wenda.read.base import TOKENIZER
    from wenda.train.grouped import GroupReadingTask
    from wenda.train.trainer import TrainConfig

    out = tmp_path / "drqa"
    settings = ("epochs=1", "shared_norm=true", "negatives=2", "no_answer=true")
    report = train_tiny(tmp_path, monkeypatch, "drqa", out, *settings)
    assert report["epoch"] == 1 and (out / "model.safetensors").exists()
    model, _ = load_model(out, "read")
    config = TrainConfig(shared_norm=True, negatives=2, no_answer_distractors=0.5)
    task = GroupReadingTask(_paragraph_examples(), [], config, model.config, TOKENIZER, 3)
    gold = [g for g in task.items if g[2] >= 0]
    unanswerable = [g for g in task.items if g[2] < 0]
    assert len(gold) == 6 and len(unanswerable) == 3  # every other question, its distractors alone
    assert all(g[1] == next(x for x in gold if x[0] == g[0])[1][1:] for g in unanswerable)
    assert float(task.loss(model, task.items[:4])) > 0
