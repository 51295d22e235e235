"""Webhook endpoints: subscribing, unsubscribing, and fanning each event out to them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright import clock
from mailwright.db.cas import transition
from mailwright.errors import FieldIssue, FieldIssues, NotFound, RuleViolation
from mailwright.events.models import Event
from mailwright.events.types import ALL_EVENTS, EVENT_TYPES
from mailwright.net import outbound
from mailwright.net.outbound import OutboundPolicy
from mailwright.validation import REQUIRED, shown
from mailwright.webhooks.formats import FORMATS, STANDARD
from mailwright.webhooks.models import DeliveryStatus, EndpointStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from mailwright.webhooks.signing import new_secret

if TYPE_CHECKING:
    from mailwright.crypto import SecretBox
    from mailwright.runtime import Runtime

DELIVER_WORKFLOW = "deliver_webhooks"
WEBHOOKS_QUEUE = "webhooks"
EVENT_SENTENCE = f"Must be one of {', '.join(EVENT_TYPES)}, or {ALL_EVENTS} for every event"
URL_FORMAT = "Valid format is https://example.com/webhooks (http or https, absolute)"
TARGET_SCHEMES = ("http", "https")


def validate_subscription(
    target_url: Any, event: Any, issues: FieldIssues, *, policy: OutboundPolicy | None = None
) -> tuple[str, str]:
    """The URL's form and the event; with `policy`, also the addresses the URL's host resolves to."""
    url = _target_url(issues, target_url)
    if url is not None and policy is not None:
        try:
            outbound.check_url(url, policy, schemes=TARGET_SCHEMES)
        except outbound.OutboundRefused as exc:
            issues.add("target_url", str(exc), url)
            url = None
    if event is None or event == "":
        issues.add("event", REQUIRED, None)
    elif not isinstance(event, str) or (event != ALL_EVENTS and event not in EVENT_TYPES):
        issues.add("event", EVENT_SENTENCE, shown(event))
    return url or "", event if isinstance(event, str) else ""


def _target_url(issues: FieldIssues, value: Any) -> str | None:
    if value is None or value == "":
        issues.add("target_url", REQUIRED, None)
        return None
    if not isinstance(value, str) or len(value) > 2048 or any(c.isspace() for c in value):
        issues.add("target_url", URL_FORMAT, shown(value))
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.username is not None:
        issues.add("target_url", URL_FORMAT, shown(value))
        return None
    return value


def check_new_subscription(target_url: Any, event: Any, policy: OutboundPolicy) -> tuple[str, str]:
    """The request-time check of a subscription (InvalidFields naming each bad field). It
    resolves the URL's host, so it runs before the transaction, never holding it on DNS."""
    issues = FieldIssues()
    checked = validate_subscription(target_url, event, issues, policy=policy)
    issues.raise_if_any()
    return checked


def subscribe(
    session: Session, secrets: SecretBox, *, account_id: str, target_url: Any, event: Any, format: str = STANDARD  # noqa: A002
) -> tuple[WebhookEndpoint, str]:
    """A new active endpoint and its signing secret (shown to the caller once). The API checks
    the URL with check_new_subscription first; deliveries are guarded again when sent."""
    issues = FieldIssues()
    url, event_type = validate_subscription(target_url, event, issues)
    if format not in FORMATS:
        raise ValueError(f"unknown webhook format {format!r}")
    issues.raise_if_any()
    duplicate = session.scalar(
        sa.select(WebhookEndpoint.id).where(
            WebhookEndpoint.account_id == account_id,
            WebhookEndpoint.status == EndpointStatus.ACTIVE,
            WebhookEndpoint.target_url == url,
            WebhookEndpoint.event == event_type,
            WebhookEndpoint.format == format,
        )
    )
    if duplicate is not None:
        raise RuleViolation(
            "already_subscribed",
            f"This URL is already subscribed to {event_type} (webhook {duplicate})",
            [FieldIssue("target_url", "Already subscribed to this event", url)],
        )
    secret = new_secret()
    endpoint = WebhookEndpoint(
        account_id=account_id, target_url=url, event=event_type, format=format, secret_enc=secrets.encrypt(secret)
    )
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def endpoints_of(session: Session, account_id: str, *, format: str | None = None) -> list[WebhookEndpoint]:  # noqa: A002
    """The account's active endpoints, oldest first."""
    query = sa.select(WebhookEndpoint).where(
        WebhookEndpoint.account_id == account_id, WebhookEndpoint.status == EndpointStatus.ACTIVE
    )
    if format is not None:
        query = query.where(WebhookEndpoint.format == format)
    return list(session.scalars(query.order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)))


