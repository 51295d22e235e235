"""Errors in this face's envelope: {"status", "message", "data": {"code", "errors": [{field, message}], "requestId"}}.

Registered for the /api/v1/integration prefix (api.errors.Faces), so service errors, request
validation and HTTP-level refusals all come out in this shape."""

from __future__ import annotations

import re
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from mailwright.api.errors import Faces, HttpProblem
from mailwright.api.middleware import request_id_of
from mailwright.api.reseller import PREFIX
from mailwright.api.reseller.envelope import envelope, error_data
from collections.abc import Callable
from typing import Any

from mailwright.errors import FieldIssue, FieldIssues, RuleViolation, refusal

# Business codes whose HTTP status is not the default 422.
STATUS_BY_CODE = {
    "invalid_fields": 400,
    "insufficient_funds": 402,
    "payment_failed": 402,
    "user_exists": 409,
    "user_has_services": 409,
    "managed_record": 409,
    "renewal_conflict": 409,
}

# This face's own advice for refusals whose remedy is a call of this face; the core's messages name
# no face's paths (tests/api/test_face_messages.py keeps it so).
MESSAGES = {
    "domain_owner_required": (
        "No registrant contact for these domains: complete the user's contact (address, city, state, country, "
        "zipCode and phone) with PUT /api/v1/integration/users?userId=USER_ID and order for that user, "
        "or ask the operator to set a default registrant (mailwright registrant set)"
    ),
}


class FieldProblem(HttpProblem):
    """An HTTP-level refusal that names the fields it is about (missing key header, unknown userId)."""

    def __init__(self, status: int, message: str, fields: list[FieldIssue]) -> None:
        super().__init__(status, message)
        self.fields = fields


class RequestProblems(FieldIssues):
    """Everything wrong with one request, answered at once: shape and value checks and lookups
    (an unknown userId, domainId ...) are all collected before anything is refused. The answer
    is 404 when every problem is something that does not exist, otherwise 400 naming every
    field, the unknown ones included."""

    def __init__(self) -> None:
        super().__init__()
        self._not_found: list[tuple[FieldIssue, str]] = []

    def missing(self, message: str, field: str, issue: str, value: Any = None) -> None:
        """`field` names something that does not exist; `message` is the 404 answer's message."""
        item = FieldIssue(field, issue, value)
        self.items.append(item)
        self._not_found.append((item, message))

    def raise_if_any(self, order: Callable[[str], Any] | None = None) -> None:
        if not self.items:
            return
        items = sorted(self.items, key=lambda i: order(i.field)) if order else list(self.items)
        if len(self._not_found) == len(self.items):
            raise FieldProblem(404, self._not_found[0][1], items)
        raise refusal(items)


def code_for_status(status: int) -> str:
    """"not_found", "unauthorized", "too_many_requests" ... from the HTTP status."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "error"
    return re.sub(r"[^a-z0-9]+", "_", phrase.lower()).strip("_")


class ResellerErrors:
    def problem(self, request: Request, status: int, details: str, headers: dict[str, str]) -> Response:
        return _answer(request, status, details, code_for_status(status), [], headers)

    def violation(self, request: Request, error: RuleViolation) -> Response:
        status = STATUS_BY_CODE.get(error.code, 422)
        return _answer(request, status, MESSAGES.get(error.code, error.message), error.code, error.fields, {})


def _answer(request: Request, status: int, message: str, code: str, fields: list[FieldIssue], headers: dict[str, str]) -> JSONResponse:
    data = error_data(code, fields, request_id_of(request.state))
    return JSONResponse(envelope(status, message, data), status_code=status, headers=headers)


def install(app: FastAPI, faces: Faces) -> None:
    faces.add(PREFIX, ResellerErrors())

    @app.exception_handler(FieldProblem)
    async def _field_problem(request: Request, exc: FieldProblem) -> Response:
        return _answer(request, exc.status, exc.details, code_for_status(exc.status), exc.fields, exc.headers)
