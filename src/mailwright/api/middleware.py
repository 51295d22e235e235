"""ASGI middleware: request ids, access logs, and a body-size limit enforced while reading."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mailwright.logs import request_id_var

log = logging.getLogger("mailwright.access")
REQUEST_ID_HEADER = "x-request-id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,100}$")


class BodyTooLarge(Exception):
    """A body passed the size limit while being read (answered 413)."""


class RequestContext:
    """Gives every request an id (the caller's X-Request-Id if it looks sane), echoes it in the
    response headers, and logs one line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, REQUEST_ID_HEADER)
        request_id = incoming if incoming and _SAFE_ID.match(incoming) else str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "request_id": request_id,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            request_id_var.reset(token)


class BodyLimit:
    """Stops reading a streamed body as soon as it passes `max_bytes`, so an oversized body is
    never read whole. (A declared Content-Length over the limit is refused before any reading,
    by the `refuse_declared_oversize` dependency, so the client gets 413 before anything else.)"""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(too_large_text(self.max_bytes))
            return message

        await self.app(scope, counting_receive, send)


def too_large_text(max_bytes: int) -> str:
    return f"Request body is larger than the limit of {max_bytes} bytes"


def _header(scope: Scope, name: str) -> str | None:
    raw = name.encode()
    for key, value in scope.get("headers", []):
        if key == raw:
            return value.decode("latin-1")
    return None


def request_id_of(state: Any) -> str | None:
    return getattr(state, "request_id", None)
