"""All routes of the face, one module per area, under /api/v1/integration."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from mailwright.api.openapi import answer
from mailwright.api.reseller import PREFIX
from mailwright.api.reseller.routes import dns, domains, export_files, exports, geo, mailboxes, orders, subscriptions, users, wallet, webhooks
from mailwright.api.reseller.schemas import ErrorEnvelope

ERRORS: dict[int | str, dict[str, Any]] = {
    400: answer(ErrorEnvelope, "Invalid fields (every one named in data.errors) or a malformed body"),
    401: answer(ErrorEnvelope, "Missing, unknown or revoked cmr-x-api-key"),
    413: answer(ErrorEnvelope, "Request body over the size limit"),
    422: answer(ErrorEnvelope, "A business rule forbids the request (data.code names it)"),
    429: answer(ErrorEnvelope, "Rate limit exceeded; see Retry-After"),
    500: answer(ErrorEnvelope, "Unexpected server error"),
    503: answer(ErrorEnvelope, "A dependency is unavailable; retry shortly"),
}

router = APIRouter(prefix=PREFIX, responses=ERRORS)
# Before every other area: GET /exports/csv is the file, never an export named "csv".
router.include_router(export_files.router)
for area in (users, geo, wallet, orders, dns, domains, mailboxes, subscriptions, webhooks, exports):
    router.include_router(area.router)
