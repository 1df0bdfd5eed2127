"""``wenda serve --ray ADDRESS``: the HTTP app (:func:`wenda.serve.app.create_app`) as Ray Serve
replicas behind one route.

Ray Serve (https://docs.ray.io/en/latest/serve/index.html) runs ``replicas`` copies of the same
FastAPI application, each in its own Ray actor with its own models, and its HTTP proxy spreads the
requests over them. Every replica opens the same index directory, so on a cluster it must be on
storage every node sees. Reads need nothing more: a replica's retrievers reopen when another process
has applied changes (:meth:`wenda.collection.Collection._followed`) and the document store is read
through SQLite. Writes (``POST /v1/documents``, ``DELETE``) take the index's write lock, so two
replicas writing at once write one after the other (``write_wait_s``); the other replicas see the
documents from their next query on.

The settings are read once, where the command runs, and sent to the replicas: a key given in
``WENDA_API_KEY`` on the head node holds on every node.
"""

from __future__ import annotations

import signal
from pathlib import Path

from wenda.config import Settings
from wenda.errors import WendaError
from wenda.scale.raymap import connect, shared_path

APP = "wenda"


class WendaReplica:
    """One replica: the application over ``index`` with the given models and settings. Wrapped by
    ``serve.deployment(serve.ingress()(...))`` in :func:`application`: Ray Serve calls
    ``__serve_build_asgi_app__`` after the constructor, on the replica."""

    def __init__(self, index: str, reader: str | None, reranker: str | None, cfg: Settings) -> None:
        self.args = (index, reader, reranker, cfg)

    def __serve_build_asgi_app__(self):
        from wenda.serve.app import create_app
        from wenda.serve.memory import tune_memory

        tune_memory()
        return create_app(*self.args)


def application(
    index: Path, reader: Path | None, reranker: Path | None, cfg: Settings, replicas: int,
    cpus: float = 1.0,
):  # fmt: skip
    """The Ray Serve application: ``replicas`` copies of the app, ``cpus`` Ray CPUs each."""
    from ray import serve

    deployment = serve.deployment(
        serve.ingress()(WendaReplica),
        name="wenda",
        num_replicas=replicas,
        ray_actor_options={"num_cpus": cpus},
        max_ongoing_requests=32,  # the app batches questions that arrive together
    )
    return deployment.bind(*map(shared_path, (index, reader, reranker)), cfg)


def start(
    address: str, index: Path, reader: Path | None, reranker: Path | None, cfg: Settings,
    replicas: int, host: str, port: int, workers: int | None = None, blocking: bool = True,
):  # fmt: skip
    """Connect to Ray at ``address`` (:func:`wenda.scale.raymap.connect`), then run the
    application with Serve's HTTP proxy on ``host:port``; with ``blocking``, until interrupted."""
    if replicas < 1:
        raise WendaError(f"--replicas must be at least 1, not {replicas}")
    ray = connect(address, workers)
    from ray import serve

    # One CPU per replica, or a share when the cluster has fewer CPUs than replicas (which would
    # otherwise wait for CPUs that never come).
    cpus = min(1.0, float(ray.cluster_resources().get("CPU", 1)) / replicas)
    serve.start(http_options={"host": host, "port": port})
    app = application(index, reader, reranker, cfg, replicas, cpus)
    if blocking:
        # SIGTERM (what service managers send) stops as Ctrl-C does, so the caller can remove the
        # replicas (:func:`stop`), which Ray Serve would otherwise keep running on a cluster. Set
        # after connecting: ray.init installs a handler of its own.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    return serve.run(app, name=APP, route_prefix="/", blocking=blocking)


def stop() -> None:
    """Remove the application and Serve's proxy and controller from the cluster."""
    from ray import serve

    serve.shutdown()
