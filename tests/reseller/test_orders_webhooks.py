"""Webhooks registered through the ColdMailReseller-style face: the family's envelope, the
documented order of an order's events, and mailbox.order.success data as documented."""

from __future__ import annotations

from tests.conftest import OWNER, client_for, unique, wait_until
from tests.events.conftest import receiver  # noqa: F401 - the fixture
from tests.events.receiver import verify
from tests.events.test_api import REFUSED_TARGETS
from tests.reseller.conftest import create_user, field_errors, reseller_client
from tests.reseller.test_orders_api import create, form, wait_final


def test_an_orders_events_in_the_family_envelope_and_order(server, account, receiver):
    with client_for(server, account) as woodpecker, reseller_client(server, account) as reseller:
        assert woodpecker.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
        hook = reseller.post("/webhooks", json={"url": receiver.url + "/cmr", "event": "*"})
        assert hook.status_code == 201, hook.text
        hook = hook.json()["data"]
        assert hook["secret"].startswith("whsec_") and hook["status"] == "ACTIVE"
        user = create_user(reseller)
        name = f"{unique('wh')}.com"
        boxes = {name: [{"username": u, "firstName": "Erlich", "lastName": "Bachman"} for u in ("erlich", "jian")]}
        order_id = create(reseller, form([{"domain": name, "years": 1}], boxes, confirm="true"), user_id=user["userId"]).json()["data"]["orderId"]
        assert wait_final(reseller, order_id) == "COMPLETED"

        wait_until(lambda: len(receiver.received("/cmr")) >= 4, timeout=60)
        bodies = [r.json for r in receiver.received("/cmr")]
        assert [b["event"] for b in bodies] == ["domain.order.success", "mailbox.order.success", "mailbox.created", "mailbox.created"]
        assert all(set(b) == {"event", "eventId", "data"} for b in bodies)
        assert all(verify(hook["secret"], r) for r in receiver.received("/cmr"))
        domain_event, batch, first, second = (b["data"] for b in bodies)
        assert domain_event["domainName"] == name and domain_event["status"] == "SUCCESS" and domain_event["userId"] == user["userId"]
        assert set(batch) >= {
            "domainId", "domainName", "userId", "userEmail", "subscriptionId", "orderId",
            "workspaceType", "creationTime", "expiryDate", "price", "quantity",
        }
        assert batch["orderId"] == order_id and batch["userEmail"] == user["email"] and batch["quantity"] == 2
        assert batch["workspaceType"] == "GOOGLE" and batch["price"] == "12.00" and batch["subscriptionId"]
        assert batch["domainId"] == domain_event["domainId"] and batch["expiryDate"]
        assert [first["email"], second["email"]] == [f"erlich@{name}", f"jian@{name}"]
        assert first["password"] and first["smtpHost"] and first["imapPort"] and first["username"] == "erlich"

        listed = reseller.get("/webhooks").json()["data"]["webhooks"]
        assert [w["webhookId"] for w in listed] == [hook["webhookId"]]
        assert reseller.delete(f"/webhooks/{hook['webhookId']}").status_code == 200
        assert reseller.get("/webhooks").json()["data"]["webhooks"][0]["status"] == "UNSUBSCRIBED"


def test_webhook_registration_errors_name_the_field(reseller):
    bad = reseller.post("/webhooks", json={"url": "not a url", "event": "nope"})
    assert bad.status_code == 400
    assert set(field_errors(bad)) == {"url", "event"}
    missing = reseller.delete("/webhooks/NOSUCH")
    assert missing.status_code == 404 and field_errors(missing) == {"webhookId": "No such webhook of yours"}


def test_a_webhook_url_of_a_private_address_is_refused(make_server, account):
    with reseller_client(make_server(outbound_allow_private=False), account) as public_only:
        for url, issue in REFUSED_TARGETS.items():
            refused = public_only.post("/webhooks", json={"url": url, "event": "*"})
            assert refused.status_code == 400, refused.text
            assert field_errors(refused) == {"url": issue}, url
        assert public_only.get("/webhooks").json()["data"]["webhooks"] == []
