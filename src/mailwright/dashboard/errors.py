"""Errors under /dashboard answered as pages (the API faces answer theirs in their JSON bodies),
with the signed-in person's navigation and "Sign out" as on every page."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from mailwright.api.errors import title
from mailwright.dashboard import sessions
from mailwright.dashboard.pages import page
from mailwright.dashboard.sessions import Viewer
from mailwright.errors import RuleViolation


def _viewer(request: Request) -> Viewer | None:
    try:
        with request.app.state.runtime.db.read() as session:
            return sessions.find(session, request.cookies.get(sessions.COOKIE))
    except Exception:  # the error being answered may be the database's own
        return None


class DashboardErrors:
    def problem(self, request: Request, status: int, details: str, headers: dict[str, str]) -> Response:
        response = page(request, "error.html", _viewer(request), status_code=status, title=title(status), details=details, problems=[])
        response.headers.update(headers)
        return response

    def violation(self, request: Request, error: RuleViolation) -> Response:
        problems = [f"{f.field}: {f.issue}" for f in error.fields]
        return page(request, "error.html", _viewer(request), status_code=422, title="Not possible", details=error.message, problems=problems)
