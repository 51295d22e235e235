"""Changing a mailbox's address (username) through PATCH /mailboxes: claimed at once, announced,
moved at the host by the settings workflow; billing then reaches the mailbox at its new address."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from mailwright.accounts import service as accounts
from mailwright.billing import repository as billing_repository
from mailwright.billing import workspace
from mailwright.billing.workflows import apply_mailbox_state
from mailwright.domains.models import Domain
from mailwright.domains.names import LOCAL_PART_RULE
from mailwright.events import types
from mailwright.events.models import Event
from mailwright.mailboxes.models import Mailbox, MailboxStatus
from mailwright.money import Money
from mailwright.providers.base import TerminalError
from mailwright.providers.sandbox.models import SandboxCall, SandboxMailbox
from mailwright.provisioning import steps
from tests.conftest import OWNER, Customer, client_for, unique, wait_for_order, wait_until
from tests.events.conftest import receiver  # noqa: F401 - the fixture
from tests.reseller.conftest import create_user, field_errors, order_for_user, reseller_client


@dataclass
class Estate:
    """One reseller user with five ready domains, each with the live mailboxes ann@ and bob@."""

    customer: Customer
    user_id: str
    domains: list[str]


@pytest.fixture(scope="module")
def estate(server, runtime) -> Estate:
    with runtime.db.write() as session:
        account, key = accounts.create_account(session, f"Reseller {unique()}", "USD", credit=Money(100_000, "USD"))
    customer = Customer(account.id, key, "USD")
    domains = sorted(f"{unique('rn')}.com" for _ in range(5))
    with client_for(server, customer) as woodpecker, reseller_client(server, customer) as client:
        assert woodpecker.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
        user_id = create_user(client)["userId"]
        order_id = order_for_user(runtime, customer, user_id, domains, ("ann", "bob"))
        assert wait_for_order(woodpecker, order_id)["status"] == "completed"
    return Estate(customer, user_id, domains)


@pytest.fixture
def client(server, estate) -> Iterator[httpx.Client]:
    with reseller_client(server, estate.customer) as c:
        yield c


def _mailbox(runtime, email: str) -> Mailbox:
    with runtime.db.read() as session:
        return session.scalars(sa.select(Mailbox).where(Mailbox.email == email, Mailbox.email_claim.is_not(None))).one()


def _by_id(runtime, mailbox_id: str) -> Mailbox:
    with runtime.db.read() as session:
        mailbox = session.get(Mailbox, mailbox_id)
        assert mailbox is not None
        return mailbox


def _at_host(runtime, email: str) -> SandboxMailbox | None:
    with runtime.db.read() as session:
        return session.get(SandboxMailbox, email)


def _patch(client: httpx.Client, estate: Estate, mailbox_id: str, **fields: Any) -> httpx.Response:
    return client.patch("/mailboxes", json={"userId": estate.user_id, "mailboxId": mailbox_id, **fields})


def _updates(runtime, mailbox_id: str) -> list[dict[str, Any]]:
    """The data of the mailbox.updated events recorded for the mailbox, oldest first."""
    with runtime.db.read() as session:
        rows = session.scalars(
            sa.select(Event.data).where(Event.type == types.MAILBOX_UPDATED, Event.data.contains(mailbox_id)).order_by(Event.seq)
        )
        return [d for d in map(json.loads, rows) if d.get("mailbox_id") == mailbox_id]


def _moved_at_host(runtime, old: str, new: str) -> bool:
    host = runtime.providers.mailbox_host("GOOGLE")
    return host.find_mailbox(new) is not None and host.find_mailbox(old) is None


def test_rename_is_answered_at_once_reaches_the_host_and_is_announced(server, client, estate, runtime, receiver):  # noqa: F811
    hook = client.post("/webhooks", json={"url": receiver.url + "/rename", "event": types.MAILBOX_UPDATED})
    assert hook.status_code == 201, hook.text
    domain = estate.domains[0]
    old, new = f"ann@{domain}", f"ann.smith@{domain}"
    mailbox = _mailbox(runtime, old)
    before = client.get("/mailboxes/details", params={"userId": estate.user_id, "mailboxId": mailbox.id}).json()["data"]

    response = _patch(client, estate, mailbox.id, username=" Ann.Smith ")
    assert response.status_code == 200, response.text
    assert response.json()["message"] == "Mailbox updated successfully"
    data = response.json()["data"]
    assert (data["email"], data["username"], data["domainName"]) == (new, "ann.smith", domain)

    details = client.get("/mailboxes/details", params={"userId": estate.user_id, "mailboxId": mailbox.id}).json()["data"]
    assert (details["email"], details["username"]) == (new, "ann.smith")
    assert details["password"] == before["password"] and details["smtpHost"] == before["smtpHost"]

    wait_until(lambda: _moved_at_host(runtime, old, new))
    wait_until(lambda: _by_id(runtime, mailbox.id).host_email == new)
    row = _at_host(runtime, new)
    assert row is not None and row.provider_ref == mailbox.provider_ref
    assert (row.first_name, row.last_name, row.status) == (mailbox.first_name, mailbox.last_name, "active")

    delivered = wait_until(lambda: [r.json["data"] for r in receiver.received("/rename") if r.json["data"]["mailboxId"] == mailbox.id])
    assert receiver.received("/rename")[0].json["event"] == "mailbox.updated"
    body = delivered[0]
    assert (body["email"], body["username"]) == (new, "ann.smith")
    assert (body["previousEmail"], body["previousUsername"]) == (old, "ann")
    assert body["changed"] == ["email"] and body["status"] == "LIVE" and body["userId"] == estate.user_id

    # The other face finds the mailbox by its new address only.
    with client_for(server, estate.customer) as woodpecker:
        found = woodpecker.get(f"/rest/v2/domains/{domain}/mailboxes/{new}")
        assert found.status_code == 200 and found.json()["email"] == new
        assert woodpecker.get(f"/rest/v2/domains/{domain}/mailboxes/{old}").status_code == 404
    assert client.delete(f"/webhooks/{hook.json()['data']['webhookId']}").status_code == 200


def test_the_same_username_again_changes_nothing(client, estate, runtime):
    mailbox = _mailbox(runtime, f"bob@{estate.domains[0]}")
    response = _patch(client, estate, mailbox.id, username="BOB")
    assert response.status_code == 200 and response.json()["data"]["email"] == mailbox.email
    assert _updates(runtime, mailbox.id) == []
    assert _by_id(runtime, mailbox.id).settings_version == mailbox.settings_version


def test_names_and_username_together(client, estate, runtime):
    domain = estate.domains[2]
    mailbox = _mailbox(runtime, f"bob@{domain}")
    response = _patch(client, estate, mailbox.id, username="robert", firstName="Robert", lastName="Stone")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["email"], data["firstName"], data["lastName"]) == (f"robert@{domain}", "Robert", "Stone")

    def pushed() -> SandboxMailbox | None:
        row = _at_host(runtime, f"robert@{domain}")
        return row if row is not None and row.first_name == "Robert" else None

    assert wait_until(pushed).last_name == "Stone"
    assert [u["changed"] for u in _updates(runtime, mailbox.id)] == [["email"], ["first_name", "last_name"]]
    # The order still lists the mailbox it ordered as bob@.
    ordered = client.get(f"/orders/{mailbox.order_id}").json()["data"]["mailboxes"]
    item = next(m for m in ordered if m["email"] == f"bob@{domain}")
    assert (item["mailboxId"], item["status"]) == (mailbox.id, "LIVE")


def test_an_address_of_another_mailbox_is_refused(client, estate, runtime):
    domain = estate.domains[1]
    mailbox = _mailbox(runtime, f"bob@{domain}")
    response = _patch(client, estate, mailbox.id, username="ann", firstName="Changed")
    assert response.status_code == 400
    assert response.json()["data"]["code"] == "invalid_fields"
    assert field_errors(response) == {"username": "Mailbox already exists"}
    after = _by_id(runtime, mailbox.id)
    assert (after.email, after.first_name, after.settings_version) == (mailbox.email, mailbox.first_name, mailbox.settings_version)
    assert _updates(runtime, mailbox.id) == []


def test_every_bad_field_is_named_at_once(client, estate, runtime):
    mailbox = _mailbox(runtime, f"ann@{estate.domains[1]}")
    response = _patch(client, estate, mailbox.id, username="bad..name", firstName="", profilePicture="bm90IGFuIGltYWdl")
    assert response.status_code == 400
    assert field_errors(response) == {
        "username": LOCAL_PART_RULE,
        "firstName": "Field is required",
        "profilePicture": "Must be a valid PNG or JPEG image",
    }
    for username, message in (("", "Field is required"), (None, "Field is required"), (42, LOCAL_PART_RULE), ("a@b.com", LOCAL_PART_RULE), ("x" * 65, LOCAL_PART_RULE)):
        bad = _patch(client, estate, mailbox.id, username=username)
        assert bad.status_code == 400 and field_errors(bad) == {"username": message}, username
    assert _by_id(runtime, mailbox.id).email == mailbox.email


def test_two_mailboxes_racing_for_one_address(server, estate, runtime):
    domain = estate.domains[3]
    before = {_mailbox(runtime, f"{name}@{domain}").id: f"{name}@{domain}" for name in ("ann", "bob")}
    start = threading.Barrier(len(before))
    answers: dict[str, httpx.Response] = {}

    def rename(mailbox_id: str) -> None:
        with reseller_client(server, estate.customer) as c:
            start.wait()
            answers[mailbox_id] = _patch(c, estate, mailbox_id, username="carl")

    threads = [threading.Thread(target=rename, args=(i,)) for i in before]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers.values()) == [200, 400], [a.text for a in answers.values()]
    winner = next(i for i, a in answers.items() if a.status_code == 200)
    loser = next(i for i, a in answers.items() if a.status_code == 400)
    assert field_errors(answers[loser]) == {"username": "Mailbox already exists"}
    assert (_by_id(runtime, winner).email, _by_id(runtime, loser).email) == (f"carl@{domain}", before[loser])
    wait_until(lambda: _moved_at_host(runtime, before[winner], f"carl@{domain}"))


def test_only_a_live_mailbox_changes_its_address(client, estate, runtime):
    domain = estate.domains[3]
    with runtime.db.read() as session:
        domain_id = session.scalar(sa.select(Domain.id).where(Domain.name == domain))
    with runtime.db.write() as session:
        assert workspace.set_mailboxes(session, domain_id, MailboxStatus.LIVE, MailboxStatus.SUSPENDED) == 2
    try:
        suspended = session_mailboxes(runtime, domain_id)[0]
        refused = _patch(client, estate, suspended.id, username="dora")
        assert refused.status_code == 422 and refused.json()["data"]["code"] == "mailbox_not_live"
        assert field_errors(refused) == {"username": "The mailbox is suspended; only a live mailbox can change its address"}
    finally:
        with runtime.db.write() as session:
            workspace.set_mailboxes(session, domain_id, MailboxStatus.SUSPENDED, MailboxStatus.LIVE)

    removed = session_mailboxes(runtime, domain_id)[1]
    announced = _updates(runtime, removed.id)
    assert client.delete("/mailboxes", params={"mailboxId": removed.id}).status_code == 200
    refused = _patch(client, estate, removed.id, username="dora")
    assert refused.status_code == 422
    assert field_errors(refused) == {"username": "The mailbox is removed; only a live mailbox can change its address"}
    assert _by_id(runtime, removed.id).email == removed.email and _updates(runtime, removed.id) == announced


def test_a_mailbox_being_created_or_failed_keeps_its_address(client, estate, runtime):
    domain = estate.domains[0]
    domain_id = _mailbox(runtime, f"bob@{domain}").domain_id
    boxes = [{"username": u, "firstName": "Fred", "lastName": "Ng"} for u in ("action-ada", "fail-fred")]
    ordered = client.post("/orders/mailboxes", params={"userId": estate.user_id}, json={"domainId": domain_id, "mailboxes": boxes, "confirm": True})
    assert ordered.status_code == 201, ordered.text
    order_id = ordered.json()["data"]["orderId"]

    def settled() -> dict[str, str] | None:
        with runtime.db.read() as session:
            rows = dict(session.execute(sa.select(Mailbox.local_part, Mailbox.status).where(Mailbox.order_id == order_id)).all())
        return rows if rows == {"action-ada": MailboxStatus.NEEDS_ACTION, "fail-fred": MailboxStatus.FAILED} else None

    wait_until(settled, timeout=60)
    for local, state in (("action-ada", "still being created"), ("fail-fred", "failed")):
        with runtime.db.read() as session:
            mailbox_id = session.scalar(sa.select(Mailbox.id).where(Mailbox.order_id == order_id, Mailbox.local_part == local))
        refused = _patch(client, estate, mailbox_id, username=f"{local}-new")
        assert refused.status_code == 422 and refused.json()["data"]["code"] == "mailbox_not_live"
        assert field_errors(refused) == {"username": f"The mailbox is {state}; only a live mailbox can change its address"}
        assert _by_id(runtime, mailbox_id).email == f"{local}@{domain}"


def session_mailboxes(runtime, domain_id: str) -> list[Mailbox]:
    with runtime.db.read() as session:
        return list(session.scalars(sa.select(Mailbox).where(Mailbox.domain_id == domain_id).order_by(Mailbox.email)))


def test_billing_reaches_a_renamed_mailbox_at_its_new_address(client, estate, runtime):
    domain = estate.domains[4]
    mailbox = _mailbox(runtime, f"ann@{domain}")
    new = f"dana@{domain}"
    assert _patch(client, estate, mailbox.id, username="dana").status_code == 200
    wait_until(lambda: _by_id(runtime, mailbox.id).host_email == new)

    with runtime.db.write() as session:
        sub = billing_repository.running_subscription(session, mailbox.domain_id)
        assert sub is not None
        workspace.set_mailboxes(session, mailbox.domain_id, MailboxStatus.LIVE, MailboxStatus.SUSPENDED)
        workspace.request_sync(session, runtime, sub.id)
    wait_until(lambda: getattr(_at_host(runtime, new), "status", None) == "suspended")
    with runtime.db.write() as session:
        workspace.set_mailboxes(session, mailbox.domain_id, MailboxStatus.SUSPENDED, MailboxStatus.LIVE)
        workspace.request_sync(session, runtime, sub.id)
    wait_until(lambda: getattr(_at_host(runtime, new), "status", None) == "active")

    assert client.delete("/mailboxes", params={"mailboxId": mailbox.id}).status_code == 200
    wait_until(lambda: _at_host(runtime, new) is None)
    assert _at_host(runtime, f"ann@{domain}") is None
    assert getattr(_at_host(runtime, f"bob@{domain}"), "status", None) == "active"


def test_the_rename_step_and_the_host_rename_can_run_again(client, estate, runtime):
    domain = estate.domains[2]
    mailbox = _mailbox(runtime, f"ann@{domain}")
    old, new = mailbox.email, f"erin@{domain}"
    assert _patch(client, estate, mailbox.id, username="erin").status_code == 200
    wait_until(lambda: _by_id(runtime, mailbox.id).host_email == new)
    version = _by_id(runtime, mailbox.id).settings_version
    wait_until(lambda: _by_id(runtime, mailbox.id).settings_applied_version >= version)

    # As after a crash between the host's answer and our write: the host has moved it, we have not recorded it.
    with runtime.db.write() as session:
        session.execute(sa.update(Mailbox).where(Mailbox.id == mailbox.id).values(host_email=old, settings_applied_version=version - 1))
    assert steps.apply_mailbox_settings(mailbox.id) == {"result": "ok"}
    assert steps.apply_mailbox_settings(mailbox.id) == {"result": "ok"}
    after = _by_id(runtime, mailbox.id)
    assert (after.host_email, after.settings_applied_version) == (new, version)
    assert _moved_at_host(runtime, old, new)
    with runtime.db.read() as session:
        outcomes = session.scalars(
            sa.select(SandboxCall.outcome).where(SandboxCall.operation == "rename_mailbox", SandboxCall.subject == old).order_by(SandboxCall.id)
        ).all()
    assert outcomes == ["ok", "existing"]

    host = runtime.providers.mailbox_host("GOOGLE")
    assert host.rename_mailbox(old, new).provider_ref == mailbox.provider_ref
    with pytest.raises(TerminalError, match="does not exist"):
        host.rename_mailbox(f"nobody@{domain}", f"noone@{domain}")
    with pytest.raises(TerminalError, match="another mailbox"):
        host.rename_mailbox(new, f"bob@{domain}" if _at_host(runtime, f"bob@{domain}") else f"robert@{domain}")
    assert _moved_at_host(runtime, old, new)

    # Billing while a change of address may be landing at the host finds the mailbox under either address.
    apply_mailbox_state("GOOGLE", [old, new], mailbox.provider_ref, MailboxStatus.SUSPENDED)
    assert _at_host(runtime, new).status == "suspended"
    apply_mailbox_state("GOOGLE", [new, f"zed@{domain}"], mailbox.provider_ref, MailboxStatus.LIVE)
    assert _at_host(runtime, new).status == "active"


def test_openapi_documents_the_username(anon):
    schema = anon.get("/openapi.json").json()
    patch = schema["paths"]["/api/v1/integration/mailboxes"]["patch"]
    assert "username" in patch["summary"] and LOCAL_PART_RULE in patch["description"]
    assert {"400", "404", "422"} <= set(patch["responses"])
    username = schema["components"]["schemas"]["UpdateMailboxRequest"]["properties"]["username"]
    assert LOCAL_PART_RULE in username["description"]
