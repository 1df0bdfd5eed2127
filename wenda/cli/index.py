"""``wenda index PATH... --index DIR``: add, update or remove documents."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from wenda.cli.app import app, err
from wenda.cli.common import IndexOpt, RayOpt, RayWorkersOpt
from wenda.collection import LEARNED, Collection


def _notifier(verbose: bool):
    def notify(kind: str, message: str) -> None:
        if kind in ("failed", "warning"):
            err.print(f"[yellow]{kind}:[/yellow] {message}", soft_wrap=True)
        elif verbose:
            err.print(f"{kind}: {message}", soft_wrap=True)

    return notify


def qdrant_backend(retrievers: list[str], backend: str, url: str | None) -> tuple[list[str], str | None]:
    """``--backend qdrant --qdrant-url URL``: BM25 becomes ``bm25-qdrant`` (the default retriever),
    and the learned retrievers keep their vectors there; TF-IDF has no Qdrant form."""
    if backend == "embedded":
        if url is not None:
            raise typer.BadParameter("--qdrant-url goes with --backend qdrant")
        return retrievers, None
    if backend != "qdrant":
        raise typer.BadParameter(f"--backend {backend!r}: embedded or qdrant")
    if not url or not url.startswith(("http://", "https://")):
        raise typer.BadParameter("--backend qdrant needs --qdrant-url http(s)://host:port")
    if "tfidf" in retrievers:
        raise typer.BadParameter("the tfidf retriever has no Qdrant form: use bm25 with --backend qdrant")
    return [("bm25-qdrant" if r == "bm25" else r) for r in retrievers or ["bm25"]], url


def learned_retrievers(
    retrievers: list[str], encoder: Path | None, bits: int | None, kind: str, qdrant: str | None = None
):
    """Retrievers and their parameters once ``--encoder`` is taken into account: it adds ``binary``
    for an encoder with a hash layer, else ``dense`` (unless one was named with ``--retriever``);
    with ``qdrant`` (a server url) every retriever keeps its data there."""
    lexical = {"bm25-qdrant": {"qdrant": qdrant}} if "bm25-qdrant" in retrievers else {}
    if encoder is None:
        if bits is not None or any(r in LEARNED for r in retrievers):
            raise typer.BadParameter("the dense and binary retrievers need --encoder DIR")
        return retrievers, lexical
    from wenda.cli.common import require_ml

    require_ml()
    from wenda.encode import encoder_directory  # also registers the encoders
    from wenda.nn.modeldir import ModelError, load_model

    try:
        encoder = encoder_directory(encoder)
        model, _ = load_model(encoder, "encode")
    except ModelError as exc:
        raise typer.BadParameter(str(exc)) from None
    found = model.config.bits
    if bits is not None and bits != found:
        raise typer.BadParameter(
            f"{encoder} makes {found or 'no'}-bit codes, not {bits} (retrain with --set bits={bits})"
        )
    named = [r for r in retrievers if r in LEARNED] or ["binary" if found else "dense"]
    extra = {"qdrant": qdrant} if qdrant else {}
    params = {
        r: {"encoder": str(encoder.resolve()), **({"kind": kind} if r == "binary" else {}), **extra}
        for r in named
    }
    base = retrievers if retrievers else ["bm25", "tfidf"]
    return list(dict.fromkeys([*base, *named])), {**lexical, **params}


@app.command("index")
def index_cmd(
    paths: list[Path] = typer.Argument(
        ..., help="files and folders (.txt .md .html .pdf .jsonl SQuAD .json)"
    ),
    index: Path = IndexOpt,
    retriever: list[str] = typer.Option(
        None, "--retriever", "-r", help="retrievers to build (default: bm25, tfidf)"
    ),
    encoder: Path = typer.Option(
        None,
        "--encoder",
        help="a trained encoder (wenda train retriever) or the packaged one, minilm: adds the dense or binary retriever",
    ),
    bits: int = typer.Option(None, "--bits", help="expect a binary encoder with codes of this many bits"),
    binary_index: str = typer.Option("flat", "--binary-index", help="Hamming search: flat, hnsw or ivf"),
    backend: str = typer.Option("embedded", "--backend", help="embedded (files in --index) or qdrant"),
    qdrant_url: str = typer.Option(None, "--qdrant-url", help="the Qdrant server (http://host:6333)"),
    ray: str = RayOpt,
    ray_workers: int = RayWorkersOpt,
    remove: bool = typer.Option(False, "--remove", help="forget these paths instead of adding them"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="print every file"),
) -> None:
    """Index documents; re-running updates changed files, skips unchanged ones, drops vanished ones."""
    retriever, qdrant = qdrant_backend(list(retriever or []), backend, qdrant_url)
    retriever, params = learned_retrievers(retriever, encoder, bits, binary_index, qdrant)
    col = Collection.open_or_create(index, retriever or None, params=params)
    if ray is not None:
        col.use_ray(ray, ray_workers)
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
