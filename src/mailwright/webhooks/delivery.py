"""Sending deliveries (DBOS workflow). One endpoint's workflows run one at a time (a queue
partition per endpoint); each sends the endpoint's waiting deliveries in event order, retrying
each with exponential backoff up to a bound before moving on, so a later event is never sent
before an earlier one is delivered or given up."""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Callable

import sqlalchemy as sa
from dbos import DBOS
from sqlalchemy.exc import OperationalError

from mailwright import clock
from mailwright.db.cas import transition
from mailwright.net import outbound
from mailwright.net.outbound import OutboundPolicy
from mailwright.events.models import Event
from mailwright.runtime import current
from mailwright.webhooks import service, signing
from mailwright.webhooks.formats import FORMATS, EventView
from mailwright.webhooks.models import DeliveryStatus, EndpointStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

# Outcomes of one attempt.
DONE = "done"  # delivered, skipped, cancelled or failed for good: next delivery
RETRY = "retry"
# Only the status matters; of the answer's body no more than this is read.
ANSWER_BYTES_READ = 64 * 1024


def _step(func: Callable[..., Any], *args: Any) -> Any:
    """A checkpointed step. The engine retries it only when the database was unreachable;
    the endpoint's own failures are counted as attempts by the workflow."""
    return DBOS.run_step(
        {
            "name": func.__name__,
            "retries_allowed": True,
            "max_attempts": 10,
            "interval_seconds": 1.0,
            "backoff_rate": 2.0,
            "should_retry": lambda error: isinstance(error, OperationalError),
        },
        func,
        *args,
    )


@DBOS.workflow(name=service.DELIVER_WORKFLOW)
def deliver_webhooks(endpoint_id: str) -> int:
    """Send every waiting delivery of the endpoint, oldest event first; returns how many."""
    settings = current().settings
    sent = 0
    while (delivery_id := _step(next_delivery, endpoint_id)) is not None:
        pause = settings.webhook_retry_seconds
        for number in range(1, settings.webhook_max_attempts + 1):
            if _step(attempt, delivery_id, number) == DONE:
                break
            if number < settings.webhook_max_attempts:
                DBOS.sleep(pause)
                pause = min(pause * 2, settings.webhook_retry_max_seconds)
        else:
            _step(give_up, delivery_id)
        sent += 1
    return sent


def next_delivery(endpoint_id: str) -> str | None:
    with current().db.read() as session:
        return session.scalar(
            sa.select(WebhookDelivery.id)
            .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == DeliveryStatus.PENDING)
            .order_by(WebhookDelivery.event_seq)
            .limit(1)
        )


def attempt(delivery_id: str, number: int) -> str:
    """One signed POST of the delivery, logged; 2xx delivers it, 410 unsubscribes the endpoint."""
    rt = current()
    with rt.db.read() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return DONE
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        event = session.get(Event, delivery.event_seq)
        assert endpoint is not None and event is not None
        if endpoint.status != EndpointStatus.ACTIVE:
            return DONE  # unsubscribing cancelled the delivery
        body = FORMATS[endpoint.format](_view(rt, event))
        url, secret, message_id = endpoint.target_url, rt.secrets.decrypt(endpoint.secret_enc), event.id
    if body is None:
        with rt.db.write() as session:
            _finish(session, delivery_id, DeliveryStatus.SKIPPED, None, None)
        return DONE
    payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    status_code, error, duration_ms, at = _post(url, secret, message_id, payload)
    with rt.db.write() as session:
        session.add(
            WebhookAttempt(
                delivery_id=delivery_id, number=number, attempted_at=at, status_code=status_code, error=error, duration_ms=duration_ms
            )
        )
        session.execute(
            sa.update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(attempts=WebhookDelivery.attempts + 1, last_status_code=status_code, last_error=error)
        )
        if status_code is not None and 200 <= status_code < 300:
            _finish(session, delivery_id, DeliveryStatus.DELIVERED, status_code, None)
            return DONE
        if status_code == 410:
            _finish(session, delivery_id, DeliveryStatus.FAILED, status_code, "The endpoint answered 410 Gone; unsubscribed")
            endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
            assert endpoint is not None
            service.unsubscribe(session, endpoint, "The endpoint answered 410 Gone")
            return DONE
    return RETRY


def give_up(delivery_id: str) -> None:
    with current().db.write() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        _finish(session, delivery_id, DeliveryStatus.FAILED, delivery.last_status_code, f"Gave up after {delivery.attempts} attempts: {delivery.last_error}")


def _finish(session: Any, delivery_id: str, status: str, status_code: int | None, error: str | None) -> None:
    transition(
        session,
        WebhookDelivery,
        delivery_id,
        DeliveryStatus.PENDING,
        status=status,
        last_status_code=status_code,
        last_error=error[:500] if error else None,
        finished_at=clock.now(),
    )


def _view(rt: Any, event: Event) -> EventView:
    data = json.loads(event.data)
    if event.secret_data_enc:
        data.update(json.loads(rt.secrets.decrypt(event.secret_data_enc)))
    return EventView(event.id, event.type, event.account_id, event.user_id, event.created_at, data)


def _post(url: str, secret: str, message_id: str, payload: bytes) -> tuple[int | None, str | None, int, Any]:
    """POST through the outbound guard, following no redirect (the subscriber names its final
    URL); (status code, error, duration ms, time). A refusal by the guard is a failed attempt."""
    settings = current().settings
    at = clock.now()
    headers = signing.headers(secret, message_id, int(at.timestamp()), payload)
    headers["user-agent"] = f"Mailwright-Webhooks/{settings.app_version}"
    started = time.monotonic()
    status_code: int | None = None
    try:
        answer = outbound.request(
            "POST",
            url,
            policy=OutboundPolicy.of(settings),
            timeout=settings.webhook_timeout_seconds,
            max_bytes=ANSWER_BYTES_READ,
            schemes=service.TARGET_SCHEMES,
            headers=headers,
            content=payload,
        )
        status_code = answer.status_code
        error = None if 200 <= status_code < 300 else f"HTTP {status_code}"
        if answer.location is not None:
            error = f"HTTP {status_code} redirect to {answer.location} (redirects are not followed)"
    except outbound.OutboundRefused as exc:
        error = f"Not sent: {exc}"
    except outbound.OutboundError as exc:
        error = str(exc)
    return status_code, (error[:500] if error else None), int((time.monotonic() - started) * 1000), at
