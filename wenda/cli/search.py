"""``wenda search "question" --index DIR``: ranked passages with their source, highlighted."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.text import Text

from wenda import pipeline
from wenda.cli.app import app
from wenda.cli.common import IndexOpt, JsonOpt, stdout_console
from wenda.collection import Collection
from wenda.text import Tokenizer
from wenda.types import Hit


def highlight(hit: Hit, query: str, tokenizer: Tokenizer) -> Text:
    """The passage with every term that matches a query term in bold yellow."""
    terms = set(tokenizer.tokens(query))
    # Line breaks become spaces (same length, so term offsets still hold): hard-wrapped source
    # lines would otherwise wrap twice in the terminal.
    text = Text(hit.text.replace("\n", " "))
    for term, start, end in tokenizer.spans(hit.text):
        if term in terms:
            text.stylize("bold yellow", start, end)
    return text


@app.command("search")
def search_cmd(
    query: str = typer.Argument(..., help="what to look for"),
    index: Path = IndexOpt,
    k: int = typer.Option(10, "--k", "-k", min=1, max=1000, help="number of passages"),
    retriever: str = typer.Option(
        None,
        "--retriever",
        "-r",
        help="bm25 (default), tfidf, dense, binary or hybrid (bm25 and tfidf fused with dense/binary)",
    ),
    rerank: Path = typer.Option(
        None, "--rerank", help="a trained ranker directory: re-rank the top --depth hits"
    ),
    depth: int = typer.Option(50, "--depth", min=1, max=1000, help="hits re-ranked by --rerank"),
    as_json: bool = JsonOpt,
) -> None:
    """Search the index and print the best passages."""
    reranker = _load_reranker(rerank) if rerank else None
    with Collection.open(index) as col:
        hits = pipeline.search(col, query, k=k, retriever=retriever, reranker=reranker, depth=depth)
        if as_json:
            typer.echo(json.dumps({"query": query, "hits": [h.as_dict() for h in hits]}, ensure_ascii=False))
            return
        out = stdout_console()
        if not hits:
            out.print("No passage matches.")
            return
        tokenizer = col.retriever(hits[0].retriever.split("+")[0]).tokenizer
        for h in hits:
            out.print(
                f"[bold]{h.rank}.[/bold] {h.title}  [dim]{h.source} [{h.start}:{h.end}]  score {h.score:.3f}[/dim]"
            )
            out.print(highlight(h, query, tokenizer))
            out.print()


def _load_reranker(directory: Path):
    from wenda.cli.common import require_ml

    require_ml()
    from wenda.rank.reranker import load_ranker  # torch loads only when re-ranking is asked for

    return load_ranker(directory)
