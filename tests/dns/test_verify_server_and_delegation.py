"""Readiness beside real DNS hosts: MAILWRIGHT_DNS_VERIFY_SERVER sends every readiness query to one
server instead of the zone's authorities; when the registrar is not the DNS host, readiness waits
for the delegation to the DNS host's nameservers (here: the sandbox registrar and a real BIND
over RFC 2136), parks the domain when it never comes; the RFC 2136 account check against BIND;
and one `serve` with RFC 2136 from start (the loud sandbox warning) to a ready domain."""

from __future__ import annotations

import base64
import dataclasses
import re
import secrets
import threading
import time
from collections.abc import Iterator
from typing import Any

import dns.name
import httpx
import pytest
import sqlalchemy as sa

from mailwright.dns import service as dns_service
from mailwright.dns.models import DnsRecord
from mailwright.dns.verify import check_records, delegated_nameservers, observe_delegation, served_soa, verify_dns
from mailwright.dns.zone import build_zone
from mailwright.domains.models import Domain, DomainStatus
from mailwright.providers.base import NeedsActionError, RecordSpec
from mailwright.providers.registry import Providers
from mailwright.providers.sandbox import SANDBOX_NAMESERVERS
from mailwright.providers.sandbox.dns_server import SandboxDnsServer
from mailwright.runtime import Runtime
from tests.conftest import OWNER, unique, wait_until
from tests.support.bind import Bind, running_bind
from tests.support.postgres import free_port
from tests.support.serve import ServeProcess, serve_env


@pytest.fixture(scope="module")
def bind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bind]:
    # A .com zone: the sandbox registrar sells it, so it can be ordered.
    with running_bind(tmp_path_factory.mktemp("bind"), unique("deleg") + ".com") as server:
        yield server


def ordered(api: httpx.Client, domain: str) -> None:
    """Orders `domain` and waits until it is ready."""
    response = api.post(
        "/rest/v2/domains/order",
        json={
            "provider": "MAILDOSO",
            "domains": [domain],
            "mailboxes": [{"first_name": "Richard", "last_name": "Hendricks", "email": f"richard@{domain}"}],
        },
    )
    assert response.status_code == 202, response.text
    order_id = response.json()["order_id"]
    body = wait_until(lambda: (b := api.get(f"/rest/v2/domains/orders/{order_id}").json())["status"] != "processing" and b)
    assert body["status"] == "completed", body


def ordered_id(api: httpx.Client, runtime: Runtime, domain: str) -> str:
    """Orders `domain` on the session's server (sandbox registrar and DNS host); its id once ready."""
    ordered(api, domain)
    with runtime.db.read() as session:
        domain_id = session.scalar(sa.select(Domain.id).where(Domain.name == domain))
    assert domain_id is not None
    return domain_id


def with_settings(runtime: Runtime, **changes: Any) -> Runtime:
    return dataclasses.replace(runtime, settings=runtime.settings.model_copy(update=changes))


def records_by_purpose(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["purpose"]: r for r in records}


