"""Options and helpers shared by subcommands."""

from __future__ import annotations

import os
from pathlib import Path

import typer

DEFAULT_INDEX = Path(os.environ.get("WENDA_INDEX", "wenda-index"))

IndexOpt = typer.Option(DEFAULT_INDEX, "--index", "-i", help="index directory (env WENDA_INDEX)")
JsonOpt = typer.Option(False, "--json", help="machine-readable JSON output")
