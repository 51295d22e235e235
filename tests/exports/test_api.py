"""Sending platforms and exports through the reseller face of the session's live server: a key is
checked at the platform (Instantly's loopback emulator) before it is stored, encrypted and never
shown; the base URL goes through the outbound guard; every offending field is named at once;
?userId= and other resellers' objects are scoped as elsewhere; Idempotency-Key replays; orders
take exportTo (both faces, JSON and multipart)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from mailwright.exports.models import Export, ExportedMailbox, ExportItem, ExportPlatform
from mailwright.mailboxes.models import Mailbox, MailboxStatus
from mailwright.orders.models import Order
from mailwright.orders.requests import OrderPlan
from mailwright.runtime import Runtime
from tests.conftest import OWNER, Customer, LiveServer, client_for, serve_in_thread, unique, wait_until
from tests.events.conftest import receiver  # noqa: F401 - the fixture
from tests.events.receiver import Receiver
from tests.exports.instantly.emulator import InstantlyEmulator
from tests.exports.support import live_mailboxes, settled
from tests.reseller.conftest import create_user, field_errors, reseller_client

PLATFORMS = "/exports/platforms"


@pytest.fixture(scope="module")
def instantly() -> Iterator[InstantlyEmulator]:
    emulator = InstantlyEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def strict(runtime: Runtime) -> Iterator[LiveServer]:
    """A server of the session's runtime that keeps the guard's rule (the session's allows loopback for its emulators)."""
    live = serve_in_thread(dataclasses.replace(runtime, settings=runtime.settings.model_copy(update={"outbound_allow_private": False})))
    yield live
    live.stop()


@pytest.fixture
def reseller_of(make_account: Callable[..., Customer]) -> Callable[[LiveServer], httpx.Client]:
    clients: list[httpx.Client] = []

    def make(server: LiveServer, customer: Customer | None = None) -> httpx.Client:
        client = reseller_client(server, customer or make_account())
        clients.append(client)
        return client

    yield make  # type: ignore[misc]
    for client in clients:
        client.close()


def register(client: httpx.Client, emulator: InstantlyEmulator, **changes: Any) -> httpx.Response:
    body = {"platform": "INSTANTLY", "name": "Outreach team", "apiKey": emulator.api_key, "baseUrl": emulator.url} | changes
    return client.post(PLATFORMS, json=body)


def placed_mailbox(runtime: Runtime, customer: Customer, server: LiveServer) -> str:
    """A mailbox of the customer's (ordered, not yet live is enough for scoping)."""
    domain = f"{unique('ex')}.com"
    with client_for(server, customer) as woodpecker:
        assert woodpecker.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
        placed = woodpecker.post("/rest/v2/domains/order", json={
            "provider": "MAILDOSO", "domains": [domain], "mailboxes": [{"email": f"ann@{domain}", "first_name": "Ann", "last_name": "Lee"}],
        })
        assert placed.status_code == 202, placed.text
    with runtime.db.read() as session:
        return session.scalars(sa.select(Mailbox.id).where(Mailbox.email == f"ann@{domain}")).one()


def test_a_platform_is_stored_only_after_the_platform_accepts_its_key_and_the_key_is_never_shown(
    server: LiveServer, runtime: Runtime, instantly: InstantlyEmulator, reseller_of: Any
) -> None:
    client = reseller_of(server)
    checks_before = len(instantly.calls_to("GET", "/api/v2/accounts"))
    created = register(client, instantly, baseUrl=instantly.url + "/")
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    assert created.json()["message"] == "Sending platform added successfully"
    assert set(data) == {"platformId", "platform", "name", "baseUrl"}
    assert (data["platform"], data["name"], data["baseUrl"]) == ("INSTANTLY", "Outreach team", instantly.url)
    checks = instantly.calls_to("GET", "/api/v2/accounts")[checks_before:]
    assert [c.authorization for c in checks] == [f"Bearer {instantly.api_key}"]

    with runtime.db.read() as session:
        row = session.get(ExportPlatform, data["platformId"])
        assert row is not None and instantly.api_key not in row.api_key_enc
        assert runtime.secrets.decrypt(row.api_key_enc) == instantly.api_key
    listed = client.get(PLATFORMS)
    assert listed.status_code == 200 and listed.json()["data"] == {"platforms": [data]}
    assert instantly.api_key not in listed.text

    # Without a base URL: the platform's public API.
    wrong = register(client, instantly, apiKey="not-a-key-instantly-knows")
    assert wrong.status_code == 400
    assert set(field_errors(wrong)) == {"apiKey"} and "refused the API key" in field_errors(wrong)["apiKey"]
    assert "not-a-key-instantly-knows" not in wrong.text

    removed = client.delete(f"{PLATFORMS}/{data['platformId']}")
    assert removed.status_code == 200 and removed.json()["data"] is None
    assert client.get(PLATFORMS).json()["data"] == {"platforms": []}
    assert client.delete(f"{PLATFORMS}/{data['platformId']}").status_code == 404
    with runtime.db.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ExportPlatform).where(ExportPlatform.account_id == row.account_id)) == 1


