"""The one trainer: determinism, resuming, early stopping, time budget, bad checkpoints."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from wenda.data.wikiqa import load_wikiqa  # noqa: E402
from wenda.errors import WendaError  # noqa: E402
from wenda.train.checkpoint import CheckpointError  # noqa: E402
from wenda.train.losses import get_loss, hinge, pointwise, softmax  # noqa: E402
from wenda.train.ranking import RankingTask, build_ranker  # noqa: E402
from wenda.train.trainer import TrainConfig, Trainer, TrainingError  # noqa: E402


def _fit(out, qa, epochs=3, fail_at=None, lr_zero=False, **settings):
    train, dev = qa
    lr = 0.0 if lr_zero else 0.01
    config = TrainConfig(
        epochs=epochs, embeddings="random", threads=1, batch_size=2, lr=lr, negatives=2, **settings
    )
    model = build_ranker("knrm", train, config)
    task = RankingTask(train, dev, None, config)
    if fail_at is not None:
        evaluate = task.evaluate

        def failing(m, calls=[0]):  # noqa: B006  (counts calls across epochs)
            calls[0] += 1
            if calls[0] == fail_at:
                raise KeyboardInterrupt
            return evaluate(m)

        task.evaluate = failing
    return model, Trainer(model, task, config, out, progress=False).fit()


@pytest.fixture
def qa(qa_data):
    return load_wikiqa("train"), load_wikiqa("dev")


def test_same_seed_same_weights_and_history(tmp_path, qa):
    a, state_a = _fit(tmp_path / "a", qa)
    b, state_b = _fit(tmp_path / "b", qa)
    assert state_a["history"] == state_b["history"]
    assert all(
        torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    )
    assert (tmp_path / "a" / "model.safetensors").exists() and (tmp_path / "a" / "config.json").exists()


def test_resumed_run_equals_uninterrupted_run(tmp_path, qa):
    full, state_full = _fit(tmp_path / "full", qa)
    with pytest.raises(KeyboardInterrupt):
        _fit(tmp_path / "cut", qa, fail_at=3)  # dies during epoch 3, after epoch 2's checkpoint
    resumed, state = _fit(tmp_path / "cut", qa)
    assert [h["epoch"] for h in state["history"]] == [1, 2, 3]
    assert state["history"] == state_full["history"]
    assert all(
        torch.equal(x, y)
        for x, y in zip(full.state_dict().values(), resumed.state_dict().values(), strict=True)
    )


def test_resume_with_other_settings_is_refused(tmp_path, qa):
    _fit(tmp_path / "m", qa, epochs=1)
    with pytest.raises(TrainingError, match="other settings"):
        _fit(tmp_path / "m", qa, epochs=2, weight_decay=0.1)
    _, state = _fit(tmp_path / "m", qa, epochs=2)  # more epochs is a resumable change
    assert state["epoch"] == 2


def test_corrupt_checkpoint_is_a_clear_error(tmp_path, qa):
    _fit(tmp_path / "m", qa, epochs=1)
    (next((tmp_path / "m" / "checkpoint").glob("epoch-*")) / "optimizer.safetensors").write_bytes(b"junk")
    with pytest.raises(CheckpointError, match="corrupt"):
        _fit(tmp_path / "m", qa, epochs=2)


def test_patience_stops_when_dev_does_not_improve(tmp_path, qa):
    """With lr 0 nothing changes, so dev never beats epoch 1: patience 2 ends the run at epoch 3."""
    _, state = _fit(tmp_path / "m", qa, epochs=10, patience=2, lr_zero=True)
    assert state["stopped"] == "patience"
    assert state["best_epoch"] == 1 and state["epoch"] == 3


def test_time_budget_stops_after_the_epoch_that_crosses_it(tmp_path, qa):
    _, state = _fit(tmp_path / "m", qa, epochs=10, max_minutes=1e-6)
    assert state["stopped"] == "time budget" and state["epoch"] == 1


def test_losses_worked_examples():
    """Scores [[2, 1.5, 3]]: column 0 relevant.

    hinge (margin 1): max(0, 1 - 2 + 1.5) = 0.5 and max(0, 1 - 2 + 3) = 2, mean 1.25.
    softmax: -log(e^2 / (e^2 + e^1.5 + e^3)).
    pointwise: mean of -log(sig(2)), -log(1 - sig(1.5)), -log(1 - sig(3)).
    """
    s = torch.tensor([[2.0, 1.5, 3.0]])
    assert hinge(s).item() == pytest.approx(1.25)
    assert softmax(s).item() == pytest.approx(
        -math.log(math.exp(2) / (math.exp(2) + math.exp(1.5) + math.exp(3)))
    )

    def sig(x):
        return 1 / (1 + math.exp(-x))

    expected = (-math.log(sig(2)) - math.log(1 - sig(1.5)) - math.log(1 - sig(3))) / 3
    assert pointwise(s).item() == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="unknown loss"):
        get_loss("listnet")


class _Passes:
    """A task whose pass ``p`` has five batches named ``(p, 0) .. (p, 4)``, in that order."""

    def batches(self, epoch, rng):
        return [(epoch, i) for i in range(5)]


def test_epoch_steps_walk_through_successive_passes(tmp_path):
    trainer = Trainer(torch.nn.Linear(1, 1), _Passes(), TrainConfig(epoch_steps=3), tmp_path, progress=False)
    assert trainer._batches(1) == [(1, 0), (1, 1), (1, 2)]
    assert trainer._batches(2) == [(1, 3), (1, 4), (2, 0)]
    assert trainer._batches(4) == [(2, 4), (3, 0), (3, 1)]
    whole = Trainer(torch.nn.Linear(1, 1), _Passes(), TrainConfig(), tmp_path, progress=False)
    assert whole._batches(2) == [(2, i) for i in range(5)]


def test_epoch_steps_resume_inside_a_pass(tmp_path, qa):
    """Sub-epochs checkpoint like epochs: stopping after two and resuming equals running three."""
    _, whole = _fit(tmp_path / "a", qa, epochs=3, epoch_steps=4)
    _fit(tmp_path / "b", qa, epochs=2, epoch_steps=4)
    _, resumed = _fit(tmp_path / "b", qa, epochs=3, epoch_steps=4)
    assert [h["loss"] for h in resumed["history"]] == pytest.approx([h["loss"] for h in whole["history"]])


def test_bf16_mixed_precision_trains_float32_weights(tmp_path, qa):
    model, state = _fit(tmp_path / "m", qa, epochs=2, precision="bf16")
    assert [h["epoch"] for h in state["history"]] == [1, 2]
    assert all(math.isfinite(h["loss"]) and h["loss"] > 0 for h in state["history"])
    assert all(p.dtype == torch.float32 for p in model.parameters())  # master weights stay fp32
    fp32, _ = _fit(tmp_path / "f", qa, epochs=2)
    assert any(  # the products really ran in bfloat16: the weights differ from an fp32 run's
        not torch.equal(x, y) for x, y in zip(model.parameters(), fp32.parameters(), strict=True)
    )


def test_unknown_precision_is_refused(tmp_path, qa):
    with pytest.raises(WendaError, match="precision"):
        _fit(tmp_path / "m", qa, epochs=1, precision="fp8")


def test_linear_schedule_warms_up_then_decays_to_zero(tmp_path, qa):
    config = TrainConfig(lr=0.01, schedule="linear", warmup=0.2)
    trainer = Trainer(torch.nn.Linear(2, 1), None, config, tmp_path)
    lrs = [trainer._learning_rate(s, 10) for s in range(1, 11)]
    assert lrs[:2] == pytest.approx([0.005, 0.01])  # warm-up over 2 of 10 steps
    assert lrs[1:] == sorted(lrs[1:], reverse=True) and lrs[-1] == 0.0
    assert lrs[5] == pytest.approx(0.01 * 4 / 8)
    assert Trainer(torch.nn.Linear(2, 1), None, TrainConfig(lr=0.01), tmp_path)._learning_rate(7, 10) == 0.01
    with pytest.raises(TrainingError, match="schedule"):
        Trainer(torch.nn.Linear(2, 1), None, TrainConfig(schedule="cosine"), tmp_path)


def test_resumed_linear_schedule_equals_uninterrupted_run(tmp_path, qa):
    full, state_full = _fit(tmp_path / "full", qa, schedule="linear")
    assert state_full["steps"] > 0
    with pytest.raises(KeyboardInterrupt):
        _fit(tmp_path / "cut", qa, fail_at=3, schedule="linear")
    resumed, state = _fit(tmp_path / "cut", qa, schedule="linear")
    assert state["history"] == state_full["history"] and state["steps"] == state_full["steps"]
    assert all(
        torch.equal(x, y)
        for x, y in zip(full.state_dict().values(), resumed.state_dict().values(), strict=True)
    )
    constant, _ = _fit(tmp_path / "constant", qa)
    assert not all(torch.equal(x, y) for x, y in zip(full.parameters(), constant.parameters(), strict=True))
