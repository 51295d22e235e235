"""Renewals on request (what the reseller face's renew endpoints call), and a registrar that
refuses a renewal already paid for: undone and refunded exactly once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mailwright.billing import renew_now
from mailwright.domains.models import Domain
from mailwright.events.models import Event
from mailwright.users import service as users
from mailwright.errors import NotFound
from mailwright.providers.sandbox.models import SandboxCall, SandboxDomain
from mailwright.wallet.service import InsufficientFunds
from tests.billing.conftest import utc
from tests.billing.story import Story
from tests.conftest import OWNER, client_for, unique, wait_until


def _setup(runtime, server, make_account, credit: str):
    account = make_account(credit=credit)
    domain = f"{unique('now')}.org"
    api = client_for(server, account)
    story = Story(runtime, api, account.id)
    story.at(utc(2034, 6, 1, 12))
    assert api.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
    story.order("/rest/v2/domains/order", {
        "provider": "MAILDOSO", "domains": [domain],
        "mailboxes": [{"first_name": "Nelson", "last_name": "Bighetti", "email": f"nelson@{domain}"}],
    })
    story.new_entries()
    story.new_events()
    with runtime.db.read() as session:
        domain_id = session.scalar(sa.select(Domain.id).where(Domain.name == domain))
    return account, api, story, domain, domain_id


def test_a_subscription_renewed_now_is_paid_a_month_ahead_and_refused_without_funds(runtime, server, make_account, moving_clock):
    account, api, story, domain, _ = _setup(runtime, server, make_account, credit="24.00")  # 12.00 + 4.00, then 8.00
    sub_id = story.subscriptions()[domain]["subscription_id"]
    with runtime.db.write() as session:  # the domain belongs to one of the reseller's customers
        user = users.create_user(session, account.id, {"email": f"{unique('u')}@example.com", "first_name": "Ed", "last_name": "Chen"})
        user_id = user.id
        session.execute(sa.update(Domain).where(Domain.name == domain).values(user_id=user_id))
    story.at(utc(2034, 6, 10, 12))
    assert renew_now.renew_subscription_now(runtime, account.id, sub_id) == utc(2034, 8, 1, 12)
    assert renew_now.renew_subscription_now(runtime, account.id, sub_id) == utc(2034, 9, 1, 12)
    assert [a for a, _ in story.new_entries()] == ["-4.00", "-4.00"]
    with pytest.raises(InsufficientFunds):
        renew_now.renew_subscription_now(runtime, account.id, sub_id)
    assert story.new_entries() == [] and story.balance() == "0.00"
    assert story.subscriptions()[domain]["period_end"] == "2034-09-01T12:00:00Z"
    assert [k for k, _ in story.new_events()] == ["subscription.renewal.success"] * 2
    with runtime.db.read() as session:
        owners = set(session.scalars(sa.select(Event.user_id).where(Event.account_id == account.id, Event.type.like("subscription.%"))))
    assert owners == {user_id}  # the events go to that customer
    api.close()


def test_a_renewal_the_registrar_refuses_is_undone_and_refunded_once(runtime, server, make_account, moving_clock):
    account, api, story, domain, domain_id = _setup(runtime, server, make_account, credit="40.00")  # 12.00 + 4.00
    # Renewed elsewhere meanwhile: the registrar's expiry is no longer the one Mailwright expects.
    with runtime.db.write() as session:
        session.get(SandboxDomain, domain).expires_at = utc(2036, 6, 1, 12)
    story.at(utc(2034, 6, 2, 12))
    assert renew_now.renew_domain_now(runtime, account.id, domain_id) == utc(2036, 6, 1, 12)
    wait_until(lambda: story.balance() == "24.00", timeout=60)  # 40.00 - 16.00, - 12.00 + 12.00
    assert story.new_entries() == [
        ("-12.00", f"Domain {domain}: renewal for 1 year, expiry 2035-06-01T12:00:00Z to 2036-06-01T12:00:00Z"),
        ("12.00", f"Refund: renewal of {domain} refused by the registrar"),
    ]
    with runtime.db.read() as session:
        assert session.get(Domain, domain_id).expires_at == utc(2035, 6, 1, 12)
    events = story.new_events()
    assert [k for k, _ in events] == ["domain.renewal.success", "domain.renewal.failed"]
    assert events[1][1]["refunded"] is True and "not at 2035-06-01T12:00:00Z as expected" in events[1][1]["reason"]
    with pytest.raises(NotFound):
        renew_now.renew_domain_now(runtime, make_account().id, domain_id)  # another account's domain
    api.close()


def test_a_renewal_waits_for_an_earlier_one_still_on_its_way_to_the_registrar(runtime, server, make_account, moving_clock):
    account, api, story, domain, domain_id = _setup(runtime, server, make_account, credit="40.00")  # 12.00 + 4.00
    # The registrar still shows the expiry before an earlier paid renewal (2034), not the one this
    # renewal was paid from (2035): that earlier renewal has not arrived yet.
    with runtime.db.write() as session:
        session.get(SandboxDomain, domain).expires_at = utc(2034, 6, 1, 12)
    story.at(utc(2034, 6, 2, 12))
    assert renew_now.renew_domain_now(runtime, account.id, domain_id) == utc(2036, 6, 1, 12)
    workflow_id = f"billing-renew-{domain_id}-2035-06-01T12:00:00Z"
    # It asked the registrar, saw the earlier expiry and went to sleep until it may ask again.
    wait_until(lambda: any("sleep" in step["function_name"].lower() for step in _steps(runtime, workflow_id)), timeout=60)
    assert _registrar_calls(runtime, domain, "renew") == 0  # nothing sent out of order
    with runtime.db.write() as session:  # the earlier renewal arrives
        session.get(SandboxDomain, domain).expires_at = utc(2035, 6, 1, 12)
    wait_until(lambda: _registrar_calls(runtime, domain, "renew") == 1, timeout=60)
    with runtime.db.read() as session:
        assert session.get(SandboxDomain, domain).expires_at == utc(2036, 6, 1, 12)
        assert session.get(Domain, domain_id).expires_at == utc(2036, 6, 1, 12)
    assert story.balance() == "12.00"  # 40.00 - 16.00 - 12.00: charged once, nothing refunded
    assert [k for k, _ in story.new_events()] == ["domain.renewal.success"]
    api.close()


def _registrar_calls(runtime, domain, operation):
    with runtime.db.read() as session:
        return session.scalar(
            sa.select(sa.func.count()).select_from(SandboxCall).where(SandboxCall.subject == domain, SandboxCall.operation == operation)
        )


def _steps(runtime, workflow_id):
    return runtime.workflow_client.list_workflow_steps(workflow_id)


def test_an_expiry_with_a_fraction_of_a_second_renews_at_the_registrar(runtime, server, make_account, moving_clock):
    account, api, story, domain, domain_id = _setup(runtime, server, make_account, credit="40.00")  # 12.00 + 4.00
    exact = utc(2035, 6, 1, 12).replace(microsecond=123456)  # as registrars and clocks give them
    with runtime.db.write() as session:
        session.get(SandboxDomain, domain).expires_at = exact
        session.get(Domain, domain_id).expires_at = exact
    story.at(utc(2034, 6, 2, 12))
    renew_now.renew_domain_now(runtime, account.id, domain_id)
    wait_until(lambda: _registrar_calls(runtime, domain, "renew") == 1, timeout=60)
    with runtime.db.read() as session:
        assert session.get(SandboxDomain, domain).expires_at == exact.replace(year=2036)
    assert story.balance() == "12.00"  # charged once, not refunded
    api.close()
