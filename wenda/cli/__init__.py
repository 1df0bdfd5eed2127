"""The ``wenda`` command: one thin module per subcommand."""

from wenda.cli.app import app, main

__all__ = ["app", "main"]
