"""The FastAPI application: both API faces over one runtime, error handlers, health checks."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from mailwright import __version__
from mailwright.api import docs, openapi
from mailwright.api.deps import refuse_declared_oversize
from mailwright.api.errors import Faces, HttpProblem, install_error_handlers
from mailwright.api.methods import AllowedMethods
from mailwright.api.middleware import BodyLimit, RequestContext
from mailwright.api.ratelimit import RateLimiter
from mailwright.api.reseller import PREFIX as RESELLER_PREFIX
from mailwright.api.reseller import errors as reseller_errors
from mailwright.api.reseller import order_schemas as reseller_order_schemas
from mailwright.api.reseller.routes import webhooks as reseller_webhooks
from mailwright.api.reseller.routes import exports as reseller_exports
from mailwright.api.reseller import schemas as reseller_schemas
from mailwright.api.reseller.routes import router as reseller_router
from mailwright.api.woodpecker import billing_schemas
from mailwright.api.woodpecker import schemas as woodpecker_schemas
from mailwright.api.woodpecker.errors import WoodpeckerErrors
from mailwright.api.woodpecker.presenters import PICTURES_PATH
from mailwright.api.woodpecker.billing_routes import router as billing_router
from mailwright.api.woodpecker.export_routes import router as woodpecker_export_router
from mailwright.api.woodpecker.routes import router as woodpecker_router
from mailwright.api.woodpecker import webhooks as woodpecker_webhooks
from mailwright.dashboard import mount as dashboard
from mailwright.db import migrate
from mailwright.mailboxes import service as mailboxes
from mailwright.runtime import Runtime

# Hand-parsed request bodies, documented under components/schemas.
DOCUMENTED_MODELS = (
    woodpecker_schemas.AvailabilityListRequest,
    woodpecker_schemas.OwnerRequest,
    woodpecker_schemas.OrderDomainsRequest,
    woodpecker_schemas.OrderMailboxesRequest,
    woodpecker_schemas.RedirectRequest,
    woodpecker_schemas.ForwardingRequest,
    woodpecker_schemas.DkimRequest,
    woodpecker_schemas.AvatarRequest,
    woodpecker_webhooks.SubscribeRequest,
    woodpecker_webhooks.UnsubscribeRequest,
    *reseller_schemas.DOCUMENTED_MODELS,
    *reseller_order_schemas.DOCUMENTED_MODELS,
    billing_schemas.AutoRenewRequest,
    billing_schemas.CancelRequest,
    reseller_webhooks.ResellerWebhookRequest,
    *reseller_exports.DOCUMENTED_MODELS,
)


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="Mailwright",
        version=__version__,
        description=(
            "Domains, DNS and mailboxes for cold email: the Woodpecker-style API under /rest/v2/domains "
            "and the ColdMailReseller-style API under /api/v1/integration."
        ),
        dependencies=[Depends(refuse_declared_oversize)],
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.rate_limiter = RateLimiter(runtime.settings.rate_limit_per_minute, runtime.settings.rate_limit_burst)
    app.state.auth_failures = RateLimiter(runtime.settings.auth_failures_per_minute, runtime.settings.auth_failures_burst)
    faces = Faces(default=WoodpeckerErrors())
    install_error_handlers(app, faces)
    reseller_errors.install(app, faces)
    app.include_router(woodpecker_export_router)  # first: its path is no domain's
    app.include_router(woodpecker_router)
    app.include_router(woodpecker_webhooks.router)
    app.include_router(billing_router)
    app.include_router(reseller_router)
    _add_service_routes(app)
    dashboard.install(app, faces)
    docs.install(app)
    app.add_middleware(AllowedMethods, api=app, faces=faces)
    app.add_middleware(BodyLimit, max_bytes=runtime.settings.max_body_bytes, timeout_seconds=runtime.settings.request_body_timeout_seconds)
    app.add_middleware(RequestContext)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _add_service_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["Operations"], summary="The process is up")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["Operations"],
        summary="The database is reachable and migrated",
        responses={503: {"description": "Not ready: the database cannot be reached or migrations are pending"}},
    )
    def readyz(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        try:
            runtime.db.ping()
            current = migrate.is_current(runtime.db)
        except Exception as exc:  # any failure to reach the database means not ready
            return JSONResponse({"status": "unavailable", "reason": type(exc).__name__}, status_code=503)
        if not current:
            return JSONResponse({"status": "unavailable", "reason": "migrations pending"}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.get(
        PICTURES_PATH + "/{picture_id}",
        tags=["Media"],
        summary="A mailbox profile picture (unguessable URL)",
        response_class=Response,
        responses={
            200: {"content": {"image/png": {}, "image/jpeg": {}}, "description": "The picture"},
            404: {"model": woodpecker_schemas.ProblemBody, "description": "No such picture"},
        },
    )
    def profile_picture(picture_id: str, request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        with runtime.db.read() as session:
            picture = mailboxes.get_picture(session, picture_id)
            if picture is None:
                raise HttpProblem(404, "Picture not found")
            return Response(
                picture.data,
                media_type=picture.content_type,
                headers={"Cache-Control": "public, max-age=86400, immutable"},
            )


def _openapi(app: FastAPI) -> dict[str, Any]:
    if not app.openapi_schema:
        app.openapi_schema = openapi.build(
            app, DOCUMENTED_MODELS, {RESELLER_PREFIX: None}, default=woodpecker_schemas.ValidationErrorBody.__name__
        )
    return app.openapi_schema