def test_every_offending_field_is_named_and_a_loopback_base_url_needs_the_operators_leave(
    strict: LiveServer, instantly: InstantlyEmulator, reseller_of: Any
) -> None:
    client = reseller_of(strict)
    refused = client.post(PLATFORMS + "?userId=nobody", json={"platform": "MAILCHIMP", "name": "", "baseUrl": "http://127.0.0.1:9/api"})
    assert refused.status_code == 400
    errors = field_errors(refused)
    assert set(errors) == {"platform", "name", "apiKey", "baseUrl", "userId"}, errors
    assert errors["platform"] == "Must be one of INSTANTLY, SMARTLEAD, WOODPECKER"
    assert "loopback" in errors["baseUrl"]

    # The emulator's own URL, valid in every other way: refused on a server that keeps the guard's rule.
    calls_before = len(instantly.calls)
    loopback = register(client, instantly)
    assert loopback.status_code == 400 and set(field_errors(loopback)) == {"baseUrl"}
    assert len(instantly.calls) == calls_before
    assert client.post(PLATFORMS, json=["not", "an", "object"]).status_code == 400


def test_another_resellers_platforms_exports_and_mailboxes_do_not_exist(
    server: LiveServer, runtime: Runtime, instantly: InstantlyEmulator, reseller_of: Any, make_account: Callable[..., Customer]
) -> None:
    owner = make_account()
    mine, theirs = reseller_of(server, owner), reseller_of(server)
    platform_id = register(mine, instantly).json()["data"]["platformId"]
    mailbox_id = placed_mailbox(runtime, owner, server)
    export = mine.post("/exports", json={"platformId": platform_id, "mailboxIds": [mailbox_id]})
    assert export.status_code == 202, export.text
    export_id = export.json()["data"]["exportId"]

    assert theirs.get(PLATFORMS).json()["data"] == {"platforms": []}
    assert theirs.delete(f"{PLATFORMS}/{platform_id}").status_code == 404
    gone = theirs.get(f"/exports/{export_id}")
    assert gone.status_code == 404 and field_errors(gone) == {"exportId": "No such export of yours"}
    stolen = theirs.post("/exports", json={"platformId": platform_id, "mailboxIds": [mailbox_id]})
    assert stolen.status_code == 404
    assert field_errors(stolen) == {"platformId": "No such sending platform of yours", "mailboxIds[0]": "No such mailbox of yours"}
    again = theirs.post(f"/exports/mailboxes/{mailbox_id}/re-export", json={"platformId": platform_id})
    assert again.status_code == 404 and set(field_errors(again)) == {"platformId", "mailboxId"}
    assert mine.get(f"/exports/{export_id}").status_code == 200


def test_user_scope_idempotency_and_the_export_as_shown(
    server: LiveServer, runtime: Runtime, instantly: InstantlyEmulator, reseller_of: Any, make_account: Callable[..., Customer]
) -> None:
    owner = make_account()
    client = reseller_of(server, owner)
    first, second = create_user(client)["userId"], create_user(client)["userId"]
    users_platform = register(client, instantly, userId=first).json()["data"]["platformId"]
    assert [p["platformId"] for p in client.get(PLATFORMS, params={"userId": first}).json()["data"]["platforms"]] == [users_platform]
    assert client.get(PLATFORMS, params={"userId": second}).json()["data"]["platforms"] == []
    assert client.get(PLATFORMS).json()["data"]["platforms"] == []  # the reseller's own: none
    assert client.delete(f"{PLATFORMS}/{users_platform}", params={"userId": second}).status_code == 404

    # The reseller's own mailbox is no mailbox of the user's, and a user's platform takes only theirs.
    mailbox_id = placed_mailbox(runtime, owner, server)
    scoped = client.post(f"/exports?userId={first}", json={"platformId": users_platform, "mailboxIds": [mailbox_id]})
    assert scoped.status_code == 404 and field_errors(scoped) == {"mailboxIds[0]": "No such mailbox of yours"}
    unscoped = client.post("/exports", json={"platformId": users_platform, "mailboxIds": [mailbox_id]})
    assert unscoped.status_code == 400
    assert field_errors(unscoped) == {"mailboxIds[0]": "This platform belongs to one of your users and takes only that user's mailboxes"}

    # Malformed requests: every field at once.
    both = client.post("/exports", json={"platformId": 7, "mailboxIds": [mailbox_id], "domainIds": ["x"]})
    assert both.status_code == 400 and field_errors(both) == {"platformId": "Must be a string", "mailboxIds": "Give either mailboxIds or domainIds (a list of ids)"}
    empty = client.post("/exports", json={"mailboxIds": []})
    assert field_errors(empty) == {"platformId": "Field is required", "mailboxIds": "Must be a non-empty list of ids"}

    # Keyed: a repeat is the first answer, one export; the key with another request is refused.
    own_platform = register(client, instantly).json()["data"]["platformId"]
    body = {"platformId": own_platform, "mailboxIds": [mailbox_id]}
    key = {"Idempotency-Key": unique("export-")}
    started = client.post("/exports", json=body, headers=key)
    repeated = client.post("/exports", json=body, headers=key)
    assert started.status_code == repeated.status_code == 202
    assert started.json() == repeated.json()
    export_id = started.json()["data"]["exportId"]
    reused = client.post("/exports", json=body | {"mailboxIds": [mailbox_id, mailbox_id]}, headers=key)
    assert reused.status_code == 422 and reused.json()["data"]["code"] == "idempotency_key_reused"
    with runtime.db.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Export).where(Export.idempotency_key == key["Idempotency-Key"])) == 1
        assert session.scalar(sa.select(sa.func.count()).select_from(ExportItem).where(ExportItem.export_id == export_id)) == 1

    shown = client.get(f"/exports/{export_id}")
    assert shown.status_code == 200
    data = shown.json()["data"]
    assert set(data) == {"exportId", "status", "mailboxes"} and data["exportId"] == export_id
    (item,) = data["mailboxes"]
    assert set(item) == {"mailboxId", "email", "status", "error", "remoteId"} and item["mailboxId"] == mailbox_id
    assert item["status"] in ("PENDING", "FAILED")


