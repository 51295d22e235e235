"""`mailwright domains zone DOMAIN`: the zone a domain should serve, as standard zone-file text."""

from __future__ import annotations

import dns.rdatatype
import dns.zone
import httpx

from mailwright.runtime import Runtime
from tests.conftest import Cli, unique
from tests.dns.test_sandbox_dns import order


def test_zone_command_prints_the_domains_zone(cli: Cli, api_with_owner: httpx.Client, runtime: Runtime) -> None:
    domain = unique("zone") + ".com"
    order(api_with_owner, domain, "MICROSOFT")
    # Two processes only (each costs seconds): --json carries the very text printed without it.
    printed = cli.json("domains", "zone", domain.upper())
    assert printed["domain"] == domain and printed["problems"] == []
    zone = dns.zone.from_text(printed["zone"], relativize=True)
    assert zone.origin.to_text() == f"{domain}."
    ns = zone.get_rdataset("@", dns.rdatatype.NS)
    assert sorted(r.target.to_text() for r in ns) == ["ns1.sandbox.mailwright.test.", "ns2.sandbox.mailwright.test."]
    tenant = domain.replace(".", "-")
    assert [r.to_text() for r in zone.get_rdataset("@", dns.rdatatype.MX)] == [f"0 {tenant}.mail.protection.outlook.com."]
    assert zone.get_rdataset("autodiscover", dns.rdatatype.CNAME)[0].target.to_text() == "autodiscover.outlook.com."
    dkim = zone.get_rdataset("selector1._domainkey", dns.rdatatype.TXT)[0]
    assert b"".join(dkim.strings).startswith(b"v=DKIM1; k=rsa; p=") and max(len(s) for s in dkim.strings) == 255

    missing = cli("domains", "zone", unique("nowhere") + ".com")
    assert missing.returncode == 1 and "Error: no domain" in missing.stderr