def test_readiness_queries_follow_the_verify_server(api_with_owner: httpx.Client, runtime: Runtime) -> None:
    domain = unique("verifysrv") + ".com"
    domain_id = ordered_id(api_with_owner, runtime, domain)
    with runtime.db.read() as session:
        specs = [dns_service.spec_of(r) for r in dns_service.records_of(session, domain_id)]
    # Another server, on another port, serving the zone as a split-horizon view would: DMARC differs.
    other_specs = [RecordSpec(s.type, s.name, "v=DMARC1; p=reject", s.ttl) if s.name == "_dmarc" else s for s in specs]
    origin = dns.name.from_text(domain)
    view = build_zone(domain, other_specs, SANDBOX_NAMESERVERS, 777)
    other = SandboxDnsServer(lambda qname: view if qname.is_subdomain(origin) else None)
    other.start()
    try:
        elsewhere = with_settings(runtime, dns_verify_server=f"127.0.0.1:{other.port}")
        seen = records_by_purpose(check_records(elsewhere, domain_id, domain))
        assert seen["dmarc"]["valid"] is False and seen["dmarc"]["observed_value"] == "v=DMARC1; p=reject"
        assert all(r["valid"] for purpose, r in seen.items() if purpose != "dmarc")
        soa = served_soa(elsewhere, domain)
        assert soa is not None and soa[0].serial == 777  # type: ignore[attr-defined]

        nothing = with_settings(runtime, dns_verify_server=f"127.0.0.1:{free_port()}", dns_query_timeout_seconds=0.3)
        assert [r["observed_value"] for r in check_records(nothing, domain_id, domain)] == [None] * len(specs)
    finally:
        other.stop()
        # Empty: the zone's authoritative servers again (the sandbox DNS server), all served.
        assert all(r["valid"] for r in check_records(runtime, domain_id, domain))
    assert served_soa(runtime, domain)[0].serial != 777  # type: ignore[index,attr-defined]


def test_readiness_waits_for_the_delegation_to_the_dns_host(api_with_owner: httpx.Client, runtime: Runtime, bind: Bind) -> None:
    # The sandbox registrar holds the domain, delegated to the sandbox's nameservers; BIND hosts
    # its zone and serves its records: readiness must wait until the registrar delegates to BIND.
    domain_id = ordered_id(api_with_owner, runtime, bind.zone)
    with runtime.db.read() as session:
        bind.host().replace_records(bind.zone, [dns_service.spec_of(r) for r in dns_service.records_of(session, domain_id)])
    with runtime.db.write() as session:
        session.execute(sa.update(Domain).where(Domain.id == domain_id).values(status=DomainStatus.DNS_CONFIGURED))
    sandbox = runtime.providers
    mixed = with_settings(runtime, dns_verify_attempts=2, dns_verify_retry_seconds=0.05)
    mixed.providers = Providers(sandbox.registrar, bind.host(), sandbox.mailbox_hosts, registrar_name="sandbox", dns_host_name="rfc2136")
    try:
        before = observe_delegation(mixed, bind.zone)
        assert before is not None and not before.ok
        assert before.view() == {
            "expected": [bind.nameserver.rstrip(".")],
            "observed": sorted(SANDBOX_NAMESERVERS),
            "source": "the sandbox registrar",
            "valid": False,
        }
        # Never delegated within the checks: parked for a person, saying what to look at.
        verdict = verify_dns(domain_id, mixed)
        assert verdict["ok"] is False and verdict["needs_action"] is True
        assert verdict["reason"].startswith(
            f"{bind.zone} is not delegated to the DNS host's nameservers ({bind.nameserver.rstrip('.')}) after 2 checks: "
            f"the sandbox registrar answers {', '.join(sorted(SANDBOX_NAMESERVERS))}."
        )
        # Delegated while readiness waits: ready as soon as it is seen.
        waiting = with_settings(mixed, dns_verify_attempts=30, dns_verify_retry_seconds=0.1, dns_verify_max_wait_seconds=0.1)
        threading.Timer(0.5, sandbox.registrar.set_nameservers, (bind.zone, (bind.nameserver,))).start()
        began = time.monotonic()
        assert verify_dns(domain_id, waiting) == {"ok": True}
        assert time.monotonic() - began >= 0.5
        assert observe_delegation(mixed, bind.zone).view()["valid"] is True  # type: ignore[union-attr]
    finally:
        with runtime.db.write() as session:
            session.execute(sa.update(Domain).where(Domain.id == domain_id).values(status=DomainStatus.READY))
    with runtime.db.read() as session:
        assert all(r.valid for r in session.scalars(sa.select(DnsRecord).where(DnsRecord.domain_id == domain_id)))


