"""The Woodpecker-style billing extensions over HTTP: cancel, remove, toggles, and their errors."""

from __future__ import annotations

import sqlalchemy as sa

from mailwright.providers.sandbox.models import SandboxCall, SandboxMailbox
from tests.conftest import unique, wait_for_order, wait_until


def _order(api, provider: str, locals_: list[str]) -> str:
    domain = f"{unique('bill')}.com"
    response = api.post(
        "/rest/v2/domains/order",
        json={
            "provider": provider,
            "domains": [domain],
            "mailboxes": [{"first_name": n.title(), "last_name": "Gilfoyle", "email": f"{n}@{domain}"} for n in locals_],
        },
    )
    assert response.status_code == 202, response.text
    assert wait_for_order(api, response.json()["order_id"])["status"] == "completed"
    return domain


def _subscription(api, domain: str) -> dict:
    return next(s for s in api.get("/rest/v2/subscriptions").json()["subscriptions"] if s["domain"] == domain)


def _at_host(runtime, domain: str) -> list[str]:
    with runtime.db.read() as session:
        return sorted(session.scalars(sa.select(SandboxMailbox.email).where(SandboxMailbox.email.like(f"%@{domain}"))))


def _workspace_deleted(runtime, domain: str) -> bool:
    with runtime.db.read() as session:
        return session.scalar(
            sa.select(sa.func.count()).select_from(SandboxCall).where(
                SandboxCall.operation == "delete_workspace", SandboxCall.subject == domain
            )
        ) == 1


def test_cancel_immediately_deletes_the_workspace_and_refunds_nothing(api_with_owner, runtime):
    api = api_with_owner
    domain = _order(api, "MICROSOFT", ["dinesh", "gilfoyle"])
    sub = _subscription(api, domain)
    balance = api.get("/rest/v2/wallet").json()["balance"]

    response = api.post(f"/rest/v2/subscriptions/{sub['subscription_id']}/cancel", json={"immediately": True})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["end_reason"], body["quantity"], body["next_charge"]) == ("CANCELLED", "cancelled", 0, None)
    assert body["ended"] is not None
    assert api.get("/rest/v2/wallet").json()["balance"] == balance
    wait_until(lambda: _at_host(runtime, domain) == [] and _workspace_deleted(runtime, domain))
    mailboxes = api.get(f"/rest/v2/domains/{domain}/mailboxes").json()["mailboxes"]
    assert [m["status"] for m in mailboxes] == ["DELETED", "DELETED"]
    assert api.get(f"/rest/v2/domains/{domain}").json()["mailboxes_count"] == 0

    again = api.post(f"/rest/v2/subscriptions/{sub['subscription_id']}/cancel", json={})
    assert again.status_code == 422
    assert again.json()["code"] == "subscription_ended"
    toggled = api.patch(f"/rest/v2/subscriptions/{sub['subscription_id']}/auto_renew", json={"auto_renew": True})
    assert toggled.status_code == 422 and toggled.json()["fields"][0]["field"] == "auto_renew"


def test_removing_the_last_mailbox_ends_the_subscription(api_with_owner, runtime):
    api = api_with_owner
    domain = _order(api, "MAILFORGE", ["richard", "jared"])
    sub = _subscription(api, domain)
    first = api.delete(f"/rest/v2/domains/{domain}/mailboxes/richard%40{domain}").json()["subscription"]
    assert (first["status"], first["quantity"], first["next_charge"]) == ("ACTIVE", 1, {"amount": "4.00", "currency": "USD"})
    wait_until(lambda: _at_host(runtime, domain) == [f"jared@{domain}"])
    last = api.delete(f"/rest/v2/domains/{domain}/mailboxes/jared%40{domain}").json()["subscription"]
    assert (last["subscription_id"], last["status"], last["end_reason"]) == (sub["subscription_id"], "CANCELLED", "last_mailbox_removed")
    wait_until(lambda: _at_host(runtime, domain) == [] and _workspace_deleted(runtime, domain))
    gone = api.delete(f"/rest/v2/domains/{domain}/mailboxes/jared%40{domain}")
    assert gone.status_code == 422 and gone.json()["code"] == "mailbox_not_removable"
    assert gone.json()["fields"] == [{"field": "mailbox_email", "issue": "The mailbox cannot be removed: it is deleted", "value": f"jared@{domain}"}]


