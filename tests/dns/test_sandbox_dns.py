"""DNS for sending, end to end in sandbox mode: an ordered domain's records are published, served
by the sandbox DNS server over real UDP/TCP on loopback, verified before the domain is ready,
and shown by GET /rest/v2/domains/{domain}/dns."""

from __future__ import annotations

import subprocess
from typing import Any

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import httpx
import pytest
import sqlalchemy as sa

from mailwright.cli import sandbox_dns_lines
from mailwright.dns.checks import dkim_problems, dmarc_problems, spf_problems
from mailwright.dns.models import DnsRecord
from mailwright.dns.zone import build_zone
from mailwright.domains.models import Domain
from mailwright.mailboxes.models import Mailbox
from mailwright.providers.base import RecordSpec
from mailwright.providers.sandbox import SandboxDnsHost
from mailwright.providers.sandbox.dns_server import SandboxDnsServer
from mailwright.providers.sandbox.models import SandboxCall, SandboxDnsRecord
from mailwright.runtime import Runtime
from tests.conftest import unique, wait_for_order, wait_until
from tests.support.postgres import free_port


def order(api: httpx.Client, domain: str, provider: str = "MAILDOSO") -> dict[str, Any]:
    response = api.post(
        "/rest/v2/domains/order",
        json={
            "provider": provider,
            "domains": [domain],
            "mailboxes": [{"first_name": "Richard", "last_name": "Hendricks", "email": f"richard@{domain}"}],
        },
    )
    assert response.status_code == 202, response.text
    return wait_for_order(api, response.json()["order_id"])


def dns_port(runtime: Runtime) -> int:
    return runtime.providers.dns_host.start_server()  # type: ignore[attr-defined]


def ask(runtime: Runtime, name: str, rdtype: str, tcp: bool = False) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, "127.0.0.1", timeout=5, port=dns_port(runtime))


def served_texts(response: dns.message.Message) -> list[str]:
    return [b"".join(r.strings).decode() for rrset in response.answer for r in rrset if rrset.rdtype == dns.rdatatype.TXT]


@pytest.mark.parametrize("provider", ["MAILDOSO", "GOOGLE"])
def test_ordered_domain_is_ready_only_once_its_records_are_served(
    api_with_owner: httpx.Client, runtime: Runtime, provider: str
) -> None:
    domain = unique("dns") + ".com"
    assert order(api_with_owner, domain, provider)["status"] == "completed"

    with runtime.db.read() as session:
        row = session.scalar(sa.select(Domain).where(Domain.name == domain))
        assert row is not None and row.status == "ready"
        records = session.scalars(sa.select(DnsRecord).where(DnsRecord.domain_id == row.id)).all()
        mailbox = session.scalar(sa.select(Mailbox).where(Mailbox.domain_id == row.id))
        # Verified before ready, ready before the mailbox went live.
        assert all(r.valid and r.last_checked_at is not None for r in records)
        assert max(r.last_checked_at for r in records) <= row.ready_at <= mailbox.live_at
        # Our own 2048-bit key for MAILDOSO; the host's key for GOOGLE.
        assert (row.dkim_private_key_enc is not None) == (provider == "MAILDOSO")
    assert sorted({r.purpose for r in records}) == ["dkim", "dmarc", "mx", "spf"]

    # Real DNS, UDP and TCP: what the sandbox serves is what the API reports.
    for tcp in (False, True):
        dmarc = ask(runtime, f"_dmarc.{domain}", "TXT", tcp)
        assert dmarc.flags & dns.flags.AA and dmarc.rcode() == dns.rcode.NOERROR
        assert served_texts(dmarc) == ["v=DMARC1; p=none"]
    apex = ask(runtime, domain, "TXT")
    assert [t for t in served_texts(apex) if t.startswith("v=spf1")] == [next(r.value for r in records if r.purpose == "spf")]
    dkim = next(r for r in records if r.purpose == "dkim")
    key_answer = ask(runtime, f"{dkim.name}.{domain}", "TXT")
    # The 2048-bit key is split into character-strings of at most 255 bytes.
    assert all(len(s) <= 255 for rrset in key_answer.answer for r in rrset for s in r.strings)
    assert served_texts(key_answer) == [dkim.value] and dkim_problems(dkim.value) == []
    assert spf_problems(served_texts(apex)[0]) == [] and dmarc_problems("v=DMARC1; p=none") == []

    body = api_with_owner.get(f"/rest/v2/domains/{domain}/dns").json()
    assert body["all_valid"] is True and body["domain"] == domain
    assert {(r["type"], r["fqdn"]) for r in body["records"]} >= {("TXT", f"_dmarc.{domain}"), ("MX", domain)}
    assert all(r["observed_value"] == r["value"] and r["last_checked"] for r in body["records"])


