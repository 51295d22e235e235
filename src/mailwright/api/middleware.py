"""ASGI middleware: request ids, access logs, and the body's size and time limits, enforced while reading."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mailwright.logs import request_id_var

log = logging.getLogger("mailwright.access")
REQUEST_ID_HEADER = "x-request-id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,100}$")


class BodyTooLarge(HTTPException):
    """A body passed the size limit while being read (answered 413). An HTTPException for the
    reason BodyTooSlow is one: FastAPI's own body parsing (a route with a model parameter)
    would otherwise answer 400 "There was an error parsing the body"."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, too_large_text(max_bytes))


class BodyTooSlow(HTTPException):
    """A body did not arrive within its time (answered 408, closing the connection: the rest of the
    body is never read). An HTTPException, so FastAPI's own body parsing passes it on as it is
    instead of reporting a malformed body."""

    def __init__(self, seconds: float) -> None:
        super().__init__(408, f"The request body did not arrive within {seconds:g} seconds", headers={"Connection": "close"})


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
    never read whole, or when it has not all arrived `timeout_seconds` after the request's headers
    (api.server closes such a connection at the same deadline if the app is not reading it).
    (A declared Content-Length over the limit is refused before any reading, by the
    `refuse_declared_oversize` dependency, so the client gets 413 before anything else.)"""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout_seconds: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen = 0
        deadline = asyncio.get_running_loop().time() + self.timeout_seconds
        body_read = False

        async def limited_receive() -> Message:
            nonlocal seen, body_read
            if body_read:  # afterwards only a disconnect can come, whenever it comes
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTooSlow(self.timeout_seconds) from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
                body_read = not message.get("more_body", False)
            return message

        await self.app(scope, limited_receive, send)


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
