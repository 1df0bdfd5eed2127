"""``wenda index PATH... --index DIR``: add, update or remove documents."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from wenda.cli.app import app, err
from wenda.cli.common import IndexOpt
from wenda.collection import Collection


def _notifier(verbose: bool):
    def notify(kind: str, message: str) -> None:
        if kind in ("failed", "warning"):
            err.print(f"[yellow]{kind}:[/yellow] {message}", soft_wrap=True)
        elif verbose:
            err.print(f"{kind}: {message}", soft_wrap=True)

    return notify


@app.command("index")
def index_cmd(
    paths: list[Path] = typer.Argument(
        ..., help="files and folders (.txt .md .html .pdf .jsonl SQuAD .json)"
    ),
    index: Path = IndexOpt,
    retriever: list[str] = typer.Option(
        None, "--retriever", "-r", help="retrievers to build (default: bm25, tfidf)"
    ),
    remove: bool = typer.Option(False, "--remove", help="forget these paths instead of adding them"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="print every file"),
) -> None:
    """Index documents; re-running updates changed files, skips unchanged ones, drops vanished ones."""
    col = Collection.open_or_create(index, retriever or None)
    with (
        col,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as bar,
    ):
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"indexing {stage}", total=total)
            bar.update(tasks[stage], completed=done, total=total)

        method = col.remove if remove else col.add
        report = method(paths, notify=_notifier(verbose), progress=progress)
        counts = col.store.counts()
    err.print(
        f"{report.seen} files seen: {report.updated} indexed, {report.unchanged} unchanged, "
        f"{len(report.failed)} failed, {report.files_removed} removed; "
        f"store: {counts['documents']} documents, {counts['passages']} passages in {index}"
    )
    if not report.ok:
        raise typer.Exit(1)