def test_orders_name_the_platform_to_export_to_on_both_faces(
    server: LiveServer, runtime: Runtime, instantly: InstantlyEmulator, reseller_of: Any, make_account: Callable[..., Customer]
) -> None:
    owner = make_account()
    client = reseller_of(server, owner)
    domain = f"{unique('et')}.com"
    order = {"domains": [{"domain": domain, "years": 1}], "mailboxes": {domain: [{"username": "ann", "firstName": "Ann", "lastName": "Lee"}]}}
    unknown = client.post("/orders", json=order | {"exportTo": "06HD4QD7X4B1M8R2W5Z9K3T6NPYJ", "billingCycle": "YEARLY"})
    assert unknown.status_code == 400
    assert field_errors(unknown)["exportTo"] == "No such sending platform of yours"
    assert "billingCycle" in field_errors(unknown)
    form = {"domains": '[{"domain": "%s", "years": 1}]' % domain, "exportTo": "nope"}
    multipart = client.post("/orders", data=form, files={"_": ("", b"")})
    assert multipart.status_code == 400 and "exportTo" in field_errors(multipart)

    platform_id = register(client, instantly).json()["data"]["platformId"]
    with client_for(server, owner) as woodpecker:
        assert woodpecker.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
        created = client.post("/orders", json=order | {"exportTo": platform_id})
        assert created.status_code == 201, created.text
        with runtime.db.read() as session:
            plan = OrderPlan.from_json(session.get(Order, created.json()["data"]["orderId"]).plan_json)
        assert plan.options.export_to == platform_id
        refused = woodpecker.post("/rest/v2/domains/order", json={
            "provider": "MAILDOSO", "domains": [f"{unique('wp')}.com"], "export_to": ["x"],
            "mailboxes": [{"email": "bob@elsewhere.com", "first_name": "Bob", "last_name": "Lee"}],
        })
        assert refused.status_code == 422, refused.text
        assert {f["field"] for f in refused.json()["fields"]} >= {"export_to"}


