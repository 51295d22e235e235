"""Webhooks of the ColdMailReseller-style face: endpoints registered here receive the family's
envelope {event, eventId, data} (see api/reseller/webhook_bodies.py), signed and retried like
every Mailwright webhook (Standard Webhooks headers)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from mailwright.api.reseller.deps import AccountDep, BodyDep, RuntimeDep
from mailwright.api.reseller.envelope import respond
from mailwright.api.reseller.errors import FieldProblem
from mailwright.api.reseller.schemas import Envelope, ErrorEnvelope, body_of
from mailwright.clock import iso
from mailwright.errors import FieldIssue, InvalidFields, NotFound, RuleViolation
from mailwright.events.types import ALL_EVENTS
from mailwright.net.outbound import OutboundPolicy
from mailwright.webhooks import service as webhooks
from mailwright.webhooks.formats import RESELLER
from mailwright.webhooks.models import WebhookEndpoint

router = APIRouter(prefix="/webhooks", tags=["Webhooks (ColdMailReseller-style)"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorEnvelope, "description": "No such webhook of yours"}}


class ResellerWebhookRequest(BaseModel):
    url: str = Field(description="Absolute http(s) URL that receives a POST per event")
    event: str = Field(f"{ALL_EVENTS}", description=f"One event type (domain.order.success, mailbox.created, ...) or {ALL_EVENTS}")


class ResellerWebhook(BaseModel):
    webhookId: str
    url: str
    event: str
    status: str = Field(description="ACTIVE or UNSUBSCRIBED")
    createdAt: str


class ResellerWebhookCreated(ResellerWebhook):
    secret: str = Field(description="Signing secret (whsec_...), shown only in this response")


class ResellerWebhookList(BaseModel):
    webhooks: list[ResellerWebhook]


@router.post(
    "",
    status_code=201,
    response_model=Envelope[ResellerWebhookCreated],
    summary="Register a webhook URL for an event type (or * for all)",
    description="The URL's host must resolve to public addresses only (no loopback, private, link-local or reserved ones).",
    openapi_extra=body_of(ResellerWebhookRequest),
)
def create_webhook(account: AccountDep, runtime: RuntimeDep, body: BodyDep) -> JSONResponse:
    try:
        url, event = webhooks.check_new_subscription(body.get("url"), body.get("event", ALL_EVENTS), OutboundPolicy.of(runtime.settings))
        with runtime.db.write() as session:
            endpoint, secret = webhooks.subscribe(
                session, runtime.secrets, account_id=account.id, target_url=url, event=event, format=RESELLER
            )
            data = webhook_body(endpoint) | {"secret": secret}
    except RuleViolation as exc:
        # The service names the URL `target_url`; this face calls it `url`.
        fields = [FieldIssue("url" if f.field == "target_url" else f.field, f.issue, f.value) for f in exc.fields]
        raise (InvalidFields(fields) if isinstance(exc, InvalidFields) else RuleViolation(exc.code, exc.message, fields)) from exc
    return respond(data, "Webhook created successfully", 201)


@router.get("", response_model=Envelope[ResellerWebhookList], summary="List your webhooks")
def list_webhooks(account: AccountDep, runtime: RuntimeDep) -> JSONResponse:
    with runtime.db.read() as session:
        rows = [e for e in webhooks.all_endpoints_of(session, account.id) if e.format == RESELLER]
        data = {"webhooks": [webhook_body(e) for e in rows]}
    return respond(data, "Webhooks fetched successfully")


@router.delete("/{webhookId}", response_model=Envelope[None], responses=NOT_FOUND, summary="Remove a webhook")
def delete_webhook(
    webhookId: str,  # noqa: N803 - the family's name for the path parameter
    account: AccountDep,
    runtime: RuntimeDep,
) -> JSONResponse:
    with runtime.db.write() as session:
        try:
            endpoint = webhooks.get_endpoint(session, account.id, webhookId)
        except NotFound as exc:
            raise FieldProblem(404, "Webhook not found", [FieldIssue("webhookId", "No such webhook of yours")]) from exc
        if endpoint.format != RESELLER:
            raise FieldProblem(404, "Webhook not found", [FieldIssue("webhookId", "No such webhook of yours")])
        webhooks.unsubscribe(session, endpoint, "Removed through the API")
    return respond(None, "Webhook removed successfully")


def webhook_body(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "webhookId": endpoint.id,
        "url": endpoint.target_url,
        "event": endpoint.event,
        "status": endpoint.status.upper(),
        "createdAt": iso(endpoint.created_at),
    }
