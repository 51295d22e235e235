"""Webhook subscriptions on the Woodpecker-style face (/rest/v1/webhooks), authenticated with
x-api-key like /rest/v2. Deliveries are signed the Standard Webhooks way; see the README."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from mailwright.api.woodpecker.routes import ERRORS, NOT_FOUND, AccountDep, BodyDep, RuntimeDep, body_of
from mailwright.clock import iso
from mailwright.errors import FieldIssues, NotFound
from mailwright.events.types import ALL_EVENTS, EVENT_TYPES
from mailwright.net.outbound import OutboundPolicy
from mailwright.webhooks import service as webhooks
from mailwright.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

EventName = Literal[EVENT_TYPES + (ALL_EVENTS,)]  # type: ignore[valid-type]


class SubscribeRequest(BaseModel):
    target_url: str = Field(description="Absolute http(s) URL that receives a POST per event", examples=["https://example.com/webhooks/mailwright"])
    event: EventName = Field(description=f"One event type, or {ALL_EVENTS} for every event", examples=["mailbox.created"])  # type: ignore[valid-type]


class UnsubscribeRequest(SubscribeRequest):
    pass


class Webhook(BaseModel):
    id: str
    target_url: str
    event: str = Field(description=f"The event type it receives, or {ALL_EVENTS}")
    format: str = Field(description="Body format: standard ({id, type, timestamp, data}) or reseller ({event, eventId, data})")
    status: Literal["active", "unsubscribed"]
    status_reason: str | None = Field(description="Why it was unsubscribed, e.g. it answered 410 Gone")
    created: str
    unsubscribed: str | None


class WebhookCreated(Webhook):
    secret: str = Field(
        description="Signing secret (Standard Webhooks, whsec_...). Shown only in this response: keep it.",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


class WebhookList(BaseModel):
    webhooks: list[Webhook]


class EventTypes(BaseModel):
    events: list[str]


class Attempt(BaseModel):
    number: int
    attempted_at: str
    status_code: int | None = Field(description="The endpoint's HTTP status; null when no answer came")
    error: str | None = Field(description="Why the attempt did not deliver (HTTP status, timeout, connection refused ...)")
    duration_ms: int


class Delivery(BaseModel):
    id: str
    event_id: str = Field(description="Also sent as the webhook-id header")
    event_type: str
    status: Literal["pending", "delivered", "failed", "cancelled", "skipped"]
    attempts: list[Attempt]
    last_status_code: int | None
    last_error: str | None
    created: str
    finished: str | None


class DeliveryList(BaseModel):
    deliveries: list[Delivery]


class Unsubscribed(BaseModel):
    success: bool = True
    unsubscribed: list[str] = Field(description="Ids of the webhooks that stopped")


router = APIRouter(prefix="/rest/v1/webhooks", tags=["Webhooks"], responses=ERRORS)


@router.get("/events", response_model=EventTypes, summary="Event types a webhook can subscribe to")
def event_types(account: AccountDep) -> dict[str, Any]:
    return {"events": list(EVENT_TYPES)}


@router.post(
    "/subscribe",
    status_code=201,
    response_model=WebhookCreated,
    summary="Subscribe a URL to an event type (or * for all)",
    description="Answers the endpoint's signing secret once. The same URL may subscribe to several types. "
    "The URL's host must resolve to public addresses only (no loopback, private, link-local or reserved ones).",
    openapi_extra=body_of(SubscribeRequest),
)
def subscribe(account: AccountDep, runtime: RuntimeDep, body: BodyDep) -> JSONResponse:
    url, event = webhooks.check_new_subscription(body.get("target_url"), body.get("event"), OutboundPolicy.of(runtime.settings))
    with runtime.db.write() as session:
        endpoint, secret = webhooks.subscribe(session, runtime.secrets, account_id=account.id, target_url=url, event=event)
        answer = webhook_body(endpoint) | {"secret": secret}
    return JSONResponse(answer, status_code=201)


@router.post(
    "/unsubscribe",
    response_model=Unsubscribed,
    responses=NOT_FOUND,
    summary="Unsubscribe a URL from an event type",
    openapi_extra=body_of(UnsubscribeRequest),
)
def unsubscribe(account: AccountDep, runtime: RuntimeDep, body: BodyDep) -> dict[str, Any]:
    issues = FieldIssues()
    url, event = webhooks.validate_subscription(body.get("target_url"), body.get("event"), issues)
    issues.raise_if_any()
    with runtime.db.write() as session:
        found = webhooks.find_active(session, account.id, url, event)
        if not found:
            raise NotFound("webhook subscription")
        for endpoint in found:
            webhooks.unsubscribe(session, endpoint, "Unsubscribed through the API")
    return {"success": True, "unsubscribed": [e.id for e in found]}


@router.get("", response_model=WebhookList, summary="List webhooks (active and unsubscribed)")
def list_webhooks(account: AccountDep, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.read() as session:
        return {"webhooks": [webhook_body(e) for e in webhooks.all_endpoints_of(session, account.id)]}


@router.get("/{webhook_id}", response_model=Webhook, responses=NOT_FOUND, summary="Get a webhook")
def get_webhook(webhook_id: str, account: AccountDep, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.read() as session:
        return webhook_body(webhooks.get_endpoint(session, account.id, webhook_id))


@router.delete("/{webhook_id}", response_model=Unsubscribed, responses=NOT_FOUND, summary="Unsubscribe a webhook by id")
def delete_webhook(webhook_id: str, account: AccountDep, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.write() as session:
        endpoint = webhooks.get_endpoint(session, account.id, webhook_id)
        webhooks.unsubscribe(session, endpoint, "Unsubscribed through the API")
    return {"success": True, "unsubscribed": [webhook_id]}


@router.get(
    "/{webhook_id}/deliveries",
    response_model=DeliveryList,
    responses=NOT_FOUND,
    summary="Recent deliveries of a webhook, newest first, with every attempt",
)
def list_deliveries(
    webhook_id: str,
    account: AccountDep,
    runtime: RuntimeDep,
    limit: int = Query(50, ge=1, le=500, description="How many deliveries, newest first"),
) -> dict[str, Any]:
    with runtime.db.read() as session:
        endpoint = webhooks.get_endpoint(session, account.id, webhook_id)
        rows = webhooks.deliveries_of(session, endpoint, limit=limit)
        return {"deliveries": [delivery_body(d, e.id, e.type, attempts) for d, e, attempts in rows]}


def webhook_body(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "target_url": endpoint.target_url,
        "event": endpoint.event,
        "format": endpoint.format,
        "status": endpoint.status,
        "status_reason": endpoint.status_reason,
        "created": iso(endpoint.created_at),
        "unsubscribed": iso(endpoint.unsubscribed_at),
    }


def delivery_body(delivery: WebhookDelivery, event_id: str, event_type: str, attempts: list[WebhookAttempt]) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "event_id": event_id,
        "event_type": event_type,
        "status": delivery.status,
        "attempts": [
            {
                "number": a.number,
                "attempted_at": iso(a.attempted_at),
                "status_code": a.status_code,
                "error": a.error,
                "duration_ms": a.duration_ms,
            }
            for a in attempts
        ],
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "created": iso(delivery.created_at),
        "finished": iso(delivery.finished_at),
    }
