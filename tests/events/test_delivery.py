"""Events reach subscribed endpoints signed, in order, retried, and not at all when the
transaction that recorded them rolls back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mailwright.events import service as events
from mailwright.events import types
from mailwright.events.models import Event
from mailwright.webhooks import service as webhooks
from mailwright.webhooks.formats import RESELLER
from mailwright.webhooks.models import DeliveryStatus, EndpointStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.conftest import wait_until
from tests.events.receiver import verify


def subscribe(runtime, account_id, url, event="*", format="standard"):
    with runtime.db.write() as session:
        endpoint, secret = webhooks.subscribe(
            session, runtime.secrets, account_id=account_id, target_url=url, event=event, format=format
        )
    return endpoint, secret


def record(runtime, account_id, type_=types.MAILBOX_UPDATED, **data):
    with runtime.db.write() as session:
        return events.record(session, account_id=account_id, type=type_, data=data or {"n": 1})


def delivery_statuses(runtime, endpoint_id):
    with runtime.db.read() as session:
        return list(
            session.scalars(
                sa.select(WebhookDelivery.status).where(WebhookDelivery.endpoint_id == endpoint_id).order_by(WebhookDelivery.event_seq)
            )
        )


def test_a_delivery_is_signed_the_standard_webhooks_way(runtime, account, receiver):
    endpoint, secret = subscribe(runtime, account.id, receiver.url + "/hook")
    assert secret.startswith("whsec_")
    with runtime.db.write() as session:
        event = events.record(
            session,
            account_id=account.id,
            type=types.MAILBOX_CREATED,
            data={"email": "a@b.com"},
            secret_data={"password": "s3cret-Pass#12"},
        )
    [request] = wait_until(lambda: receiver.received("/hook"))
    assert verify(secret, request)
    assert not verify("whsec_" + "QUJD" * 8, request)  # another secret does not verify
    assert request.headers["webhook-id"] == event.id
    assert request.headers["content-type"] == "application/json"
    body = request.json
    assert body["id"] == event.id and body["type"] == "mailbox.created"
    assert body["data"] == {"email": "a@b.com", "password": "s3cret-Pass#12"}
    # The password travels to the endpoint but is stored encrypted, never in the event's data.
    with runtime.db.read() as session:
        stored = session.scalar(sa.select(Event).where(Event.id == event.id))
        assert "s3cret" not in stored.data and "s3cret" not in (stored.secret_data_enc or "")
    wait_until(lambda: delivery_statuses(runtime, endpoint.id) == [DeliveryStatus.DELIVERED])


def test_an_event_recorded_in_a_rolled_back_transaction_does_not_exist(runtime, account, receiver):
    endpoint, _ = subscribe(runtime, account.id, receiver.url + "/rb")

    class Boom(Exception):
        pass

    with pytest.raises(Boom), runtime.db.write() as session:
        events.record(session, account_id=account.id, type=types.MAILBOX_UPDATED, data={"rolled": "back"})
        raise Boom
    record(runtime, account.id, marker="committed")
    wait_until(lambda: receiver.received("/rb"))
    with runtime.db.read() as session:
        stored = [e.data for e in events.events_of(session, account.id)]
        deliveries = session.scalar(sa.select(sa.func.count()).where(WebhookDelivery.endpoint_id == endpoint.id))
    assert stored == ['{"marker": "committed"}']
    assert deliveries == 1
    assert [r.json["data"] for r in receiver.received("/rb")] == [{"marker": "committed"}]


def test_server_errors_are_retried_with_backoff_and_every_attempt_is_logged(runtime, account, receiver):
    endpoint, _ = subscribe(runtime, account.id, receiver.url + "/flaky")
    receiver.answer("/flaky", 500, 503)
    record(runtime, account.id)
    wait_until(lambda: delivery_statuses(runtime, endpoint.id) == [DeliveryStatus.DELIVERED])
    received = receiver.received("/flaky")
    assert [r.answered for r in received] == [500, 503, 200]
    assert len({r.headers["webhook-id"] for r in received}) == 1  # the same message each time
    first_pause, second_pause = received[1].at - received[0].at, received[2].at - received[1].at
    assert first_pause >= 0.05 and second_pause >= 0.1  # 0.05 s, then doubled
    with runtime.db.read() as session:
        attempts = list(session.scalars(sa.select(WebhookAttempt).join(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id).order_by(WebhookAttempt.id)))
    assert [(a.number, a.status_code, a.error) for a in attempts] == [(1, 500, "HTTP 500"), (2, 503, "HTTP 503"), (3, 200, None)]
    assert all(a.duration_ms >= 0 for a in attempts)


def test_deliveries_are_in_order_and_wait_for_the_earlier_one(runtime, account, receiver):
    endpoint, _ = subscribe(runtime, account.id, receiver.url + "/order")
    receiver.answer("/order", 500, 500)
    for n in range(5):
        record(runtime, account.id, n=n)
    wait_until(lambda: delivery_statuses(runtime, endpoint.id) == [DeliveryStatus.DELIVERED] * 5)
    ns = [r.json["data"]["n"] for r in receiver.received("/order")]
    assert ns == [0, 0, 0, 1, 2, 3, 4]


def test_attempts_run_out_then_the_next_event_goes(runtime, account, receiver):
    endpoint, _ = subscribe(runtime, account.id, receiver.url + "/down")
    receiver.answer("/down", 500, 500, 500, 500)  # webhook_max_attempts is 4 in tests
    record(runtime, account.id, n=1)
    record(runtime, account.id, n=2)
    wait_until(lambda: delivery_statuses(runtime, endpoint.id) == [DeliveryStatus.FAILED, DeliveryStatus.DELIVERED])
    assert [r.json["data"]["n"] for r in receiver.received("/down")] == [1, 1, 1, 1, 2]


def test_redirects_are_not_followed(runtime, account, receiver):
    endpoint, _ = subscribe(runtime, account.id, receiver.url + "/moved")
    receiver.answer("/moved", 301)
    record(runtime, account.id)
    wait_until(lambda: delivery_statuses(runtime, endpoint.id) == [DeliveryStatus.DELIVERED])
    assert [r.path for r in receiver.received()] == ["/moved", "/moved"]


def test_an_endpoint_answering_410_is_unsubscribed(runtime, account, receiver):
    gone, _ = subscribe(runtime, account.id, receiver.url + "/gone")
    receiver.answer("/gone", 410)
    record(runtime, account.id, n=1)
    wait_until(lambda: delivery_statuses(runtime, gone.id) == [DeliveryStatus.FAILED])
    with runtime.db.read() as session:
        endpoint = session.get(WebhookEndpoint, gone.id)
        assert endpoint.status == EndpointStatus.UNSUBSCRIBED
        assert "410" in endpoint.status_reason
    record(runtime, account.id, n=2)  # no new delivery for it
    assert delivery_statuses(runtime, gone.id) == [DeliveryStatus.FAILED]
    assert len(receiver.received("/gone")) == 1


def test_only_subscribed_types_of_the_same_account_are_sent(runtime, make_account, receiver):
    mine, other = make_account(), make_account()
    subscribe(runtime, mine.id, receiver.url + "/typed", event=types.ORDER_COMPLETED)
    reseller, _ = subscribe(runtime, mine.id, receiver.url + "/reseller", event="*", format=RESELLER)
    updated = record(runtime, mine.id, types.MAILBOX_UPDATED, n=1)
    record(runtime, other.id, types.ORDER_COMPLETED, n=2)
    record(runtime, mine.id, types.ORDER_COMPLETED, n=3)
    done = [DeliveryStatus.DELIVERED, DeliveryStatus.SKIPPED]
    wait_until(lambda: receiver.received("/typed") and delivery_statuses(runtime, reseller.id) == done)
    assert [r.json["data"]["n"] for r in receiver.received("/typed")] == [3]
    # The reseller envelope carries that family's events only: order.completed is not one of them.
    assert [(r.json["event"], r.json["eventId"]) for r in receiver.received("/reseller")] == [("mailbox.updated", updated.id)]


def test_a_failing_endpoint_does_not_hold_up_another(runtime, account, receiver):
    slow, _ = subscribe(runtime, account.id, receiver.url + "/slow")
    fast, _ = subscribe(runtime, account.id, receiver.url + "/fast")
    receiver.answer("/slow", 500, 500, 500)
    record(runtime, account.id, n=1)
    wait_until(lambda: delivery_statuses(runtime, slow.id) == [DeliveryStatus.DELIVERED])
    assert receiver.received("/fast")[0].at < receiver.received("/slow")[-1].at
    assert delivery_statuses(runtime, fast.id) == [DeliveryStatus.DELIVERED]


def test_the_attempt_log_and_a_410_are_visible_through_the_api(runtime, account, receiver, api):
    hook = api.post("/rest/v1/webhooks/subscribe", json={"target_url": receiver.url + "/log", "event": "mailbox.updated"}).json()
    receiver.answer("/log", 502, 200, 410)
    first = record(runtime, account.id, n=1)
    second = record(runtime, account.id, n=2)
    wait_until(lambda: api.get(f"/rest/v1/webhooks/{hook['id']}").json()["status"] == "unsubscribed")
    deliveries = api.get(f"/rest/v1/webhooks/{hook['id']}/deliveries").json()["deliveries"]
    assert [(d["event_id"], d["status"], d["last_status_code"]) for d in deliveries] == [
        (second.id, "failed", 410),
        (first.id, "delivered", 200),
    ]
    assert [(a["number"], a["status_code"], a["error"]) for a in deliveries[1]["attempts"]] == [(1, 502, "HTTP 502"), (2, 200, None)]
    assert deliveries[0]["last_error"] == "The endpoint answered 410 Gone; unsubscribed"
    assert all(a["attempted_at"] and a["duration_ms"] >= 0 for d in deliveries for a in d["attempts"])
    assert api.get(f"/rest/v1/webhooks/{hook['id']}").json()["status_reason"] == "The endpoint answered 410 Gone"


def test_a_slow_endpoint_times_out_and_is_retried(runtime, account, receiver, monkeypatch):
    monkeypatch.setattr(runtime.settings, "webhook_timeout_seconds", 0.5)
    endpoint, _ = subscribe(runtime, account.id, receiver.url + "/slowpoke")
    receiver.stall("/slowpoke", 3.0)
    record(runtime, account.id)
    wait_until(lambda: delivery_statuses(runtime, endpoint.id) == [DeliveryStatus.DELIVERED])
    with runtime.db.read() as session:
        attempts = list(session.scalars(sa.select(WebhookAttempt).join(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id).order_by(WebhookAttempt.id)))
    assert [(a.status_code, (a.error or "").split(":")[0]) for a in attempts] == [(None, "ReadTimeout"), (200, "")]
    assert 400 <= attempts[0].duration_ms < 3000


def test_a_delivery_the_outbound_guard_refuses_is_never_sent_and_fails_like_any_attempt(runtime, account, receiver):
    """Stored before its name's DNS answer changed, say: the guard checks again when sending.
    0.0.0.0 is refused even where private addresses are allowed, and would reach the receiver."""
    port = receiver.server.server_address[1]
    endpoint, secret = subscribe(runtime, account.id, f"http://0.0.0.0:{port}/hook")
    record(runtime, account.id, n=1)
    wait_until(lambda: delivery_statuses(runtime, endpoint.id) == [DeliveryStatus.FAILED])
    refusal = "Not sent: 0.0.0.0 is an unspecified address; only public addresses are allowed"
    with runtime.db.read() as session:
        delivery = session.scalars(sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)).one()
        attempts = list(session.scalars(sa.select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id)))
    assert [(a.status_code, a.error) for a in attempts] == [(None, refusal)] * runtime.settings.webhook_max_attempts
    assert delivery.last_error == f"Gave up after {runtime.settings.webhook_max_attempts} attempts: {refusal}"
    assert secret not in delivery.last_error and secret.removeprefix("whsec_") not in delivery.last_error
    assert receiver.received() == []
