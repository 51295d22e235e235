"""Each sandbox failure value through a real order: statuses, reasons, refunds to the cent."""

from __future__ import annotations

from mailwright.wallet.models import LedgerEntry
from tests.conftest import unique
from tests.provisioning.support import (
    DOMAIN_PRICE,
    MAILBOX_PRICE,
    balance_minor,
    items,
    ledger,
    order,
    sandbox_calls,
    settled,
)

START = 100_000  # the account fixture's 1000.00 USD


def refunds(runtime, account_id: str) -> list[LedgerEntry]:
    return [e for e in ledger(runtime, account_id) if e.kind == "refund"]


def test_fail_register_fails_the_domain_and_its_mailboxes_and_refunds_exactly_them(api_with_owner, account, runtime):
    good, bad = f"{unique('ok')}.com", f"fail-register-{unique()}.com"
    order_id = order(api_with_owner, [good, bad], [f"ann@{good}", f"bob@{bad}", f"cid@{bad}"])
    body = settled(api_with_owner, order_id)

    assert body["status"] == "partially_completed"
    by_name = items(body)
    assert by_name[good]["status"] == "ready" and by_name[f"ann@{good}"]["status"] == "live"
    assert by_name[bad]["status"] == "failed"
    assert "registrar refused" in by_name[bad]["failure_reason"] and "fail-register" in by_name[bad]["failure_reason"]
    for email in (f"bob@{bad}", f"cid@{bad}"):
        assert by_name[email]["status"] == "failed"
        assert by_name[email]["failure_reason"].startswith("Its domain could not be provisioned")

    entries = refunds(runtime, account.id)
    assert sorted(e.amount_minor for e in entries) == [600, 600, 1300]
    assert {e.order_id for e in entries} == {order_id}
    assert sum(1 for e in entries if e.domain_id and bad in e.description) == 1
    assert sum(1 for e in entries if e.mailbox_id) == 2
    total = 2 * DOMAIN_PRICE["com"] + 3 * MAILBOX_PRICE["GOOGLE"]
    assert balance_minor(runtime, account.id) == START - total + 1300 + 2 * 600
    assert sandbox_calls(runtime, "register", bad) == ["terminal"]
    assert sandbox_calls(runtime, "create_mailbox", f"bob@{bad}") == []


def test_fail_mailbox_fails_only_that_mailbox(api_with_owner, account, runtime):
    domain = f"{unique('pp')}.com"
    order_id = order(api_with_owner, [domain], [f"fail-x@{domain}", f"gilfoyle@{domain}"], provider="MAILDOSO")
    body = settled(api_with_owner, order_id)

    assert body["status"] == "partially_completed"
    by_name = items(body)
    assert by_name[domain]["status"] == "ready"
    assert by_name[f"gilfoyle@{domain}"]["status"] == "live"
    assert by_name[f"fail-x@{domain}"]["status"] == "failed"
    assert "mailbox host refused" in by_name[f"fail-x@{domain}"]["failure_reason"]
    (refund,) = refunds(runtime, account.id)
    assert refund.amount_minor == MAILBOX_PRICE["MAILDOSO"] and f"fail-x@{domain}" in refund.description
    assert refund.mailbox_id is not None and refund.domain_id is None
    assert balance_minor(runtime, account.id) == START - 1300 - 2 * 400 + 400
    # Woodpecker-style view of the same mailboxes
    listed = {m["email"]: m["status"] for m in api_with_owner.get(f"/rest/v2/domains/{domain}/mailboxes").json()["mailboxes"]}
    assert listed == {f"fail-x@{domain}": "FAILED", f"gilfoyle@{domain}": "PAID"}


def test_flaky_domain_and_mailbox_fail_twice_then_succeed(api_with_owner, account, runtime):
    domain = f"flaky-{unique()}.com"
    email = f"flaky-dinesh@{domain}"
    body = settled(api_with_owner, order(api_with_owner, [domain], [email]))

    assert body["status"] == "completed"
    assert sandbox_calls(runtime, "register", domain) == ["retriable", "retriable", "ok"]
    assert sandbox_calls(runtime, "create_mailbox", email) == ["retriable", "retriable", "ok"]
    assert refunds(runtime, account.id) == []
    assert balance_minor(runtime, account.id) == START - 1300 - 600