def test_removing_a_domain_ends_its_subscription_and_frees_the_name(api_with_owner, runtime):
    api = api_with_owner
    domain = _order(api, "GOOGLE", ["monica"])
    removed = api.delete(f"/rest/v2/domains/{domain}")
    assert removed.status_code == 200, removed.text
    assert (removed.json()["subscription"]["status"], removed.json()["subscription"]["end_reason"]) == ("CANCELLED", "domain_removed")
    renewal = api.get(f"/rest/v2/domains/{domain}/renewal").json()
    assert (renewal["status"], renewal["auto_renew"], renewal["renews_at"], renewal["renewal_price"]) == ("RELEASED", False, None, None)
    wait_until(lambda: _workspace_deleted(runtime, domain))
    detail = api.get(f"/rest/v2/domains/{domain}")
    assert detail.status_code == 200 and detail.json()["status"] == "released"
    assert api.get("/rest/v2/domains").status_code == 200
    assert [m["status"] for m in api.get(f"/rest/v2/domains/{domain}/mailboxes").json()["mailboxes"]] == ["DELETED"]
    again = api.delete(f"/rest/v2/domains/{domain}")
    assert again.status_code == 422 and again.json()["code"] == "domain_not_removable"
    toggle = api.patch(f"/rest/v2/domains/{domain}/auto_renew", json={"auto_renew": True})
    assert toggle.status_code == 422 and toggle.json()["code"] == "domain_not_held"
    # Field values are shown as strings (or null), as the 422 body documents them: true as "true".
    assert toggle.json()["fields"] == [{"field": "auto_renew", "issue": "Auto-renew cannot change on a released domain", "value": "true"}]


def test_bad_input_names_every_field_and_unknown_ids_are_404(api_with_owner):
    api = api_with_owner
    domain = _order(api, "GOOGLE", ["russ"])
    sub_id = _subscription(api, domain)["subscription_id"]
    bad = api.patch(f"/rest/v2/subscriptions/{sub_id}/auto_renew", json={"auto_renew": "yes"})
    assert bad.status_code == 422
    assert bad.json()["fields"] == [{"field": "auto_renew", "issue": "Must be true or false", "value": "yes"}]
    missing = api.patch(f"/rest/v2/domains/{domain}/auto_renew", json={})
    assert missing.json()["fields"] == [{"field": "auto_renew", "issue": "Field is required", "value": None}]
    assert api.post(f"/rest/v2/subscriptions/{sub_id}/cancel", json={"immediately": 1}).json()["fields"][0]["field"] == "immediately"
    not_json = api.post(f"/rest/v2/subscriptions/{sub_id}/cancel", content=b"{", headers={"content-type": "application/json"})
    assert not_json.status_code == 400
    for response in (
        api.get("/rest/v2/subscriptions/06HNOTASUBSCRIPTION000000000"),
        api.get("/rest/v2/subscriptions/06HNOTASUBSCRIPTION000000000/renewal_quote"),
        api.post("/rest/v2/subscriptions/06HNOTASUBSCRIPTION000000000/cancel", json={}),
        api.get(f"/rest/v2/domains/{unique('nope')}.com/renewal"),
        api.delete(f"/rest/v2/domains/{domain}/mailboxes/nobody%40{domain}"),
    ):
        assert response.status_code == 404, response.text
        assert set(response.json()) == {"title", "status", "details", "timestamp", "request_id"}
    off = api.patch(f"/rest/v2/subscriptions/{sub_id}/auto_renew", json={"auto_renew": False}).json()
    assert (off["auto_renew"], off["next_charge"]) == (False, None)
    quote = api.get(f"/rest/v2/subscriptions/{sub_id}/renewal_quote").json()
    assert (quote["will_renew"], quote["total"]) == (False, {"amount": "6.00", "currency": "USD"})


def test_openapi_documents_the_billing_extensions(anon):
    schema = anon.get("/openapi.json").json()
    paths = schema["paths"]
    for path, method in (
        ("/rest/v2/wallet", "get"),
        ("/rest/v2/subscriptions", "get"),
        ("/rest/v2/subscriptions/{subscription_id}/renewal_quote", "get"),
        ("/rest/v2/subscriptions/{subscription_id}/auto_renew", "patch"),
        ("/rest/v2/subscriptions/{subscription_id}/cancel", "post"),
        ("/rest/v2/domains/{domain_name}/renewal", "get"),
        ("/rest/v2/domains/{domain_name}/auto_renew", "patch"),
        ("/rest/v2/domains/{domain_name}/mailboxes/{mailbox_email}", "delete"),
        ("/rest/v2/domains/{domain_name}", "delete"),
    ):
        operation = paths[path][method]
        assert {"401", "422"} <= set(operation["responses"]), path
    assert "AutoRenewRequest" in schema["components"]["schemas"]
    assert "CancelRequest" in schema["components"]["schemas"]
