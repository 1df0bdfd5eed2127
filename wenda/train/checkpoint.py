"""Resumable training checkpoints without pickle: tensors in safetensors, everything else in JSON.

Each checkpoint is a folder ``epoch-NNNN`` holding ``model.safetensors``, ``optimizer.safetensors``
(the optimizer's per-parameter tensors, keyed ``<param index>.<name>``) and ``trainer.json`` (epoch,
best score, history, the optimizer's hyper-parameter groups and scalar state); ``latest.json`` names
the newest complete one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from wenda.errors import WendaError
from wenda.fileio import atomic_write_bytes, atomic_write_json, read_json
from wenda.nn import state_tensors

FORMAT = 1


class CheckpointError(WendaError):
    """A checkpoint that is corrupt or belongs to another run."""


def _split_optimizer(state: dict) -> tuple[dict[str, torch.Tensor], dict]:
    tensors, scalars = {}, {}
    for index, slots in state["state"].items():
        for name, value in slots.items():
            if torch.is_tensor(value):
                tensors[f"{index}.{name}"] = value.detach().cpu().contiguous().clone()
            else:
                scalars[f"{index}.{name}"] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def _join_optimizer(tensors: dict[str, torch.Tensor], meta: dict) -> dict:
    state: dict[int, dict] = {}
    for key, value in [*tensors.items(), *meta["scalars"].items()]:
        index, name = key.split(".", 1)
        state.setdefault(int(index), {})[name] = value
    return {"state": state, "param_groups": meta["param_groups"]}


def _epoch_dir(root: Path, epoch: int) -> Path:
    return root / f"epoch-{epoch:04d}"


def save_checkpoint(
    root: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, state: dict
) -> None:
    """Write the model, optimizer and trainer ``state`` (must hold ``"epoch"``) under ``root``.

    The files go to a new ``epoch-NNNN`` folder; ``latest.json`` is then pointed at it atomically and
    older folders are removed, so a crash at any moment leaves the previous checkpoint usable.
    """
    root = Path(root)
    folder = _epoch_dir(root, state["epoch"])
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(folder / "model.safetensors", save_safetensors(state_tensors(model)))
    tensors, meta = _split_optimizer(optimizer.state_dict())
    atomic_write_bytes(folder / "optimizer.safetensors", save_safetensors(tensors))
    atomic_write_json(folder / "trainer.json", {"format": FORMAT, **state, "optimizer": meta})
    atomic_write_json(root / "latest.json", {"format": FORMAT, "folder": folder.name})
    for old in root.glob("epoch-*"):
        if old != folder:
            shutil.rmtree(old, ignore_errors=True)


def _read(path: Path) -> dict[str, torch.Tensor]:
    try:
        return load_safetensors(path.read_bytes())
    except (FileNotFoundError, SafetensorError, ValueError) as exc:
        raise CheckpointError(f"checkpoint file {path} is missing or corrupt: {exc}") from None


def load_checkpoint(root: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> dict:
    """Restore ``model`` and ``optimizer`` from the latest checkpoint under ``root``; returns the
    trainer state."""
    try:
        folder = Path(root) / read_json(Path(root) / "latest.json", "training checkpoint")["folder"]
        state = read_json(folder / "trainer.json", "training checkpoint")
    except (WendaError, KeyError, TypeError) as exc:
        raise CheckpointError(f"checkpoint in {root} is unreadable: {exc}") from None
    if state.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint format {state.get('format')!r} is not {FORMAT}")
    try:
        model.load_state_dict(_read(folder / "model.safetensors"))
        optimizer.load_state_dict(
            _join_optimizer(_read(folder / "optimizer.safetensors"), state.pop("optimizer"))
        )
    except (RuntimeError, KeyError, ValueError) as exc:
        raise CheckpointError(f"checkpoint in {folder} does not fit this model: {exc}") from None
    return state


def has_checkpoint(root: Path) -> bool:
    """Whether ``root`` holds a checkpoint to resume from."""
    return (Path(root) / "latest.json").exists()
