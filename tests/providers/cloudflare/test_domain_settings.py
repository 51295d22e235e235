"""A domain's settings on a DNS host that refuses redirects (Cloudflare with a DNS token): the
mail forwarding is applied all the same, and the redirect waits for a person with the steps."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from mailwright.domains.models import Domain, DomainStatus
from mailwright.providers.cloudflare import CloudflareDnsHost
from mailwright.providers.sandbox.models import SandboxDomain
from mailwright.provisioning import steps
from mailwright.runtime import Runtime
from tests.api.bodies import mailbox, order_domains
from tests.conftest import unique, wait_for_order
from tests.providers.cloudflare.emulator import CloudflareEmulator


@pytest.fixture(scope="module")
def cf() -> Iterator[CloudflareEmulator]:
    emulator = CloudflareEmulator().start()
    yield emulator
    emulator.stop()


def test_a_refused_redirect_does_not_hold_back_the_mail_forwarding(api_with_owner: httpx.Client, runtime: Runtime, cf: CloudflareEmulator) -> None:
    name = f"{unique('cfset')}.com"
    order = order_domains(api_with_owner, [name], [mailbox(f"m0@{name}")])
    assert order.status_code == 202, order.text
    assert wait_for_order(api_with_owner, order.json()["order_id"])["status"] == "completed"
    with runtime.db.write() as session:
        domain = session.scalars(sa.select(Domain).where(Domain.name == name)).one()
        assert domain.status == DomainStatus.READY
        domain.domain_redirect_url = "https://www.example.org/"
        domain.email_forward_address = "founders@example.org"
        domain.settings_version = domain.settings_applied_version + 1
        domain_id = domain.id
    sandbox = runtime.providers
    host = CloudflareDnsHost(cf.add_token(), cf.account_id, cf.base_url, timeout=2.0)
    runtime.providers = dataclasses.replace(sandbox, dns_host=host)
    try:
        outcome = steps.apply_domain_settings(domain_id)
    finally:
        runtime.providers = sandbox
        host.close()
    assert outcome["result"] == steps.NEEDS_ACTION
    assert "Redirect Rules" in outcome["reason"] and name in outcome["reason"]
    with runtime.db.read() as session:
        assert session.get(SandboxDomain, name).forward_to == "founders@example.org"
        domain = session.get(Domain, domain_id)
        assert domain.settings_applied_version < domain.settings_version  # the redirect is still to do
    assert cf.calls == []  # refused without a call: the token could not have done it
