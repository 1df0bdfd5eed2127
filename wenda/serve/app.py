"""The HTTP API: ``create_app(index)`` is a FastAPI application over one index directory.

The web page is ``/`` (``wenda.serve.web``). API routes (JSON, versioned under ``/v1``; the
OpenAPI document at ``/openapi.json``, its pages at ``/docs``): ``GET /v1/health``; ``GET|POST
/v1/search``; ``GET|POST /v1/ask`` (with ``audio``: the answer spoken, ``audio/wav``, by
``wenda.speak``); ``GET /v1/documents`` (list), ``POST /v1/documents`` (add or replace, as files in
the index's ``uploads/``: ``wenda.corpus.uploads``), ``DELETE /v1/documents/{id}``. Write routes
need the ``api_key`` setting (``WENDA_API_KEY``) sent as ``X-API-Key`` or ``Authorization:
Bearer``; with no key configured they are refused; ``api_key_reads`` puts read routes behind the
key too.

The models load once, at start-up. Requests run in worker threads one at a time (a lock: the
SQLite store, the retrievers' searchers and the models are shared); questions that arrive together
are read together, and documents added together are committed together (``wenda.serve.batcher``).
Each request runs within ``request_timeout_s`` (504 after it; the work itself still completes in its
thread). Bodies over ``max_request_kb`` get 413; wenda's own errors (bad query, unknown retriever,
bad document, no speech synthesizer) get 400; a damaged index file 503 (``wenda check`` says what to repair).
"""

from __future__ import annotations

import asyncio
import hmac
import os
import socket
import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from wenda import __version__
from wenda.api import Wenda
from wenda.config import Settings
from wenda.config import settings as load_settings
from wenda.corpus.uploads import FOLDER
from wenda.errors import IndexError_, WendaError
from wenda.serve import schemas as s
from wenda.serve.batcher import AddBatcher, AskBatcher
from wenda.serve.memory import release_free_memory
from wenda.serve.middleware import AccessLog, BodyLimit
from wenda.serve.web import add_web
from wenda.speak import spoken_text, synthesize

_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)
_bearer = HTTPBearer(auto_error=False)


class Service:
    """The opened index and its models, one request at a time, each within the timeout."""

    def __init__(self, qa: Wenda, cfg: Settings) -> None:
        self.qa, self.cfg, self.lock = qa, cfg, threading.Lock()
        self.batcher = AskBatcher(qa, self.lock)
        self.adds = AddBatcher(qa, self.lock)

    async def run(self, fn, *args, write: bool = False):
        """``fn(*args)`` on a worker thread, holding the lock; after a ``write``, the heap's free
        pages go back to the system (:mod:`wenda.serve.memory`)."""

        def locked():
            with self.lock:
                try:
                    return fn(*args)
                finally:
                    if write:
                        release_free_memory()

        return await self._within_timeout(run_in_threadpool(locked))

    async def ask(self, question: str, passages: int | None, retriever: str | None, top: int):
        """The question answered with others that arrive with it (:class:`AskBatcher`)."""
        future = self.batcher.submit(question, passages, retriever, top)
        return await self._within_timeout(asyncio.wrap_future(future))

    async def add(self, documents: list[tuple[str, str]]):
        """The documents indexed, committed with others that arrive with them (:class:`AddBatcher`)."""
        future = self.adds.submit(documents)
        return await self._within_timeout(asyncio.wrap_future(future))

    async def _within_timeout(self, work):
        try:
            return await asyncio.wait_for(work, self.cfg.request_timeout_s)
        except TimeoutError:
            raise HTTPException(504, f"no answer within {self.cfg.request_timeout_s:g} s") from None

    def close(self) -> None:
        self.batcher.close()
        self.adds.close()
        self.qa.close()

    def check_key(self, key: str | None, bearer: HTTPAuthorizationCredentials | None, write: bool) -> None:
        """Refuse the request (401/403) unless it carries the configured key; reads pass freely
        unless ``api_key_reads``."""
        if not write and not self.cfg.api_key_reads:
            return
        if self.cfg.api_key is None:
            raise HTTPException(
                403, "writes are disabled: set the api_key setting (WENDA_API_KEY) to enable them"
            )
        given = key or (bearer.credentials if bearer else None)
        if not given or not hmac.compare_digest(given.encode(), self.cfg.api_key.get_secret_value().encode()):
            raise HTTPException(401, "missing or wrong API key (X-API-Key or Authorization: Bearer)")


def _service(request: Request) -> Service:
    return request.app.state.service


def _reads(request: Request, key: str | None = Depends(_key_header), bearer=Depends(_bearer)) -> Service:
    service = _service(request)
    service.check_key(key, bearer, write=False)
    return service


def _writes(request: Request, key: str | None = Depends(_key_header), bearer=Depends(_bearer)) -> Service:
    service = _service(request)
    service.check_key(key, bearer, write=True)
    return service


def create_app(
    index: str | Path, reader: str | Path | None = None, reranker: str | Path | None = None,
    cfg: Settings | None = None,
) -> FastAPI:  # fmt: skip
    """The application for the index at ``index`` (see the module docstring)."""
    cfg = cfg or load_settings()
    service = Service(Wenda(index, reader, reranker, cfg), cfg)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        service.qa.reader  # noqa: B018 - load the models once, before the first request
        service.qa.reranker  # noqa: B018
        yield
        service.close()

    app = FastAPI(title="wenda", version=__version__, lifespan=lifespan, description=__doc__)
    app.state.service = service
    app.add_exception_handler(WendaError, _bad_request)
    app.add_exception_handler(IndexError_, _damaged_index)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    _routes(app)
    add_web(app, _reads)
    app.add_middleware(BodyLimit, max_bytes=1024 * cfg.max_request_kb)
    app.add_middleware(AccessLog)
    return app