def test_negative_answers_and_zones_we_do_not_host(api_with_owner: httpx.Client, runtime: Runtime) -> None:
    domain = unique("neg") + ".com"
    order(api_with_owner, domain)
    missing = ask(runtime, f"nothing-here.{domain}", "TXT")
    assert missing.rcode() == dns.rcode.NXDOMAIN and missing.flags & dns.flags.AA
    assert missing.authority and missing.authority[0].rdtype == dns.rdatatype.SOA
    # _domainkey exists only as the parent of mw1._domainkey: an empty non-terminal.
    empty = ask(runtime, f"_domainkey.{domain}", "TXT")
    assert empty.rcode() == dns.rcode.NOERROR and not empty.answer
    no_aaaa = ask(runtime, domain, "AAAA")
    assert no_aaaa.rcode() == dns.rcode.NOERROR and not no_aaaa.answer and no_aaaa.authority
    ns = ask(runtime, domain, "NS")
    assert sorted(r.target.to_text() for r in ns.answer[0]) == ["ns1.sandbox.mailwright.test.", "ns2.sandbox.mailwright.test."]
    refused = ask(runtime, unique("elsewhere") + ".org", "A")
    assert refused.rcode() == dns.rcode.REFUSED and not refused.flags & dns.flags.AA


def test_a_record_tampered_with_is_reported_invalid(api_with_owner: httpx.Client, runtime: Runtime) -> None:
    domain = unique("tamper") + ".com"
    order(api_with_owner, domain)
    with runtime.db.write() as session:
        session.execute(
            sa.update(SandboxDnsRecord)
            .where(SandboxDnsRecord.zone == domain, SandboxDnsRecord.name == "_dmarc")
            .values(value="v=DMARC1; p=reject")
        )
    body = api_with_owner.get(f"/rest/v2/domains/{domain}/dns").json()
    dmarc = next(r for r in body["records"] if r["purpose"] == "dmarc")
    assert body["all_valid"] is False
    assert dmarc == dmarc | {"valid": False, "value": "v=DMARC1; p=none", "observed_value": "v=DMARC1; p=reject"}
    assert all(r["valid"] for r in body["records"] if r["purpose"] != "dmarc")


def test_records_never_served_fail_the_domain_with_a_reason_and_refund(
    api_with_owner: httpx.Client, runtime: Runtime
) -> None:
    domain = unique("fail-dns") + ".com"
    result = order(api_with_owner, domain)
    assert result["status"] == "failed"
    detail = api_with_owner.get(f"/rest/v2/domains/{domain}").json()
    assert detail["status"] == "failed" and detail["is_ready"] is False
    assert f"The DNS records of {domain} were not served as expected" in detail["failure_reason"]
    assert f"TXT _dmarc.{domain} not served" in detail["failure_reason"]
    assert f"MX {domain} not served" in detail["failure_reason"]
    with runtime.db.read() as session:
        created = session.scalar(
            sa.select(sa.func.count()).select_from(SandboxCall).where(
                SandboxCall.operation == "create_mailbox", SandboxCall.subject == f"richard@{domain}"
            )
        )
    assert created == 0  # no mailbox was created on a domain that never verified
    assert api_with_owner.get(f"/rest/v2/domains/{domain}/dns").json()["all_valid"] is False


def test_dns_of_another_accounts_domain_is_not_found(api_with_owner: httpx.Client, server: Any, make_account: Any) -> None:
    domain = unique("mine") + ".com"
    order(api_with_owner, domain)
    stranger = make_account()
    response = httpx.get(f"{server.base_url}/rest/v2/domains/{domain}/dns", headers=stranger.headers, timeout=30)
    assert response.status_code == 404


