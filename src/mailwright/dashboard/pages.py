"""Rendering: Jinja2 templates shipped in the package, answered with headers every page carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from mailwright.clock import iso
from mailwright.dashboard import PREFIX
from mailwright.dashboard.sessions import Viewer
from mailwright.money import Money

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals["PREFIX"] = PREFIX
templates.env.filters["money"] = lambda minor, currency: f"{Money(int(minor), currency).decimal} {currency}"
templates.env.filters["iso"] = iso

# Everything the pages load comes from this server: no inline script, no other origin.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def page(request: Request, template: str, viewer: Viewer | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    context = {"viewer": viewer, "csrf_token": viewer.csrf_token if viewer else None} | context
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers.update(HEADERS)
    return response
