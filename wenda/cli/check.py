"""``wenda check --index DIR [--repair]``: verify an index, and rebuild what is damaged."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from wenda.cli.app import app
from wenda.cli.common import IndexOpt, JsonOpt, stdout_console


@app.command("check")
def check_cmd(
    index: Path = IndexOpt,
    repair: bool = typer.Option(
        False, "--repair", help="rebuild damaged retrievers from the document store (changes the index)"
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Verify the index: its description, the document store (SQLite's quick_check) and every
    retriever (file digests, change log, passage counts, probe searches). Exit code 1 when
    something is wrong; each problem says what to do."""
    from wenda.check import check_index, repair_index

    findings = repair_index(index) if repair else check_index(index)
    if as_json:
        typer.echo(json.dumps({"index": str(index), "findings": [f.as_dict() for f in findings]}))
    else:
        out = stdout_console()
        for f in findings:
            mark = "[green]ok[/green]     " if f.ok else "[red]DAMAGED[/red]"
            out.print(f"{mark} {f.part}: {f.detail}")
            if f.fix:
                out.print(f"        fix: {f.fix}")
    if not all(f.ok for f in findings):
        raise typer.Exit(1)
