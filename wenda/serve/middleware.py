"""ASGI middleware of the HTTP API: a request-body size limit, and one structured (JSON) log line
per request with its id, route, status and duration.

Pure ASGI rather than Starlette's ``BaseHTTPMiddleware``: the size check must count the body as it
streams (a chunked request has no ``Content-Length`` to trust)."""

from __future__ import annotations

import json
import logging
import time
import uuid

log = logging.getLogger("wenda.serve")


async def _reply(send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse (413) a request whose body is larger than ``max_bytes``, by its ``Content-Length``
    or, without one, once the streamed body passes the limit."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            return await _reply(send, 413, f"request body over {self.max_bytes} bytes")
        seen, started = 0, False

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge
            return message

        async def tracked(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if not started:
                await _reply(send, 413, f"request body over {self.max_bytes} bytes")


class _TooLarge(Exception):
    pass


class AccessLog:
    """One JSON log line per request (``wenda.serve`` logger): id (the client's ``X-Request-ID`` or a
    new one, echoed in the response), method, path, status, milliseconds."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")[:64]
        request_id, start, status = given or uuid.uuid4().hex[:16], time.perf_counter(), 500

        async def tagged(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"x-request-id", request_id.encode())],
                }
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        finally:
            record = {
                "request_id": request_id, "method": scope["method"], "path": scope["path"], "status": status,
                "ms": round(1000 * (time.perf_counter() - start), 2),
            }  # fmt: skip
            log.info(json.dumps(record))