async def _bad_request(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=400)


async def _damaged_index(request: Request, exc: Exception) -> JSONResponse:
    """A damaged or missing index file is the server's problem, not the request's: 503."""
    return JSONResponse({"detail": str(exc)}, status_code=503)


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with where and why each field is wrong. FastAPI's own handler echoes the input back,
    which fails (a 500) on values JSON cannot hold (``Infinity``) and repeats huge inputs."""
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in exc.errors()
    ]
    return JSONResponse({"detail": errors}, status_code=422)


def _routes(app: FastAPI) -> None:
    @app.get("/v1/health", response_model=s.Health)
    async def health(service: Service = Depends(_reads)) -> s.Health:
        col = service.qa.collection
        counts = await service.run(col.store.counts)
        return s.Health(
            status="ok", documents=counts["documents"], passages=counts["passages"],
            retrievers=list(col.meta["retrievers"]), version=__version__, server=f"{socket.gethostname()}:{os.getpid()}",
        )  # fmt: skip

    async def search(r: s.SearchRequest, service: Service) -> s.SearchResponse:
        hits = await service.run(service.qa.search, r.query, r.k, r.retriever)
        return s.SearchResponse(query=r.query, hits=hits)

    @app.post("/v1/search", response_model=s.SearchResponse)
    async def search_post(r: s.SearchRequest, service: Service = Depends(_reads)) -> s.SearchResponse:
        return await search(r, service)

    @app.get("/v1/search", response_model=s.SearchResponse)
    async def search_get(
        q: str = Query(min_length=1, max_length=2000), k: int = Query(10, ge=1, le=100),
        retriever: str | None = None, service: Service = Depends(_reads),
    ) -> s.SearchResponse:  # fmt: skip
        return await search(s.SearchRequest(query=q, k=k, retriever=retriever), service)

    async def ask(r: s.AskRequest, service: Service):
        result = await service.ask(r.question, r.passages, r.retriever, r.top)
        if r.audio:  # the answer spoken (wenda.speak), as a WAV file
            wav = await service.run(synthesize, spoken_text(result), service.cfg.speech_backend)
            return Response(wav, media_type="audio/wav")
        return s.AskResponse.of(result)

    spoken = {
        200: {"content": {"audio/wav": {}}, "description": "the answer, or with audio the answer spoken"}
    }

    @app.post("/v1/ask", response_model=s.AskResponse, responses=spoken)
    async def ask_post(r: s.AskRequest, service: Service = Depends(_reads)):
        return await ask(r, service)

    @app.get("/v1/ask", response_model=s.AskResponse, responses=spoken)
    async def ask_get(
        q: str = Query(min_length=1, max_length=2000), passages: int | None = Query(None, ge=1, le=100),
        retriever: str | None = None, top: int = Query(3, ge=1, le=20), audio: bool = False,
        service: Service = Depends(_reads),
    ):  # fmt: skip
        r = s.AskRequest(question=q, passages=passages, retriever=retriever, top=top, audio=audio)
        return await ask(r, service)

    @app.get("/v1/documents", response_model=s.DocumentsOut)
    async def documents(
        offset: int = Query(0, ge=0),
        limit: int = Query(100, ge=1, le=1000),
        service: Service = Depends(_reads),
    ) -> s.DocumentsOut:
        store = service.qa.collection.store
        rows = await service.run(store.list_documents, offset, limit)
        total = (await service.run(store.counts))["documents"]
        return s.DocumentsOut(documents=[s.DocumentOut(**r) for r in rows], total=total)

    @app.post("/v1/documents", response_model=s.IngestOut)
    async def add_documents(body: s.DocumentsIn, service: Service = Depends(_writes)) -> s.IngestOut:
        report = await service.add([(d.name, d.text) for d in body.documents])
        return s.IngestOut(
            updated=report.updated, unchanged=report.unchanged, failed=[f"{p}: {m}" for p, m in report.failed],
            documents_added=report.docs_added, documents_removed=report.docs_removed,
        )  # fmt: skip

    @app.delete("/v1/documents/{doc_id}")
    async def delete_document(doc_id: int, service: Service = Depends(_writes)) -> dict:
        return await service.run(_delete, service.qa, doc_id, write=True)


def _delete(qa: Wenda, doc_id: int) -> dict:
    """Forget a document. An uploaded one is deleted with its file; one indexed from the user's
    files is forgotten (with the other documents of its file, so a file holding several is
    refused: 409) until ``wenda index`` reads its folder again."""
    col = qa.collection
    doc = col.store.document(doc_id)
    if doc is None:
        raise HTTPException(404, f"no document {doc_id}")
    if (n := col.store.count_documents(doc["file"])) > 1:
        raise HTTPException(
            409, f"document {doc_id} is one of {n} in {doc['file']}; delete that file instead"
        )
    file = Path(doc["file"])
    report = col.remove([file])
    if file.parent == (col.path / FOLDER).resolve():
        file.unlink(missing_ok=True)
    return {"deleted": doc_id, "documents_removed": report.docs_removed}
