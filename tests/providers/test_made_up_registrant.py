"""Made-up data stays with the sandbox: a domain ordered with the sandbox's registrant contact
while the sandbox registrar ran is refused, not registered, once a real registrar is configured.
In process, with a stand-in for a real registrar's adapter that records what it is asked."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import httpx
import sqlalchemy as sa

from mailwright import clock
from mailwright.domains.models import Domain, DomainStatus
from mailwright.owners.service import SANDBOX_REGISTRANT
from mailwright.providers.base import Contact, Registration
from mailwright.provisioning import steps
from mailwright.runtime import Runtime
from tests.conftest import OWNER, unique, wait_for_order


class OutsideRegistrar:
    """Stands in for a real registrar's adapter: registers whatever it is asked, and remembers it."""

    def __init__(self) -> None:
        self.registered: list[tuple[str, Contact]] = []

    def register(self, domain: str, years: int, contact: Contact, idempotency_key: str) -> Registration:
        self.registered.append((domain, contact))
        return Registration(domain, "OUT-1", clock.now() + dt.timedelta(days=365 * years))


def test_the_sandbox_registrant_never_reaches_a_real_registrar(api_with_owner: httpx.Client, runtime: Runtime) -> None:
    # Parked at registration (sandbox value `action-`), as if the registrar had changed meanwhile.
    domain = f"action-{unique('madeup')}.com"
    mailbox = {"first_name": "Richard", "last_name": "Hendricks", "email": f"richard@{domain}"}
    response = api_with_owner.post("/rest/v2/domains/order", json={"provider": "MAILDOSO", "domains": [domain], "mailboxes": [mailbox]})
    assert response.status_code == 202, response.text
    assert wait_for_order(api_with_owner, response.json()["order_id"])["status"] == "needs_action"
    with runtime.db.write() as session:
        row = session.scalar(sa.select(Domain).where(Domain.name == domain))
        assert row is not None and row.status == DomainStatus.NEEDS_ACTION
        domain_id = row.id
        row.status, row.owner_snapshot = DomainStatus.ORDERED, json.dumps(SANDBOX_REGISTRANT)

    sandbox = runtime.providers
    outside = OutsideRegistrar()
    runtime.providers = dataclasses.replace(sandbox, registrar=outside, registrar_name="outside")  # type: ignore[arg-type]
    try:
        assert not runtime.providers.registrar_is_sandbox
        refused = steps.register_domain(domain_id)
        assert refused == {
            "result": "failed",
            "reason": f"The registrar refused the registration: {domain} was ordered with the sandbox's made-up "
            "registrant contact, which is never sent to a real registrar",
        }
        assert outside.registered == []
        # A real contact goes through.
        with runtime.db.write() as session:
            session.execute(sa.update(Domain).where(Domain.id == domain_id).values(owner_snapshot=json.dumps(OWNER)))
        assert steps.register_domain(domain_id) == {"result": "ok"}
        assert [(name, contact.email) for name, contact in outside.registered] == [(domain, OWNER["email"])]
    finally:
        runtime.providers = sandbox
        with runtime.db.write() as session:
            session.execute(sa.update(Domain).where(Domain.id == domain_id).values(status=DomainStatus.FAILED, name_claim=None))
