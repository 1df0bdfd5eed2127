"""``wenda serve --index DIR``: the HTTP API (``wenda.serve.app``) with uvicorn."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
from pathlib import Path

import typer

from wenda.cli.app import app
from wenda.cli.common import IndexOpt, require_ml
from wenda.errors import WendaError

_M_ARENA_MAX = -8  # glibc's mallopt parameter number


def _bound_malloc_arenas(arenas: int = 2) -> None:
    """Let glibc use at most ``arenas`` malloc arenas (unless ``MALLOC_ARENA_MAX`` is set).

    By default glibc gives request threads up to 8 arenas per core, and memory freed in one is not
    reused by another: under concurrent document adds the server's memory grew 0.9 MB/s with the
    default and 0.23 MB/s with 2 arenas (RELIABILITY.md, section 6). No effect off glibc."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, arenas)


@app.command("serve")
def serve_cmd(
    index: Path = IndexOpt,
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on (loopback by default)"),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    reader: Path = typer.Option(None, "--reader", help="a trained reader directory (default: the packaged reader)"),
    rerank: Path = typer.Option(None, "--rerank", help="a trained ranker directory: re-rank retrieved passages"),
) -> None:  # fmt: skip
    """Serve the HTTP API (/v1/ask, /v1/search, /v1/documents, /v1/health; OpenAPI at /docs)."""
    require_ml()
    try:
        import uvicorn

        from wenda.serve.app import create_app
    except ImportError as exc:
        raise WendaError(f"serving needs {exc.name}: pip install 'wenda[serve]'") from None
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    _bound_malloc_arenas()
    uvicorn.run(create_app(index, reader, rerank), host=host, port=port, access_log=False)
