"""The events of real orders, as a subscribed endpoint receives them."""

from __future__ import annotations

import base64
import io

from PIL import Image

from mailwright.events import service as events

from tests.conftest import unique, wait_for_order, wait_until
from tests.events.receiver import verify


def subscribe_all(api, receiver, path):
    response = api.post("/rest/v1/webhooks/subscribe", json={"target_url": receiver.url + path, "event": "*"})
    assert response.status_code == 201, response.text
    return response.json()


def order(api, domain, *locals_, provider="GOOGLE"):
    mailboxes = [{"first_name": "Richard", "last_name": "Hendricks", "email": f"{lp}@{domain}"} for lp in locals_]
    response = api.post("/rest/v2/domains/order", json={"provider": provider, "domains": [domain], "mailboxes": mailboxes})
    assert response.status_code == 202, response.text
    return response.json()["order_id"]


def received_until_completed(receiver, path):
    wait_until(lambda: any(r.json["type"] == "order.completed" for r in receiver.received(path)), timeout=60)
    return [r.json for r in receiver.received(path)]


def test_a_completed_order_sends_domain_then_mailbox_events_then_completion(api_with_owner, receiver, runtime, account):
    api = api_with_owner
    hook = subscribe_all(api, receiver, "/all")
    domain = f"{unique('ev')}.com"
    order_id = order(api, domain, "richard", "jared")
    assert wait_for_order(api, order_id)["status"] == "completed"
    bodies = received_until_completed(receiver, "/all")
    assert [b["type"] for b in bodies] == [
        "domain.order.success",
        "mailbox.order.success",
        "mailbox.created",
        "mailbox.created",
        "order.completed",
    ]
    assert all(verify(hook["secret"], r) for r in receiver.received("/all"))
    domain_event, batch, created_jared, created_richard, completed = (b["data"] for b in bodies)
    assert domain_event["domain"] == domain and domain_event["order_id"] == order_id
    assert domain_event["status"] == "ready" and domain_event["provider"] == "GOOGLE"
    assert domain_event["failure_reason"] is None and domain_event["ready_at"] and domain_event["expires_at"]
    assert batch["quantity"] == 2 and batch["domain"] == domain
    assert [m["email"] for m in batch["mailboxes"]] == [f"jared@{domain}", f"richard@{domain}"]
    # Credentials as the API shows them.
    detail = api.get(f"/rest/v2/domains/{domain}/mailboxes/richard@{domain}").json()
    assert created_richard["email"] == f"richard@{domain}"
    assert created_richard["smtp_host"] == detail["smtp_server"] and created_richard["smtp_port"] == detail["smtp_port"]
    assert created_richard["imap_host"] == detail["imap_server"] and created_richard["imap_port"] == detail["imap_port"]
    assert created_richard["password"] == detail["smtp_password"] and created_richard["status"] == "live"
    assert created_jared["email"] == f"jared@{domain}"
    # The stored events hold no password, in clear or otherwise outside their encrypted part.
    with runtime.db.read() as session:
        stored = events.events_of(session, account.id)
    assert [e.type for e in stored] == [b["type"] for b in bodies]
    assert not any(detail["smtp_password"] in e.data for e in stored)
    assert [e.secret_data_enc is not None for e in stored] == [False, False, True, True, False]
    assert completed["status"] == "completed" and completed["order_id"] == order_id
    assert completed["refunded"]["amount"] == "0.00"
    # Every delivery is logged as delivered at the first attempt.
    deliveries = api.get(f"/rest/v1/webhooks/{hook['id']}/deliveries").json()["deliveries"]
    assert [d["event_type"] for d in reversed(deliveries)] == [b["type"] for b in bodies]
    assert {(d["status"], len(d["attempts"]), d["attempts"][0]["status_code"]) for d in deliveries} == {("delivered", 1, 200)}


def test_a_failed_mailbox_is_announced_with_its_reason_and_refund(api_with_owner, receiver):
    api = api_with_owner
    subscribe_all(api, receiver, "/partial")
    domain = f"{unique('ev')}.com"
    order_id = order(api, domain, "richard", "fail-gilfoyle")
    assert wait_for_order(api, order_id)["status"] == "partially_completed"
    bodies = received_until_completed(receiver, "/partial")
    assert [b["type"] for b in bodies] == [
        "domain.order.success",
        "mailbox.order.success",
        "mailbox.order.failed",
        "mailbox.created",
        "order.completed",
    ]
    failed = bodies[2]["data"]
    assert failed["quantity"] == 1 and failed["mailboxes"][0]["email"] == f"fail-gilfoyle@{domain}"
    assert failed["mailboxes"][0]["status"] == "failed" and failed["mailboxes"][0]["failure_reason"]
    assert bodies[3]["data"]["email"] == f"richard@{domain}"
    completed = bodies[4]["data"]
    assert completed["status"] == "partially_completed"
    assert completed["refunded"] == failed["price"]


def test_a_failed_domain_is_announced_without_mailbox_events(api_with_owner, receiver):
    api = api_with_owner
    subscribe_all(api, receiver, "/failed")
    domain = f"fail-register{unique('x')}.com"
    order_id = order(api, domain, "richard")
    assert wait_for_order(api, order_id)["status"] == "failed"
    bodies = received_until_completed(receiver, "/failed")
    assert [b["type"] for b in bodies] == ["domain.order.failed", "order.completed"]
    failed = bodies[0]["data"]
    assert failed["domain"] == domain and failed["status"] == "failed" and failed["failure_reason"]
    assert failed["mailboxes"] == [f"richard@{domain}"]
    assert bodies[1]["data"]["status"] == "failed"


def tiny_png() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_a_profile_picture_change_sends_mailbox_updated(api_with_owner, receiver):
    api = api_with_owner
    domain = f"{unique('ev')}.com"
    assert wait_for_order(api, order(api, domain, "richard"))["status"] == "completed"
    response = api.post("/rest/v1/webhooks/subscribe", json={"target_url": receiver.url + "/updated", "event": "mailbox.updated"})
    assert response.status_code == 201, response.text
    response = api.patch(f"/rest/v2/domains/{domain}/mailboxes/richard@{domain}/profile_picture", json={"avatar": tiny_png()})
    assert response.status_code == 200, response.text
    [request] = wait_until(lambda: receiver.received("/updated"))
    body = request.json
    assert body["type"] == "mailbox.updated"
    assert body["data"]["email"] == f"richard@{domain}" and body["data"]["changed"] == ["profile_picture"]
    assert body["data"]["profile_picture_id"]


def test_mailboxes_ordered_for_an_existing_domain_are_announced_without_a_domain_event(api_with_owner, receiver):
    api = api_with_owner
    domain = f"{unique('ev')}.com"
    assert wait_for_order(api, order(api, domain, "richard"))["status"] == "completed"
    subscribe_all(api, receiver, "/more")
    response = api.post(
        "/rest/v2/domains/mailboxes/order",
        json={"mailboxes": [{"first_name": "Monica", "last_name": "Hall", "email": f"monica@{domain}"}]},
    )
    assert response.status_code == 202, response.text
    assert wait_for_order(api, response.json()["order_id"])["status"] == "completed"
    bodies = received_until_completed(receiver, "/more")
    assert [b["type"] for b in bodies] == ["mailbox.order.success", "mailbox.created", "order.completed"]
    assert bodies[1]["data"]["email"] == f"monica@{domain}" and bodies[1]["data"]["password"]
    assert bodies[2]["data"]["kind"] == "mailboxes"
