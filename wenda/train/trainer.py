"""The one trainer every model in wenda uses: epochs, Adam, clipping, early stopping on dev,
seeding, time budget, progress bars and resumable checkpoints.

What is trained is described by a :class:`Task` (batches, a loss, a dev evaluation, how to save the
best model), as sentence-transformers passes the objective as a value: the trainer never looks at a
model's name. Determinism: each epoch re-seeds torch and numpy from ``(seed, epoch)``, so a run
resumed from the checkpoint of epoch e continues exactly as the uninterrupted run would have.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from wenda.errors import WendaError
from wenda.nn.model import ConfigBase
from wenda.nn.precision import autocast, check_precision
from wenda.train.checkpoint import has_checkpoint, load_checkpoint, save_checkpoint

log = logging.getLogger(__name__)
# Settings that may change when a run is resumed: they decide when it ends, not what it computes.
_RESUMABLE = {"epochs", "patience", "max_minutes", "device", "threads"}
_LOG_SECONDS = 60.0  # how often a training step is logged


class TrainingError(WendaError):
    """A training run that cannot start or resume as asked."""


@dataclass
class TrainConfig(ConfigBase):
    """Training settings (architecture settings live in each model's Config).

    Attributes:
        loss: ``pointwise``, ``hinge`` or ``softmax`` (see ``wenda.train.losses``).
        negatives: sampled non-relevant texts per relevant one.
        batch_size: groups (1 relevant + ``negatives``) per step.
        epochs, lr, weight_decay, grad_clip: optimisation (Adam); ``grad_clip`` 0 disables clipping.
        patience: stop after this many epochs without a better dev ``metric``.
        metric: the dev metric that selects the saved model.
        seed: seeds torch and numpy; threads: torch CPU threads.
        max_minutes: stop after the epoch that crosses this budget (0 = no budget).
        epoch_steps: steps per epoch (0 = one pass over the task's batches). With N > 0 an epoch
            is the next N batches of a run through successive shuffled passes, so a model whose pass
            takes hours (a pretrained transformer on the CPU) is evaluated, kept and checkpointed
            every N steps, and a time budget can stop it inside a pass.
        device: ``cpu`` or a torch device such as ``cuda``; results are saved for any device.
        schedule: ``constant`` learning rate, or ``linear``: BERT's warm-up over the first
            ``warmup`` share of the run's ``epochs`` x steps per epoch, then linear decay to 0
            (Devlin et al. 2019, appendix A.2). Resuming with more ``epochs`` stretches what is
            left of the decay.
        precision: ``fp32``, or ``bf16`` for mixed precision (``wenda.nn.precision``), in training
            steps and in the dev evaluation.
        embeddings: ``glove`` (GloVe 6B 50d) or ``random``.
        glove_words: the most frequent GloVe words added to the vocabulary beside the training words,
            so texts seen only at prediction time still get pretrained vectors.
        no_answer_distractors: readers with a no-answer logit also train on this share (0..1) of
            answerable questions paired with a BM25 distractor passage as unanswerable, and their
            no-answer threshold is chosen with that share of held-out questions paired likewise
            (``wenda.train.distractors``).
        distill_weight, distill_temperature: with a teacher reader (``wenda train reader
            --teacher DIR``), the share ``a`` of the loss that is the teacher's soft start/end
            distributions and their temperature ``T`` (``wenda.train.distill``).
        teacher_precision: the precision the teacher reads in (``fp32`` or ``bf16``), whatever
            ``precision`` the student trains in.
        length_buckets: readers: batch training windows of similar length together, the batches
            in random order (``wenda.train.buckets``; DrQA's sorted batches), so less of each step
            is padding. Off: uniformly shuffled batches (the readers' table was trained so).
        shared_norm: readers that do not rank passages: train on groups of the gold window and
            ``negatives`` BM25 distractors under one softmax (Clark & Gardner 2018's shared
            normalisation, ``wenda.train.grouped``), so scores are comparable across passages.
    """

    loss: str = "softmax"
    negatives: int = 4
    batch_size: int = 32
    epochs: int = 20
    lr: float = 1e-3
    weight_decay: float = 0.0
    grad_clip: float = 10.0
    patience: int = 5
    metric: str = "map"
    seed: int = 0
    threads: int = 2
    max_minutes: float = 10.0
    epoch_steps: int = 0
    embeddings: str = "glove"
    glove_words: int = 50_000
    device: str = "cpu"
    schedule: str = "constant"
    warmup: float = 0.1
    precision: str = "fp32"
    no_answer_distractors: float = 0.5
    distill_weight: float = 0.5
    distill_temperature: float = 2.0
    teacher_precision: str = "fp32"
    length_buckets: bool = True
    shared_norm: bool = False


class Task(Protocol):
    """What the trainer trains: batches, their loss, the dev evaluation, the saving of the best."""

    def batches(self, epoch: int, rng: np.random.Generator) -> Iterable[Any]: ...
    def loss(self, model: torch.nn.Module, batch: Any) -> torch.Tensor: ...
    def evaluate(self, model: torch.nn.Module) -> dict[str, float]: ...
    def save(self, model: torch.nn.Module, directory: Path) -> None: ...


class Trainer:
    """Trains ``model`` on ``task`` into ``out`` (best model there; checkpoints in ``out/checkpoint``)."""

    def __init__(
        self, model: torch.nn.Module, task: Task, config: TrainConfig, out: Path, progress: bool = True
    ):
        self.model, self.task, self.config, self.out = model.to(config.device), task, config, Path(out)
        self.checkpoints = self.out / "checkpoint"
        self.progress = progress
        check_precision(config.precision)
        if config.schedule not in ("constant", "linear") or not 0 <= config.warmup < 1:
            raise TrainingError(
                f"schedule must be constant or linear and 0 <= warmup < 1, not {config.schedule!r}, {config.warmup}"
            )
        params = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)

    def fit(self) -> dict:
        """Train until ``epochs``, ``patience`` or ``max_minutes`` ends it; returns the final state
        (``history``, ``best``, ``best_epoch``, ``stopped``)."""
        torch.set_num_threads(self.config.threads)
        state = self._start()
        while (reason := self._stop_reason(state)) is None:
            self._epoch(state)
        state["stopped"] = reason
        return state

    def _start(self) -> dict:
        state = {
            "epoch": 0,
            "best": None,
            "best_epoch": None,
            "bad_epochs": 0,
            "history": [],
            "seconds": 0.0,
            "steps": 0,
        }
        state["config"] = asdict(self.config)
        if not has_checkpoint(self.checkpoints):
            return state
        resumed = load_checkpoint(self.checkpoints, self.model, self.optimizer)
        changed = {k for k, v in resumed["config"].items() if state["config"].get(k) != v} - _RESUMABLE
        if changed:
            raise TrainingError(
                f"{self.checkpoints} was made with other settings ({sorted(changed)}); use another --out"
            )
        log.info("resuming from the checkpoint of epoch %d", resumed["epoch"])
        return {"steps": 0, **resumed, "config": state["config"]}

    def _stop_reason(self, state: dict) -> str | None:
        c = self.config
        if state["epoch"] >= c.epochs:
            return "epochs"
        if state["bad_epochs"] >= c.patience:
            return "patience"
        if c.max_minutes and state["seconds"] >= 60 * c.max_minutes:
            return "time budget"
        return None

    def _epoch(self, state: dict) -> None:
        epoch = state["epoch"] + 1
        started = time.perf_counter()
        torch.manual_seed(self.config.seed * 100_003 + epoch)
        batches = self._batches(epoch)
        losses = self._train_steps(batches, epoch, state["steps"], self.config.epochs * len(batches))
        state["steps"] += len(batches)
        self.model.eval()
        with torch.inference_mode(), self._autocast():
            metrics = self.task.evaluate(self.model)
        score = metrics[self.config.metric]
        if state["best"] is None or score > state["best"]:
            state.update(best=score, best_epoch=epoch, bad_epochs=0)
            self.task.save(self.model, self.out)
        else:
            state["bad_epochs"] += 1
        state["seconds"] += time.perf_counter() - started
        state["epoch"] = epoch
        state["history"].append(
            {"epoch": epoch, "loss": float(np.mean(losses)) if losses else 0.0, **metrics}
        )
        save_checkpoint(self.checkpoints, self.model, self.optimizer, state)
        log.info("epoch %d: loss %.4f dev %s", epoch, state["history"][-1]["loss"], metrics)

    def _pass(self, number: int) -> list:
        """The task's batches for its pass ``number`` (1, 2, ...), shuffled reproducibly."""
        return list(self.task.batches(number, np.random.default_rng([self.config.seed, number])))

    def _batches(self, epoch: int) -> list:
        """Epoch ``epoch``'s batches: pass ``epoch`` whole, or with ``epoch_steps`` = N the batches
        ``(epoch - 1) N .. epoch N - 1`` of passes 1, 2, ... laid end to end."""
        n = self.config.epoch_steps
        if n <= 0:
            return self._pass(epoch)
        first, out, number, offset = (epoch - 1) * n, [], 1, 0
        while len(out) < n:
            batches = self._pass(number)
            if not batches:
                break
            if offset + len(batches) > first + len(out):
                out += batches[first + len(out) - offset : first + n - offset]
            offset, number = offset + len(batches), number + 1
        return out

    def _learning_rate(self, step: int, total: int) -> float:
        """The learning rate of the run's ``step``-th step (1-based) of ``total`` (``schedule``)."""
        c = self.config
        if c.schedule == "constant":
            return c.lr
        warm = c.warmup * total
        if step < warm:
            return c.lr * step / warm
        return c.lr * max(0.0, (total - step) / max(1.0, total - warm))

    def _train_steps(self, batches: list, epoch: int, done: int = 0, total: int = 0) -> list[float]:
        """One epoch's ``batches``, after ``done`` steps of a run of ``total`` (for the schedule)."""
        self.model.train()
        losses, started, reported = [], time.perf_counter(), time.perf_counter()
        with self._bar(len(batches), epoch) as (bar, task):
            for step, batch in enumerate(batches, 1):
                for group in self.optimizer.param_groups:
                    group["lr"] = self._learning_rate(done + step, max(total, done + len(batches)))
                self.optimizer.zero_grad(set_to_none=True)
                with self._autocast():
                    loss = self.task.loss(self.model, batch)
                loss.backward()
                if self.config.grad_clip:
                    torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
                self.optimizer.step()
                losses.append(loss.item())
                bar.update(task, advance=1, description=f"epoch {epoch} loss {np.mean(losses[-50:]):.4f}")
                if time.perf_counter() - reported >= _LOG_SECONDS:  # a line for logs, where bars don't show
                    reported = time.perf_counter()
                    rate = (reported - started) / step
                    log.info(
                        "epoch %d step %d/%d loss %.4f (%.2f s/step)",
                        epoch,
                        step,
                        len(batches),
                        np.mean(losses[-50:]),
                        rate,
                    )
        return losses

    def _autocast(self):
        return autocast(self.config.device, self.config.precision)

    @contextmanager
    def _bar(self, total: int, epoch: int):
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        console = Console(stderr=True)  # stdout stays clean for --json and paths
        with Progress(*columns, console=console, disable=not self.progress, transient=True) as progress:
            yield progress, progress.add_task(f"epoch {epoch}", total=total)
