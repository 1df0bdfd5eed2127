"""The web page: server-rendered Jinja2 templates, made interactive by htmx (one static file in
the package, so no JavaScript build step and nothing fetched from the network).

``GET /`` is the page (with ``?q=`` it already holds the answer: the page works without
JavaScript too); ``GET /ui/ask?q=`` the answer fragment htmx swaps in; ``GET
/ui/why?q=&passage=`` the reader's start/end probabilities over a passage's words
(:meth:`~wenda.read.answer.ReaderService.evidence`); ``GET /ui/document/{id}?start=&end=`` a
stored document with the evidence highlighted (where source links point).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")


def add_web(app: FastAPI, reads) -> None:
    """Mount the static files and the page's routes on ``app``; ``reads`` is the read-access
    dependency giving the :class:`~wenda.serve.app.Service`."""
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    async def documents(service) -> int:
        return (await service.run(service.qa.collection.store.counts))["documents"]

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page(request: Request, q: str | None = Query(None, max_length=2000), service=Depends(reads)):
        result = await service.ask(q, None, None, 3) if q and q.strip() else None
        context = {"question": q, "result": result, "documents": await documents(service)}
        return templates.TemplateResponse(request, "index.html", context)

    @app.get("/ui/ask", response_class=HTMLResponse, include_in_schema=False)
    async def ask_fragment(
        request: Request, q: str = Query(min_length=1, max_length=2000), service=Depends(reads)
    ):
        result = await service.ask(q, None, None, 3)
        return templates.TemplateResponse(request, "_result.html", {"result": result})

    @app.get("/ui/why", response_class=HTMLResponse, include_in_schema=False)
    async def why(request: Request, q: str = Query(min_length=1, max_length=2000), passage: int = Query(ge=1), service=Depends(reads)):  # fmt: skip
        found = await service.run(service.qa.collection.store.passages, [passage])
        if passage not in found:
            raise HTTPException(404, f"no passage {passage}")
        text = found[passage]["passage"].text
        evidence = await service.run(service.qa.reader.evidence, q, text)
        return templates.TemplateResponse(request, "_why.html", {"tokens": pieces(text, evidence)})

    @app.get("/ui/document/{doc_id}", response_class=HTMLResponse, include_in_schema=False)
    async def document(request: Request, doc_id: int, start: int = Query(0, ge=0), end: int = Query(0, ge=0), service=Depends(reads)):  # fmt: skip
        doc = await service.run(service.qa.collection.store.document, doc_id)
        if doc is None:
            raise HTTPException(404, f"no document {doc_id}")
        context = {"doc": doc, "start": min(start, end), "end": end, "documents": await documents(service)}
        return templates.TemplateResponse(request, "document.html", context)


def pieces(text: str, evidence: list[tuple[int, int, float, float]]) -> list[tuple[str, float, float]]:
    """``text`` cut into the evidence's tokens (with their P(start), P(end)) and the text between
    them (with zeros), so that the pieces joined give ``text`` back."""
    out, at = [], 0
    for b, e, p_start, p_end in evidence:
        if b > at:
            out.append((text[at:b], 0.0, 0.0))
        out.append((text[b:e], p_start, p_end))
        at = e
    if at < len(text):
        out.append((text[at:], 0.0, 0.0))
    return out
