"""Options and helpers shared by subcommands."""

from __future__ import annotations

import os
from pathlib import Path

import typer

DEFAULT_INDEX = Path(os.environ.get("WENDA_INDEX", "wenda-index"))

IndexOpt = typer.Option(DEFAULT_INDEX, "--index", "-i", help="index directory (env WENDA_INDEX)")
JsonOpt = typer.Option(False, "--json", help="machine-readable JSON output")
RayOpt = typer.Option(None, "--ray", help="run on Ray: auto, ray://host:10001, or local (wenda.scale)")
PrecisionOpt = typer.Option(
    "fp32", "--precision", help="the reader's arithmetic: fp32, or bf16 (mixed precision; wenda.nn.precision)"
)
RayWorkersOpt = typer.Option(None, "--ray-workers", min=1, help="Ray workers at once (local: its CPUs)")


def ray_target(address: str | None, workers: int | None):
    """The :class:`~wenda.scale.raymap.RayTarget` the options name, or None without ``--ray``."""
    from wenda.scale.raymap import RayTarget

    return None if address is None else RayTarget(address, workers)


def stdout_console():
    """The console results are printed on: wrapped to the terminal's width, but one line per line
    when stdout is a pipe or a file (rich would otherwise cut at 80 columns, splitting a long path from
    its offsets for whoever greps the output)."""
    import sys

    from rich.console import Console

    return Console(highlight=False, soft_wrap=not sys.stdout.isatty())


def require_ml() -> None:
    """Fail with an actionable message when the neural-model extra is not installed."""
    from importlib.util import find_spec

    from wenda.errors import WendaError

    missing = [m for m in ("torch", "safetensors") if find_spec(m) is None]
    if missing:
        raise WendaError(
            f"neural models need {', '.join(missing)}: pip install 'wenda[ml]' (from the repository: pip install -e '.[ml]')"
        )
