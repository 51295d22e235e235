"""The Woodpecker-style error bodies, as the seeds show them: {title, status, details, timestamp}
for HTTP-level errors, and {type, message, code, request_id, fields} (422) for invalid fields and
business rules. The problem body also carries `request_id` (the seeds' problem bodies allow extra
members), so every error names the request, as X-Request-Id and the logs do."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from mailwright import clock
from mailwright.api.errors import title
from mailwright.api.middleware import request_id_of
from mailwright.errors import RuleViolation


def problem_body(status: int, details: str, request_id: str | None) -> dict[str, object]:
    return {"title": title(status), "status": status, "details": details, "timestamp": clock.iso(clock.now()), "request_id": request_id}


def violation_body(error: RuleViolation, request_id: str | None) -> dict[str, object]:
    return {
        "type": "validation_error",
        "message": error.message,
        "code": error.code,
        "request_id": request_id,
        "fields": [{"field": f.field, "issue": f.issue, "value": f.value} for f in error.fields] or None,
    }


class WoodpeckerErrors:
    def problem(self, request: Request, status: int, details: str, headers: dict[str, str]) -> Response:
        return JSONResponse(problem_body(status, details, request_id_of(request.state)), status_code=status, headers=headers)

    def violation(self, request: Request, error: RuleViolation) -> Response:
        return JSONResponse(violation_body(error, request_id_of(request.state)), status_code=422)
