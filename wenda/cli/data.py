"""``wenda data download NAME``: fetch a dataset from its official source."""

from __future__ import annotations

from pathlib import Path

import typer

from wenda.cli.app import app, err
from wenda.data.download import SOURCES, download
from wenda.data.paths import data_dir

data_app = typer.Typer(help="Datasets: list and download.", no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("list")
def list_cmd() -> None:
    """Known datasets, where they come from, and whether they are present."""
    root = data_dir()
    for name, src in sorted(SOURCES.items()):
        here = "present" if (root / src.relpath).exists() else "absent"
        typer.echo(f"{name:24} {here:8} {root / src.relpath}  <- {src.url}")


@data_app.command("download")
def download_cmd(
    name: str = typer.Argument(..., help="dataset name (see `wenda data list`)"),
    dest: Path = typer.Option(None, "--dest", help="data directory (default: WENDA_DATA)"),
) -> None:
    """Download a dataset into the data directory (verified by sha256 when known)."""
    path = download(name, dest or data_dir())
    err.print(f"saved {path}")