def test_everything_failing_fails_the_order_and_refunds_it_all(api_with_owner, account, runtime):
    domain = f"fail-register-{unique()}.com"
    body = settled(api_with_owner, order(api_with_owner, [domain], [f"a@{domain}"]))
    assert body["status"] == "failed"
    assert {i["status"] for i in body["domains"] + body["mailboxes"]} == {"failed"}
    assert balance_minor(runtime, account.id) == START


def test_action_domain_parks_until_retried_then_completes(api_with_owner, account, runtime):
    domain = f"action-{unique()}.com"
    order_id = order(api_with_owner, [domain], [f"jared@{domain}"])
    body = settled(api_with_owner, order_id)

    assert body["status"] == "needs_action"
    by_name = items(body)
    assert by_name[domain]["status"] == "needs_action"
    # What waits, for whom, what to do, and how to go on: never a "refusal".
    assert by_name[domain]["failure_reason"] == (
        f"The registration waits for a person's action at the registrar: verify {domain} there by hand "
        "(sandbox test value `action-`: there is nothing to verify, retrying is enough). "
        "Once that is done, retry the order."
    )
    assert by_name[f"jared@{domain}"]["status"] == "ordered"
    assert body["completed"] is None
    assert refunds(runtime, account.id) == []
    assert balance_minor(runtime, account.id) == START - 1300 - 600
    listed = api_with_owner.get(f"/rest/v2/domains/{domain}/mailboxes").json()["mailboxes"]
    assert [m["status"] for m in listed] == ["ORDERED"]
    detail = api_with_owner.get(f"/rest/v2/domains/{domain}")
    assert detail.status_code == 200, detail.text
    assert detail.json()["status"] == "needs_action" and detail.json()["is_ready"] is False

    response = api_with_owner.post(f"/rest/v2/domains/orders/{order_id}/retry")
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "processing"
    assert items(response.json())[domain] == {"name": domain, "status": "ordered", "failure_reason": None}

    body = settled(api_with_owner, order_id)
    assert body["status"] == "completed"
    assert sandbox_calls(runtime, "register", domain) == ["needs_action", "ok"]
    assert balance_minor(runtime, account.id) == START - 1300 - 600

    again = api_with_owner.post(f"/rest/v2/domains/orders/{order_id}/retry")
    assert again.status_code == 422
    assert "needs_action" in again.text


def test_action_mailbox_parks_alone_and_the_operator_resumes_it(api_with_owner, account, runtime, cli):
    domain = f"{unique('pp')}.com"
    parked, fine = f"action-erlich@{domain}", f"monica@{domain}"
    order_id = order(api_with_owner, [domain], [parked, fine])
    body = settled(api_with_owner, order_id)

    assert body["status"] == "needs_action"
    by_name = items(body)
    assert by_name[domain]["status"] == "ready"
    assert by_name[fine]["status"] == "live"
    assert by_name[parked]["status"] == "needs_action"

    waiting = cli.json("orders", "list", "--account", account.id, "--status", "needs_action")
    assert [o["order_id"] for o in waiting["orders"]] == [order_id]
    shown = cli.json("orders", "show", order_id)
    assert shown["status"] == "needs_action" and shown["account_id"] == account.id
    assert items(shown)[parked]["failure_reason"] == (
        f"Creating the mailbox waits for a person's action at the mailbox host: verify {parked} there by hand "
        "(sandbox test value `action-`: there is nothing to verify, retrying is enough). "
        "Once that is done, retry the order."
    )

    resumed = cli.json("orders", "retry", order_id)
    assert resumed["status"] == "processing" and resumed["retries"] == 1
    body = settled(api_with_owner, order_id)
    assert body["status"] == "completed"
    assert sandbox_calls(runtime, "create_mailbox", parked) == ["needs_action", "ok"]
    assert sandbox_calls(runtime, "create_mailbox", fine) == ["ok"]
    assert refunds(runtime, account.id) == []

    again = cli("orders", "retry", order_id)
    assert again.returncode == 1 and "needs_action" in again.stderr and "completed" in again.stderr


def test_retry_of_an_unknown_order_is_404(api_with_owner):
    assert api_with_owner.post("/rest/v2/domains/orders/nope/retry").status_code == 404
