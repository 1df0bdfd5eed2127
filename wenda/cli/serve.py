"""``wenda serve --index DIR``: the HTTP API (``wenda.serve.app``) with uvicorn."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from wenda.cli.app import app
from wenda.cli.common import IndexOpt, RayOpt, RayWorkersOpt, require_ml
from wenda.errors import WendaError


@app.command("serve")
def serve_cmd(
    index: Path = IndexOpt,
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on (loopback by default)"),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    reader: Path = typer.Option(None, "--reader", help="a trained reader directory, or a packaged reader: default, minilm (more accurate, slower)"),
    rerank: Path = typer.Option(None, "--rerank", help="a trained ranker directory: re-rank retrieved passages"),
    ray: str = RayOpt,
    replicas: int = typer.Option(2, "--replicas", min=1, help="with --ray: copies of the app (Ray Serve)"),
    ray_workers: int = RayWorkersOpt,
) -> None:  # fmt: skip
    """Serve the HTTP API (/v1/ask, /v1/search, /v1/documents, /v1/health; OpenAPI at /docs)."""
    require_ml()
    if ray is not None:
        _serve_on_ray(ray, index, reader, rerank, replicas, host, port, ray_workers)
        return
    try:
        import uvicorn

        from wenda.serve.app import create_app
        from wenda.serve.memory import tune_memory
    except ImportError as exc:
        raise WendaError(f"serving needs {exc.name}: pip install 'wenda[serve]'") from None
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    tune_memory()
    uvicorn.run(create_app(index, reader, rerank), host=host, port=port, access_log=False)


def _serve_on_ray(address, index, reader, rerank, replicas, host, port, workers) -> None:
    """``--ray``: the same app as Ray Serve replicas (:mod:`wenda.scale.rayserve`)."""
    from wenda.collection import Collection
    from wenda.config import settings
    from wenda.scale import rayserve

    cfg = settings()
    Collection.open(index, cfg).close()  # a missing or broken index is refused here, not per replica
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        rayserve.start(address, index, reader, rerank, cfg, replicas, host, port, workers)
    except KeyboardInterrupt:
        pass
    finally:
        rayserve.stop()
