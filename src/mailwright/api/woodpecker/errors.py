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
from mailwright.validation import shown


# This face's own advice for refusals whose remedy is a call of this face; the core's messages name
# no face's paths (tests/api/test_face_messages.py keeps it so).
MESSAGES = {
    "domain_owner_required": "A domain owner is required before ordering domains: save one with POST /rest/v2/domains/owner",
}


def problem_body(status: int, details: str, request_id: str | None) -> dict[str, object]:
    return {"title": title(status), "status": status, "details": details, "timestamp": clock.iso(clock.now()), "request_id": request_id}


def violation_body(error: RuleViolation, request_id: str | None) -> dict[str, object]:
    return {
        "type": "validation_error",
        "message": MESSAGES.get(error.code, error.message),
        "code": error.code,
        "request_id": request_id,
        # `value` is documented as a string or null: anything else a service names is shown as JSON.
        "fields": [{"field": f.field, "issue": f.issue, "value": shown(f.value)} for f in error.fields] or None,
    }


class WoodpeckerErrors:
    def problem(self, request: Request, status: int, details: str, headers: dict[str, str]) -> Response:
        return JSONResponse(problem_body(status, details, request_id_of(request.state)), status_code=status, headers=headers)

    def violation(self, request: Request, error: RuleViolation) -> Response:
        return JSONResponse(violation_body(error, request_id_of(request.state)), status_code=422)
