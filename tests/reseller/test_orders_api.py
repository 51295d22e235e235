"""The ColdMailReseller-style order endpoints over real HTTP: create (multipart and JSON),
process, details, status, order mailboxes, and every documented error."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from mailwright.orders.models import Order
from tests.conftest import OWNER, client_for, unique, wait_until
from tests.reseller.conftest import create_user, error_data, field_errors, reseller_client
from tests.reseller.images import jpeg, png

YEARLY_COM = "13.00"


@pytest.fixture
def shop(server, account) -> httpx.Client:
    """A reseller whose own account has a domain owner (the registrant of its own orders)."""
    with client_for(server, account) as woodpecker:
        assert woodpecker.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
    with reseller_client(server, account) as client:
        yield client


def form(domains: list[dict[str, Any]], mailboxes: dict[str, Any] | None = None, **fields: str) -> dict[str, str]:
    data = {"domains": json.dumps(domains), "billingCycle": "MONTHLY"} | fields
    if mailboxes is not None:
        data["mailboxes"] = json.dumps(mailboxes)
    return data


def create(client: httpx.Client, data: dict[str, str], files: Any = None, user_id: str = "") -> httpx.Response:
    # An extra empty part forces multipart even without pictures, as the documented request is.
    return client.post(f"/orders?userId={user_id}", data=data, files=files or {"_": ("", b"")})


def status_of(client: httpx.Client, order_id: str) -> str:
    response = client.get(f"/orders/{order_id}/status")
    assert response.status_code == 200, response.text
    return response.json()["data"]["orderStatus"]


def wait_final(client: httpx.Client, order_id: str) -> str:
    return wait_until(lambda: (s := status_of(client, order_id)) not in ("CREATED", "PROCESSING") and s, timeout=60)


def balance(client: httpx.Client) -> str:
    return client.get("/wallet").json()["data"]["balance"]


def test_multipart_order_created_then_processed_once(shop):
    name = f"{unique('mp')}.com"
    before = balance(shop)
    response = create(
        shop,
        form([{"domain": name, "years": 2}], {name: [{"username": "john", "firstName": "John", "lastName": "Doe"}]}),
        files={f"john@{name}": ("john.png", png(), "image/png")},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == 201 and body["message"] == "Order created successfully"
    assert set(body["data"]) == {"orderId"}
    order_id = body["data"]["orderId"]
    assert balance(shop) == before
    details = shop.get(f"/orders/{order_id}").json()["data"]
    assert details["orderStatus"] == "CREATED" and details["totalPrice"] == "32.00"
    assert details["domains"][0] | {} == {
        "domain": name, "domainId": None, "years": 2, "price": "26.00", "forwardTo": None,
        "maskForwarding": False, "status": "NOT_PROCESSED", "failureReason": None,
    }
    assert details["serviceProvider"] == "GOOGLE" and details["billingCycle"] == "MONTHLY"

    first = shop.post(f"/orders/{order_id}/process")
    assert first.status_code == 200, first.text
    assert first.json()["data"] == {"orderId": order_id, "orderStatus": "PROCESSING", "processedNow": True}
    second = shop.post(f"/orders/{order_id}/process")
    assert second.status_code == 200
    assert second.json()["data"]["processedNow"] is False
    assert second.json()["message"] == "Order was already processed; nothing changed"
    assert wait_final(shop, order_id) == "COMPLETED"
    spent = float(before) - float(balance(shop))
    assert round(spent, 2) == 32.00
    details = shop.get(f"/orders/{order_id}").json()["data"]
    assert details["domains"][0]["status"] == "READY" and details["domains"][0]["domainId"]
    assert details["mailboxes"][0]["status"] == "LIVE" and details["mailboxes"][0]["hasProfilePicture"] is True


def test_insufficient_funds_leaves_the_order_unprocessed(server, make_account):
    poor = make_account(credit="5.00")
    with client_for(server, poor) as woodpecker:
        woodpecker.post("/rest/v2/domains/owner", json=OWNER)
    with reseller_client(server, poor) as client:
        order_id = create(client, form([{"domain": f"{unique('poor')}.com", "years": 1}])).json()["data"]["orderId"]
        refused = client.post(f"/orders/{order_id}/process")
        assert refused.status_code == 402, refused.text
        body = refused.json()
        assert body["data"]["code"] == "insufficient_funds"
        assert "13.00" in body["message"] and "5.00" in body["message"]
        assert status_of(client, order_id) == "CREATED"
        assert balance(client) == "5.00"
        # confirm=true with a short balance creates nothing.
        confirm = create(client, form([{"domain": f"{unique('poor')}.com"}], confirm="true"))
        assert confirm.status_code == 402 and confirm.json()["data"]["code"] == "insufficient_funds"


def test_confirm_true_processes_at_once(shop):
    name = f"{unique('cf')}.com"
    response = create(shop, form([{"domain": name}], {name: [{"username": "a", "firstName": "A", "lastName": "B"}]}, confirm="true"))
    assert response.status_code == 201, response.text
    order_id = response.json()["data"]["orderId"]
    assert status_of(shop, order_id) in ("PROCESSING", "COMPLETED")
    assert shop.post(f"/orders/{order_id}/process").json()["data"]["processedNow"] is False
    assert wait_final(shop, order_id) == "COMPLETED"


def test_json_order_with_picture_url_forwarding_and_export_settings(shop):
    name = f"{unique('js')}.com"
    body = {
        "domains": [{"domain": name, "years": 1, "forwardTo": "https://piedpiper.com", "maskForwarding": True}],
        "mailboxes": {name: [{"username": "gilfoyle", "firstName": "Bertram", "lastName": "Gilfoyle", "profilePicture": "https://localhost/g.png"}]},
        "billingCycle": "MONTHLY",
        "confirm": False,
        "serviceProvider": "MICROSOFT",
        "microsoftOauthRoute": "https://app.example.com/ms/callback",
        "google": {"googleOauthRoute": "", "clientId": 12345, "appName": "Hooli Mail"},
        "autoRenew": True,
    }
    response = shop.post("/orders", json=body)
    assert response.status_code == 201, response.text
    details = shop.get(f"/orders/{response.json()['data']['orderId']}").json()["data"]
    assert details["orderStatus"] == "CREATED"
    assert details["serviceProvider"] == "MICROSOFT" and details["autoRenew"] is True
    assert details["microsoftOauthRoute"] == "https://app.example.com/ms/callback"
    assert details["google"] == {"clientId": "12345", "appName": "Hooli Mail"}
    assert details["domains"][0]["forwardTo"] == "https://piedpiper.com" and details["domains"][0]["maskForwarding"] is True
    assert details["expiresAt"] is not None


def test_picture_urls_of_private_addresses_are_refused_before_anything_is_stored(make_server, account, shop):
    name = f"{unique('ssrf')}.com"
    urls = [
        "https://169.254.169.254/latest/meta-data/a.png",
        "https://127.0.0.1.nip.io/a.png",
        "https://localhost/a.png",
        "https://metadata.google.internal/a.png",
        "http://localhost/a.png",
    ]
    boxes = [{"username": f"u{i}", "firstName": "A", "lastName": "B", "profilePicture": url} for i, url in enumerate(urls)]
    live = make_server(outbound_allow_private=False)
    with reseller_client(live, account) as public_only:
        before = balance(public_only)
        response = public_only.post("/orders", json={"domains": [{"domain": name}], "mailboxes": {name: boxes}, "confirm": True})
        assert response.status_code == 400, response.text
        errors = field_errors(response)
        at = f"mailboxes.{name}"
        assert errors[f"{at}[0].profilePicture"] == "169.254.169.254 is a link-local address; only public addresses are allowed"
        # Unresolvable offline; resolving to loopback online: refused either way.
        assert errors[f"{at}[1].profilePicture"].startswith("127.0.0.1.nip.io ")
        assert errors[f"{at}[2].profilePicture"] == "localhost resolves to a loopback address; only public addresses are allowed"
        assert errors[f"{at}[3].profilePicture"].startswith("metadata.google.internal ")
        assert errors[f"{at}[4].profilePicture"] == "Must be an https URL of a PNG or JPEG image"
        assert len(errors) == 5
        assert balance(public_only) == before
    with live.runtime.db.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Order).where(Order.account_id == account.id)) == 0


def test_order_for_a_user_is_scoped_to_that_user(shop, other_reseller):
    user = create_user(shop)
    name = f"{unique('usr')}.com"
    response = create(shop, form([{"domain": name}]), user_id=user["userId"])
    assert response.status_code == 201, response.text
    order_id = response.json()["data"]["orderId"]
    assert shop.get(f"/orders/{order_id}?userId={user['userId']}").json()["data"]["userId"] == user["userId"]
    other_user = create_user(shop)
    assert shop.get(f"/orders/{order_id}?userId={other_user['userId']}").status_code == 404
    hidden = other_reseller.get(f"/orders/{order_id}")
    assert hidden.status_code == 404 and field_errors(hidden) == {"orderId": "No such order of yours"}
    unknown_user = create(shop, form([{"domain": f"{unique('x')}.com"}]), user_id="NOSUCHUSER")
    assert unknown_user.status_code == 404 and "userId" in field_errors(unknown_user)


def test_years_are_ascii_digits(shop):
    response = create(shop, form([{"domain": f"{unique('yr')}.com", "years": "٢"}]))
    assert response.status_code == 400, response.text
    assert field_errors(response) == {"domains[0].years": "Must be a whole number of years from 1 to 10"}


def test_every_offending_field_is_named(shop):
    name = f"{unique('bad')}.com"
    response = create(
        shop,
        {
            "domains": json.dumps([{"domain": name, "years": 11}, {"domain": "not a domain", "years": 0}]),
            "mailboxes": json.dumps({"elsewhere.com": [{"username": "x", "firstName": "a", "lastName": "b"}], name: [{"username": "bad name!", "firstName": "", "lastName": "b"}]}),
            "billingCycle": "YEARLY",
            "serviceProvider": "YAHOO",
            "confirm": "maybe",
            "google": "{not json",
        },
    )
    assert response.status_code == 400, response.text
    errors = field_errors(response)
    assert response.json()["data"]["code"] == "invalid_fields"
    assert errors["domains[0].years"] == "Must be a whole number of years from 1 to 10"
    assert errors["domains[1].years"] == "Must be a whole number of years from 1 to 10"
    assert errors["domains[1].domain"] == "Valid format is example.com"
    assert errors["mailboxes.elsewhere.com"] == "Domain is not one of this order's domains"
    assert errors[f"mailboxes.{name}[0].username"].startswith("Must be 1-64 letters")
    assert errors["billingCycle"] == "Only MONTHLY is accepted"
    assert errors["serviceProvider"] == "Valid values are GOOGLE, MICROSOFT"
    assert errors["confirm"] == "Must be true or false"
    assert errors["google"].startswith("Must be valid JSON")


def test_every_domain_problem_is_named_at_once_in_request_order(shop):
    taken, unpriced, fine = f"taken{unique()}.com", f"{unique()}.xyz", f"{unique('ok')}.com"
    domains = [{"domain": d} for d in (fine, taken, unpriced)]
    mailboxes = {taken: [{"username": "ann", "firstName": "Ann", "lastName": ""}]}
    for response in (
        shop.post("/orders", json={"domains": domains, "mailboxes": mailboxes}),
        create(shop, form(domains, mailboxes)),
    ):
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["message"] == "Domain(s) not available" and error_data(response) == {
            "code": "domain_unavailable",
            "errors": [
                {"field": "domains[1].domain", "message": "Domain is not available"},
                {"field": "domains[2].domain", "message": "Domain price is not available"},
                {"field": f"mailboxes.{taken}[0].lastName", "message": "Field is required"},
            ],
        }


def test_malformed_json_fields_are_named(shop):
    response = create(shop, {"domains": "[{", "mailboxes": "{\"a\": "})
    assert response.status_code == 400
    errors = field_errors(response)
    assert set(errors) == {"domains", "mailboxes"}
    assert errors["domains"].startswith("Must be valid JSON")


def test_pictures_not_images_too_large_or_for_no_mailbox(shop):
    name = f"{unique('pic')}.com"
    boxes = {name: [{"username": u, "firstName": "A", "lastName": "B"} for u in ("text", "big", "ok", "empty")]}
    huge = png() + b"\0" * (5 * 1024 * 1024)
    response = create(
        shop,
        form([{"domain": name}], boxes),
        files=[
            (f"text@{name}", ("a.png", b"this is not an image", "image/png")),
            (f"big@{name}", ("big.png", huge, "image/png")),
            (f"ok@{name}", ("ok.jpg", jpeg(), "image/jpeg")),
            (f"empty@{name}", ("", b"", "application/octet-stream")),
            (f"nobody@{name}", ("n.png", png(), "image/png")),
        ],
    )
    assert response.status_code == 400, response.text
    errors = field_errors(response)
    assert errors == {
        f"text@{name}": "Must be a valid PNG or JPEG image",
        f"big@{name}": "Image must be at most 5 MB",
        f"nobody@{name}": "No mailbox of this order has this address (the key is username@domain)",
    }


def test_missing_or_wrong_key(reseller_anon, server, account):
    missing = reseller_anon.post("/orders", data={"domains": "[]"})
    assert missing.status_code == 401 and field_errors(missing) == {"cmr-x-api-key": "Header is required"}
    with reseller_client(server) as client:
        wrong = client.post("/orders/ABC/process", headers={"cmr-x-api-key": "nope"})
    assert wrong.status_code == 401 and "cmr-x-api-key" in field_errors(wrong)


def test_unknown_order_and_bad_content_type(shop):
    assert shop.get("/orders/NOSUCHORDER").status_code == 404
    assert shop.get("/orders/NOSUCHORDER/status").status_code == 404
    assert shop.post("/orders/NOSUCHORDER/process").status_code == 404
    wrong = shop.post("/orders", content=b"domains=x", headers={"content-type": "text/plain"})
    assert wrong.status_code == 415 and field_errors(wrong) == {"Content-Type": "Must be multipart/form-data or application/json"}
    empty = shop.post("/orders", json={})
    assert empty.status_code == 400 and field_errors(empty) == {"domains": "Field is required"}


def test_order_mailboxes_on_an_existing_domain(shop):
    name = f"{unique('om')}.com"
    order_id = create(shop, form([{"domain": name}], confirm="true")).json()["data"]["orderId"]
    assert wait_final(shop, order_id) == "COMPLETED"
    domain_id = shop.get(f"/orders/{order_id}").json()["data"]["domains"][0]["domainId"]
    response = shop.post(
        "/orders/mailboxes",
        json={"domainId": domain_id, "mailboxes": [{"username": "dinesh", "firstName": "Dinesh", "lastName": "Chugtai"}], "confirm": True},
    )
    assert response.status_code == 201, response.text
    added = response.json()["data"]["orderId"]
    assert wait_final(shop, added) == "COMPLETED"
    details = shop.get(f"/orders/{added}").json()["data"]
    assert details["kind"] == "mailboxes" and details["mailboxes"][0]["email"] == f"dinesh@{name}"

    both = shop.post("/orders/mailboxes", json={"domainId": domain_id, "subscriptionId": "S1", "mailboxes": []})
    assert both.status_code == 400 and "subscriptionId" in field_errors(both)
    neither = shop.post("/orders/mailboxes", json={"mailboxes": []})
    assert neither.status_code == 400 and "domainId" in field_errors(neither)
    unknown = shop.post("/orders/mailboxes", json={"domainId": "NOPE", "mailboxes": [{"username": "a", "firstName": "a", "lastName": "b"}]})
    assert unknown.status_code == 404 and field_errors(unknown) == {"domainId": "No such domain of yours"}


def test_order_mailboxes_by_subscription_joins_a_running_one_or_reopens_an_ended_one(shop, runtime):
    import sqlalchemy as sa

    from mailwright.billing.models import EndReason, Subscription, SubscriptionRecord

    name = f"{unique('sub')}.com"
    order_id = create(shop, form([{"domain": name}], {name: [{"username": "a", "firstName": "A", "lastName": "B"}]}, confirm="true")).json()["data"]["orderId"]
    assert wait_final(shop, order_id) == "COMPLETED"
    domain_id = shop.get(f"/orders/{order_id}").json()["data"]["domains"][0]["domainId"]
    with runtime.db.read() as session:
        running = session.scalar(sa.select(Subscription.id).where(Subscription.domain_claim == domain_id))

    def add(username: str) -> str:
        response = shop.post(
            "/orders/mailboxes",
            json={"subscriptionId": running, "mailboxes": [{"username": username, "firstName": "A", "lastName": "B"}], "confirm": True},
        )
        assert response.status_code == 201, response.text
        return response.json()["data"]["orderId"]

    assert wait_final(shop, add("b")) == "COMPLETED"
    with runtime.db.write() as session:  # the customer cancelled it (its own API lives elsewhere)
        session.execute(
            sa.update(Subscription)
            .where(Subscription.id == running)
            .values(status=SubscriptionRecord.ENDED, domain_claim=None, end_reason=EndReason.CANCELLED)
        )
    assert wait_final(shop, add("c")) == "COMPLETED"
    with runtime.db.read() as session:
        subs = list(session.scalars(sa.select(Subscription).where(Subscription.domain_id == domain_id).order_by(Subscription.created_at)))
    assert [s.status for s in subs] == [SubscriptionRecord.ENDED, SubscriptionRecord.RUNNING]
    unknown = shop.post("/orders/mailboxes", json={"subscriptionId": "NOPE", "mailboxes": [{"username": "d", "firstName": "A", "lastName": "B"}]})
    assert unknown.status_code == 404 and field_errors(unknown) == {"subscriptionId": "No such subscription of yours"}
