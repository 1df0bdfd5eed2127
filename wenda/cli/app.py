"""The typer application and the error boundary every subcommand runs behind."""

from __future__ import annotations

import importlib
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
err = Console(stderr=True, highlight=False, soft_wrap=True)  # an error stays one line, however long
_COMMANDS = ("index", "search", "ask", "serve", "train", "eval", "data", "check")


def main() -> None:
    """Entry point: run the app, turning wenda's errors into one clear line and exit code 2."""
    for name in _COMMANDS:  # importing a command module registers its commands
        importlib.import_module(f"wenda.cli.{name}")

    try:
        app()
    except WendaError as exc:
        err.print(f"[red]error:[/red] {exc}")
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
