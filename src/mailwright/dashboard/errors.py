"""Errors under /dashboard answered as pages (the API faces answer theirs in their JSON bodies)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from mailwright.api.errors import title
from mailwright.dashboard.pages import page
from mailwright.errors import RuleViolation


class DashboardErrors:
    def problem(self, request: Request, status: int, details: str, headers: dict[str, str]) -> Response:
        response = page(request, "error.html", None, status_code=status, title=title(status), details=details, problems=[])
        response.headers.update(headers)
        return response

    def violation(self, request: Request, error: RuleViolation) -> Response:
        problems = [f"{f.field}: {f.issue}" for f in error.fields]
        return page(request, "error.html", None, status_code=422, title="Not possible", details=error.message, problems=problems)
