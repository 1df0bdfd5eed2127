"""Options and helpers shared by subcommands."""

from __future__ import annotations

import os
from pathlib import Path

import typer

DEFAULT_INDEX = Path(os.environ.get("WENDA_INDEX", "wenda-index"))

IndexOpt = typer.Option(DEFAULT_INDEX, "--index", "-i", help="index directory (env WENDA_INDEX)")
JsonOpt = typer.Option(False, "--json", help="machine-readable JSON output")


def require_ml() -> None:
    """Fail with an actionable message when the neural-model extra is not installed."""
    from importlib.util import find_spec

    from wenda.errors import WendaError

    missing = [m for m in ("torch", "safetensors") if find_spec(m) is None]
    if missing:
        raise WendaError(
            f"neural models need {', '.join(missing)}: pip install 'wenda[ml]' (from the repository: pip install -e '.[ml]')"
        )
