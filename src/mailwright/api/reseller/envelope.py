"""The envelope every answer of this face travels in: {"status": <HTTP code>, "message": ..., "data": ...}."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from mailwright.errors import FieldIssue
from mailwright.pagination import Page


def envelope(status: int, message: str, data: Any) -> dict[str, Any]:
    return {"status": status, "message": message, "data": data}


def respond(data: Any, message: str, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(envelope(status, message, data), status_code=status, headers=headers)


def error_data(code: str, fields: list[FieldIssue], request_id: str | None) -> dict[str, Any]:
    """`data` of an error: a machine-readable code, every offending field with what is wrong, and
    the request's id (its X-Request-Id). The id goes in `data`, not beside it: the envelope stays
    the family's {status, message, data} on every answer, and an error's `data` is Mailwright's own."""
    return {"code": code, "errors": [{"field": f.field, "message": f.issue} for f in fields], "requestId": request_id}


def pagination(page: Page[Any]) -> dict[str, Any]:
    return {
        "totalSearchedCount": page.total,
        "currentPage": page.request.page,
        "nextPage": page.next_page,
        "totalPages": page.total_pages,
    }