def all_endpoints_of(session: Session, account_id: str) -> list[WebhookEndpoint]:
    """Every endpoint the account ever had, active or not, oldest first."""
    query = sa.select(WebhookEndpoint).where(WebhookEndpoint.account_id == account_id)
    return list(session.scalars(query.order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)))


def get_endpoint(session: Session, account_id: str, endpoint_id: str) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.account_id != account_id:
        raise NotFound("webhook")
    return endpoint


def unsubscribe(session: Session, endpoint: WebhookEndpoint, reason: str) -> bool:
    """Stop sending to the endpoint; its deliveries still waiting are cancelled. False if it already was."""
    moved = transition(
        session,
        WebhookEndpoint,
        endpoint.id,
        EndpointStatus.ACTIVE,
        status=EndpointStatus.UNSUBSCRIBED,
        status_reason=reason[:300],
        unsubscribed_at=clock.now(),
    )
    if moved:
        session.execute(
            sa.update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.CANCELLED, finished_at=clock.now(), last_error="Unsubscribed before it was sent")
            .execution_options(synchronize_session=False)
        )
        session.refresh(endpoint)
    return moved


def find_active(session: Session, account_id: str, target_url: str, event: str, format: str = STANDARD) -> list[WebhookEndpoint]:  # noqa: A002
    return list(
        session.scalars(
            sa.select(WebhookEndpoint).where(
                WebhookEndpoint.account_id == account_id,
                WebhookEndpoint.status == EndpointStatus.ACTIVE,
                WebhookEndpoint.target_url == target_url,
                WebhookEndpoint.event == event,
                WebhookEndpoint.format == format,
            )
        )
    )


def fan_out(session: Session, runtime: Runtime, event: Event) -> None:
    """One delivery per active endpoint subscribed to the event, and a workflow to send it.

    The workflows of one endpoint share a queue partition that runs one at a time, and each
    sends that endpoint's waiting deliveries oldest event first: so deliveries are in order."""
    endpoints = session.scalars(
        sa.select(WebhookEndpoint).where(
            WebhookEndpoint.account_id == event.account_id,
            WebhookEndpoint.status == EndpointStatus.ACTIVE,
            WebhookEndpoint.event.in_((event.type, ALL_EVENTS)),
        )
    )
    for endpoint in list(endpoints):
        delivery = WebhookDelivery(endpoint_id=endpoint.id, event_seq=event.seq, created_at=clock.now())
        session.add(delivery)
        session.flush()
        runtime.enqueue(
            session, DELIVER_WORKFLOW, f"webhook-{delivery.id}", endpoint.id, queue=WEBHOOKS_QUEUE, partition_key=endpoint.id
        )


def deliveries_of(session: Session, endpoint: WebhookEndpoint, *, limit: int = 100) -> list[tuple[WebhookDelivery, Event, list[WebhookAttempt]]]:
    """The endpoint's latest deliveries (newest first) with their events and attempts."""
    rows = session.execute(
        sa.select(WebhookDelivery, Event)
        .join(Event, Event.seq == WebhookDelivery.event_seq)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.event_seq.desc())
        .limit(limit)
    ).all()
    ids = [d.id for d, _ in rows]
    attempts: dict[str, list[WebhookAttempt]] = {i: [] for i in ids}
    if ids:
        for attempt in session.scalars(
            sa.select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids)).order_by(WebhookAttempt.id)
        ):
            attempts[attempt.delivery_id].append(attempt)
    return [(d, e, attempts[d.id]) for d, e in rows]
