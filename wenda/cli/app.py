"""The typer application and the error boundary every subcommand runs behind."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from wenda.errors import WendaError

app = typer.Typer(
    name="wenda",
    help="Question answering and search over your own documents, offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False)


def main() -> None:
    """Entry point: run the app, turning wenda's errors into one clear line and exit code 2."""
    from wenda.cli import data, index, search  # noqa: F401 - registers commands

    try:
        app()
    except WendaError as exc:
        err.print(f"[red]error:[/red] {exc}")
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
