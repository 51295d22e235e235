"""Errors at the HTTP edge. Each API face renders them in its own documented shape; a path
outside every face gets the Woodpecker-style problem body."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Protocol

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from mailwright.api.middleware import REQUEST_ID_HEADER, BodyTooLarge, request_id_of
from mailwright.errors import FieldIssue, InvalidFields, NotFound, RuleViolation, Unavailable
from mailwright.providers.base import ProviderUnavailable
from mailwright.validation import shown

log = logging.getLogger(__name__)

TITLES = {413: "Payload Too Large"}


def title(status: int) -> str:
    return TITLES.get(status) or HTTPStatus(status).phrase


class HttpProblem(Exception):
    """An HTTP-level refusal (bad JSON, no key, too many requests ...)."""

    def __init__(self, status: int, details: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(details)
        self.status = status
        self.details = details
        self.headers = headers or {}


class ErrorRenderer(Protocol):
    def problem(self, request: Request, status: int, details: str, headers: dict[str, str]) -> Response: ...

    def violation(self, request: Request, error: RuleViolation) -> Response: ...


class Faces:
    """Which renderer answers for which path prefix."""

    def __init__(self, default: ErrorRenderer) -> None:
        self.default = default
        self.by_prefix: list[tuple[str, ErrorRenderer]] = []

    def add(self, prefix: str, renderer: ErrorRenderer) -> None:
        self.by_prefix.append((prefix, renderer))

    def for_request(self, request: Request) -> ErrorRenderer:
        path = request.url.path
        return next((r for prefix, r in self.by_prefix if path.startswith(prefix)), self.default)


def install_error_handlers(app: FastAPI, faces: Faces) -> None:
    def problem(request: Request, status: int, details: str, headers: dict[str, str] | None = None) -> Response:
        return faces.for_request(request).problem(request, status, details, headers or {})

    @app.exception_handler(HttpProblem)
    async def _http_problem(request: Request, exc: HttpProblem) -> Response:
        return problem(request, exc.status, exc.details, exc.headers)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> Response:
        return problem(request, 413, exc.detail)

    @app.exception_handler(RuleViolation)
    async def _violation(request: Request, exc: RuleViolation) -> Response:
        return faces.for_request(request).violation(request, exc)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        return problem(request, 404, f"{exc.what[:1].upper()}{exc.what[1:]} not found")

    @app.exception_handler(RequestValidationError)
    async def _request_validation(request: Request, exc: RequestValidationError) -> Response:
        fields = [
            FieldIssue(_location(e["loc"]), "Field is required" if e["type"] == "missing" else e["msg"], shown(e.get("input")) if e["type"] != "missing" else None)
            for e in exc.errors()
        ]
        return faces.for_request(request).violation(request, InvalidFields(fields))

    @app.exception_handler(StarletteHTTPException)
    async def _starlette(request: Request, exc: StarletteHTTPException) -> Response:
        details = exc.detail if isinstance(exc.detail, str) else title(exc.status_code)
        if exc.status_code == 404 and details == "Not Found":
            details = f"No endpoint at {request.method} {request.url.path}"
        return problem(request, exc.status_code, details, dict(exc.headers or {}))

    @app.exception_handler(ProviderUnavailable)
    async def _provider_down(request: Request, exc: ProviderUnavailable) -> Response:
        log.warning("provider unavailable: %s", exc)
        return problem(request, 503, "A provider cannot be reached right now; try again shortly", {"Retry-After": "5"})

    @app.exception_handler(Unavailable)
    async def _unavailable(request: Request, exc: Unavailable) -> Response:
        return problem(request, 503, str(exc), {"Retry-After": "5"})

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> Response:
        if isinstance(exc, OperationalError) or exc.connection_invalidated:
            log.error("database unavailable: %s", exc.orig)
            return problem(request, 503, "The database cannot be reached right now; try again shortly", {"Retry-After": "5"})
        log.exception("database error")
        return problem(request, 500, "Unexpected server error")

    @app.exception_handler(PoolTimeout)
    async def _pool(request: Request, exc: PoolTimeout) -> Response:
        return problem(request, 503, "The server is busy; try again shortly", {"Retry-After": "2"})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error")
        # Starlette answers an unhandled error outside every middleware, so the id goes on here.
        return problem(request, 500, "Unexpected server error", {REQUEST_ID_HEADER: request_id_of(request.state) or ""})


def _location(loc: tuple[object, ...]) -> str:
    parts = [p for p in loc if p not in ("body", "query", "path", "header")]
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"
