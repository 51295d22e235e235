"""One account, one wallet, the same domains and mailboxes, whichever face is used."""

from __future__ import annotations

from tests.conftest import OWNER, client_for, unique, wait_for_order
from tests.reseller.conftest import reseller_client
from tests.reseller.test_orders_api import create, form, wait_final


def test_created_through_the_reseller_face_read_through_the_woodpecker_face(server, account):
    name = f"{unique('x')}.com"
    with client_for(server, account) as woodpecker, reseller_client(server, account) as reseller:
        assert woodpecker.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
        order_id = create(
            reseller,
            form([{"domain": name, "years": 1}], {name: [{"username": "richard", "firstName": "Richard", "lastName": "Hendricks"}]}),
        ).json()["data"]["orderId"]
        assert woodpecker.get(f"/rest/v2/domains/orders/{order_id}").json()["status"] == "created"
        assert woodpecker.get(f"/rest/v2/domains/{name}").status_code == 404  # nothing held before processing
        assert reseller.post(f"/orders/{order_id}/process").status_code == 200
        assert wait_for_order(woodpecker, order_id)["status"] == "completed"
        domain = woodpecker.get(f"/rest/v2/domains/{name}").json()
        assert domain["is_ready"] is True and domain["all_mailboxes_are_ready"] is True
        mailbox = woodpecker.get(f"/rest/v2/domains/{name}/mailboxes/richard@{name}").json()
        assert mailbox["status"] == "PAID" and mailbox["smtp_password"]
        assert reseller.get("/wallet").json()["data"]["balance"] == "981.00"  # 1000 - 13 (domain) - 6 (mailbox)


def test_created_through_the_woodpecker_face_read_through_the_reseller_face(server, account):
    name = f"{unique('y')}.com"
    with client_for(server, account) as woodpecker, reseller_client(server, account) as reseller:
        assert woodpecker.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
        placed = woodpecker.post(
            "/rest/v2/domains/order",
            json={"provider": "GOOGLE", "domains": [name], "mailboxes": [{"first_name": "Jared", "last_name": "Dunn", "email": f"jared@{name}"}]},
        )
        assert placed.status_code == 202, placed.text
        order_id = placed.json()["order_id"]
        assert wait_final(reseller, order_id) == "COMPLETED"
        details = reseller.get(f"/orders/{order_id}").json()["data"]
        assert details["userId"] is None and details["totalPrice"] == "19.00"
        assert [(d["domain"], d["years"], d["status"]) for d in details["domains"]] == [(name, 1, "READY")]
        assert [(m["email"], m["status"]) for m in details["mailboxes"]] == [(f"jared@{name}", "LIVE")]
        # Already processed by the Woodpecker-style face: processing again does nothing.
        again = reseller.post(f"/orders/{order_id}/process").json()
        assert again["data"] == {"orderId": order_id, "orderStatus": "COMPLETED", "processedNow": False}