def test_dig_shows_a_sandbox_domains_records(api_with_owner: httpx.Client, runtime: Runtime) -> None:
    domain = unique("dig") + ".com"
    order(api_with_owner, domain)
    out = subprocess.run(
        ["dig", "@127.0.0.1", "-p", str(dns_port(runtime)), "+short", "+tries=3", "TXT", f"_dmarc.{domain}"],
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout
    assert out.strip() == '"v=DMARC1; p=none"'


def test_a_taken_port_falls_back_to_a_free_one_and_big_answers_go_over_tcp() -> None:
    zone = build_zone("big.test", [RecordSpec("TXT", "@", "x" * 300), RecordSpec("TXT", "@", "y" * 300)], ["ns1.big.test"])
    first = SandboxDnsServer(lambda name: zone if name.is_subdomain(zone.origin) else None)
    port = first.start()
    second = SandboxDnsServer(lambda name: zone, port=port)
    try:
        assert second.start() not in (0, port) and second.wanted_port_taken  # not fatal: the first one answers on `port`
        query = dns.message.make_query("big.test", "TXT", use_edns=False)
        over_udp = dns.query.udp(query, "127.0.0.1", timeout=5, port=port)
        assert over_udp.flags & dns.flags.TC and not over_udp.answer
        over_tcp = dns.query.tcp(query, "127.0.0.1", timeout=5, port=second.port)
        assert sorted(len(b"".join(r.strings)) for r in over_tcp.answer[0]) == [300, 300]
    finally:
        first.stop()
        second.stop()


def test_a_process_finding_its_dns_port_taken_prints_the_port_it_really_answers_on(
    api_with_owner: httpx.Client, runtime: Runtime
) -> None:
    """As a second `serve` does when the first holds MAILWRIGHT_SANDBOX_DNS_PORT: its startup
    lines name its own port, which answers for its database's domains."""
    domain = unique("port") + ".com"
    order(api_with_owner, domain)
    held = dns_port(runtime)
    second = SandboxDnsHost(runtime.db, dns_port=held)
    try:
        lines = sandbox_dns_lines(second)
        port = second.start_server()
        assert port not in (0, held)
        assert lines == [
            f"Sandbox DNS answers on 127.0.0.1 port {port} (UDP and TCP): dig @127.0.0.1 -p {port} TXT _dmarc.DOMAIN",
            f"  (port {held}, MAILWRIGHT_SANDBOX_DNS_PORT, is taken by another process, which answers only for "
            "the domains of its own database: query this one's port)",
        ]
        reply = dns.query.udp(dns.message.make_query(f"_dmarc.{domain}", "TXT"), "127.0.0.1", timeout=5, port=port)
        assert reply.flags & dns.flags.AA and served_texts(reply) == ["v=DMARC1; p=none"]
    finally:
        second.close()

    free = SandboxDnsHost(runtime.db, dns_port=free_port())
    try:
        assert sandbox_dns_lines(free) == [
            f"Sandbox DNS answers on 127.0.0.1 port {free.dns_port} (UDP and TCP): dig @127.0.0.1 -p {free.dns_port} TXT _dmarc.DOMAIN"
        ]
    finally:
        free.close()


def test_a_redirected_domain_points_its_apex_at_the_redirect_server(api_with_owner: httpx.Client, runtime: Runtime) -> None:
    domain = unique("redir") + ".com"
    order(api_with_owner, domain)
    assert not ask(runtime, domain, "A").answer
    response = api_with_owner.patch(f"/rest/v2/domains/{domain}/set_redirect_url", json={"domain_redirect_url": "https://piedpiper.com"})
    assert response.status_code == 202, response.text
    served = wait_until(lambda: ask(runtime, domain, "A").answer, timeout=60, interval=0.1)
    assert [r.to_text() for r in served[0]] == ["192.0.2.80"]


def test_the_dns_endpoint_is_documented(anon: httpx.Client) -> None:
    operation = anon.get("/openapi.json").json()["paths"]["/rest/v2/domains/{domain_name}/dns"]["get"]
    assert {"200", "401", "404"} <= set(operation["responses"])
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert schema.endswith("/DnsRecordsResponse")
