"""Puts the dashboard into the application: its pages, its assets (shipped in the package), and
its errors answered as pages."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from mailwright.api.errors import Faces
from mailwright.dashboard import PREFIX, bulk, downloads, operator, ordering, routes, subscriptions, users, webhooks
from mailwright.dashboard.auth import SIGN_IN_PATH, NotSignedIn
from mailwright.dashboard.errors import DashboardErrors
from mailwright.dashboard.pages import HERE


def install(app: FastAPI, faces: Faces) -> None:
    faces.add(PREFIX, DashboardErrors())
    app.include_router(routes.router)
    app.include_router(ordering.router)
    app.include_router(operator.router)
    app.include_router(downloads.router)
    app.include_router(bulk.router)
    app.include_router(subscriptions.router)
    app.include_router(webhooks.router)
    app.include_router(users.router)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=HERE / "static"), name="dashboard-static")

    @app.exception_handler(NotSignedIn)
    async def _sign_in_first(request: Request, exc: NotSignedIn) -> Response:
        return RedirectResponse(SIGN_IN_PATH, status_code=303)