def test_a_parents_referral_is_read_as_the_delegation(bind: Bind) -> None:
    # BIND as a parent zone: a delegated child is answered with a referral (authority section).
    host = bind.host()
    host.replace_records(bind.zone, [RecordSpec("NS", "child", "ns1.dns-host.example."), RecordSpec("NS", "child", "NS2.dns-host.example.")])
    at_bind = (("127.0.0.1", bind.port),)
    assert delegated_nameservers(at_bind, f"child.{bind.zone}", 2.0, recursive=False) == ("ns1.dns-host.example", "ns2.dns-host.example")
    assert delegated_nameservers(at_bind, f"nowhere.{bind.zone}", 2.0, recursive=False) == ()
    assert delegated_nameservers(at_bind, bind.zone, 2.0, recursive=True) == (bind.nameserver.rstrip("."),)
    assert delegated_nameservers((("127.0.0.1", free_port()),), bind.zone, 0.3, recursive=False) is None


def test_the_rfc2136_account_check_proves_the_tsig_key(bind: Bind) -> None:
    assert bind.host().probe() == f"127.0.0.1:{bind.port} answers DNS and accepts the TSIG key mailwright-key"
    assert bind.host(key_name="").probe() == f"127.0.0.1:{bind.port} answers DNS; no TSIG key is set, so updates go unsigned"
    wrong = base64.b64encode(secrets.token_bytes(32)).decode()
    with pytest.raises(NeedsActionError, match="TSIG"):
        bind.host(secret=wrong).probe()
    with pytest.raises(NeedsActionError, match="TSIG"):
        bind.host(key_name="someone-else").probe()


KEY_LINE = re.compile(r"Its API key, shown only this once: (\S+)")


def test_serve_with_rfc2136_warns_of_the_sandbox_and_readies_a_domain_on_bind(database_factory, tmp_path, bind: Bind) -> None:
    # A domain of its own in BIND's zone would need a zone per domain; the zone itself is the
    # domain here, so it is ordered on a database where the sandbox registrar has never seen it.
    host = bind.host()
    for name, rtype in (("@", "MX"), ("@", "TXT"), ("_dmarc", "TXT"), ("mw1._domainkey", "TXT")):
        host.remove_records(bind.zone, name, rtype)  # whatever the tests before published
    env = serve_env(database_factory(unique("rfcserve")), tmp_path / "data", **bind.settings())
    serve = ServeProcess(env, cwd=tmp_path).start().wait_ready()
    try:
        text = wait_until(lambda: KEY_LINE.search(serve.text) and serve.text, timeout=30)
        warning = text[text.index("WARNING: a real provider") : text.index("(`mailwright providers check`).")]
        assert warning.startswith("WARNING: a real provider is configured (MAILWRIGHT_REGISTRAR=sandbox,\nMAILWRIGHT_DNS_HOST=rfc2136)")
        assert "  - registrar: domains are NOT registered anywhere (MAILWRIGHT_REGISTRAR)\n" in warning
        for provider in ("MAILDOSO", "MAILFORGE", "GOOGLE", "MICROSOFT"):
            assert f"  - mailbox host {provider}: mailboxes are NOT created anywhere (MAILWRIGHT_MAILBOX_HOSTS)\n" in warning
        assert "DNS host" not in warning and "Sandbox DNS answers" not in text
        http = httpx.Client(base_url=serve.base_url, headers={"x-api-key": KEY_LINE.search(text).group(1)}, timeout=60)  # type: ignore[union-attr]
        assert http.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
        ordered(http, bind.zone)
        checked = http.get(f"/rest/v2/domains/{bind.zone}/dns").json()
        assert checked["all_valid"] is True and checked["nameservers"] == [bind.nameserver]
        assert checked["delegation"] == {
            "expected": [bind.nameserver.rstrip(".")],
            "observed": [bind.nameserver.rstrip(".")],
            "source": "the sandbox registrar",
            "valid": True,
        }
    finally:
        serve.stop()