def test_an_export_adds_each_mailbox_once_with_its_credentials_a_refusal_fails_only_that_one_and_removal_deletes_it(
    server: LiveServer, runtime: Runtime, instantly: InstantlyEmulator, reseller_of: Any, make_account: Callable[..., Customer],
    receiver: Receiver,
) -> None:
    owner = make_account()
    client = reseller_of(server, owner)
    domain_id, boxes = live_mailboxes(runtime, owner, server, "ann", "bob", "cid")
    ann, bob, cid = boxes["ann"], boxes["bob"], boxes["cid"]
    standard = client_for(server, owner).post("/rest/v1/webhooks/subscribe", json={"target_url": receiver.url + "/standard", "event": "mailbox.export.failed"})
    assert standard.status_code == 201, standard.text
    assert client.post("/webhooks", json={"url": receiver.url + "/reseller", "event": "*"}).status_code == 201
    platform_id = register(client, instantly).json()["data"]["platformId"]

    instantly.refuse_logins[bob.email] = "Unable to sign in to IMAP: authentication failed"
    instantly.add_account(cid.email)  # connected in Instantly by hand before: found, left as it is
    instantly.throttle_next(1, retry_after=0, call="POST /api/v2/accounts")  # rate limited once: retried
    posts_before = len(instantly.calls_to("POST", "/api/v2/accounts"))
    export_id = client.post("/exports", json={"platformId": platform_id, "domainIds": [domain_id]}).json()["data"]["exportId"]

    data = settled(client, export_id)
    assert data["status"] == "PARTIALLY_COMPLETED"
    by_email = {m["email"]: m for m in data["mailboxes"]}
    assert [by_email[b.email]["status"] for b in (ann, bob, cid)] == ["EXPORTED", "FAILED", "EXPORTED"]
    assert by_email[ann.email]["error"] is None and by_email[ann.email]["remoteId"] == ann.email
    assert "Unable to sign in to IMAP: authentication failed" in by_email[bob.email]["error"]
    assert instantly.accounts[cid.email]["first_name"] == "Outside"  # not replaced
    account = instantly.accounts[ann.email]
    password = runtime.secrets.decrypt(ann.password_enc)
    assert (account["first_name"], account["last_name"], account["provider_code"]) == ("Ann", "Lee", 1)
    assert (account["smtp_host"], account["smtp_port"], account["smtp_username"], account["smtp_password"]) == (ann.smtp_host, ann.smtp_port, ann.email, password)
    assert (account["imap_host"], account["imap_port"], account["imap_username"], account["imap_password"]) == (ann.imap_host, ann.imap_port, ann.email, password)
    posts = [c.body["email"] for c in instantly.calls_to("POST", "/api/v2/accounts")[posts_before:]]
    assert sorted(posts) == sorted([ann.email, ann.email, bob.email])  # ann: the throttled call, then the one that added it

    # Exported again: found there, nothing added.
    again = client.post(f"/exports/mailboxes/{ann.id}/re-export", json={"platformId": platform_id})
    assert again.status_code == 202, again.text
    assert settled(client, again.json()["data"]["exportId"])["mailboxes"][0]["status"] == "EXPORTED"
    assert len(instantly.calls_to("POST", "/api/v2/accounts")) == posts_before + 3

    # Webhooks in both formats; the failure carries the platform's message, never the key.
    reseller_bodies = wait_until(lambda: len(b := [r.json for r in receiver.received("/reseller") if r.json["event"].startswith("mailbox.export")]) == 4 and b)
    exported = next(b["data"] for b in reseller_bodies if b["event"] == "mailbox.exported")
    assert {"exportId", "mailboxId", "email", "platformId", "platform", "remoteId", "status"} <= set(exported)
    failure = wait_until(lambda: receiver.received("/standard"))[0].json
    assert failure["type"] == "mailbox.export.failed" and failure["data"]["mailbox_id"] == bob.id
    assert "Unable to sign in to IMAP" in failure["data"]["error"] and failure["data"]["export_id"] == export_id
    assert all(instantly.api_key not in r.body.decode() and password not in r.body.decode() for r in receiver.received())

    # Removed here: deleted at the platform too, and recorded.
    removed = client.delete("/mailboxes", params={"mailboxId": ann.id})
    assert removed.status_code == 200, removed.text
    wait_until(lambda: ann.email not in instantly.accounts, timeout=30)

    def withdrawn() -> ExportedMailbox | None:
        with runtime.db.read() as session:
            place = session.get(ExportedMailbox, (ann.id, platform_id))
            return place if place is not None and place.withdrawn_at is not None else None

    assert wait_until(withdrawn, timeout=10).withdraw_error is None
    assert cid.email in instantly.accounts


def test_a_mailbox_that_is_not_live_fails_with_the_reason_and_the_platform_is_not_called(
    server: LiveServer, runtime: Runtime, instantly: InstantlyEmulator, reseller_of: Any, make_account: Callable[..., Customer]
) -> None:
    owner = make_account()
    client = reseller_of(server, owner)
    platform_id = register(client, instantly).json()["data"]["platformId"]
    with runtime.db.write() as session:
        mailbox = session.get(Mailbox, placed_mailbox(runtime, owner, server))
        mailbox.status = MailboxStatus.FAILED  # never live (its order failed)
    calls_before = len(instantly.calls)
    export_id = client.post("/exports", json={"platformId": platform_id, "mailboxIds": [mailbox.id]}).json()["data"]["exportId"]
    data = settled(client, export_id)
    assert data["status"] == "FAILED"
    assert data["mailboxes"][0]["error"] == f"{mailbox.email} is not live (its status is failed): only live mailboxes can be exported"
    assert [c for c in instantly.calls[calls_before:] if mailbox.email in json.dumps(c.body) + c.path] == []
