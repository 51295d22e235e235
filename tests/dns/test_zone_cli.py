"""`mailwright domains zone DOMAIN`: the zone a domain should serve, as standard zone-file text,
under the SOA its DNS servers really answer with."""

from __future__ import annotations

import json

import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.zone
import httpx

from mailwright.runtime import Runtime
from tests.conftest import Cli, unique, wait_for_order
from tests.dns.test_sandbox_dns import ask, order


def test_zone_command_prints_the_domains_zone(cli: Cli, api_with_owner: httpx.Client, runtime: Runtime) -> None:
    domain = unique("zone") + ".com"
    order(api_with_owner, domain, "MICROSOFT")
    never = f"fail-register-{unique()}.com"  # refused by the registrar: it never gets a zone
    response = api_with_owner.post("/rest/v2/domains/order", json={
        "provider": "GOOGLE", "domains": [never], "mailboxes": [{"first_name": "Ann", "last_name": "Lee", "email": f"ann@{never}"}]
    })
    assert response.status_code == 202, response.text
    assert wait_for_order(api_with_owner, response.json()["order_id"])["status"] == "failed"

    # Few processes (each costs seconds): --json carries the very text printed without it.
    shown, unserved, missing = cli.many(
        ["domains", "zone", domain.upper(), "--json"], ["domains", "zone", never, "--json"], ["domains", "zone", unique("nowhere") + ".com"]
    )
    assert shown.returncode == 0, shown.stderr
    printed = json.loads(shown.stdout)
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

    # The SOA printed is the one served, serial and names as a real DNS query sees them.
    answer = ask(runtime, domain, "SOA")
    served = answer.get_rrset(answer.answer, dns.name.from_text(domain), dns.rdataclass.IN, dns.rdatatype.SOA)
    assert served is not None and served[0].serial > 1  # the sandbox's serial moves with every change
    printed_soa = dns.zone.from_text(printed["zone"], relativize=False).get_rdataset(domain + ".", dns.rdatatype.SOA)
    assert list(printed_soa) == list(served) and printed_soa.ttl == served.ttl
    # ... and its line reads as dig shows it (all names absolute), first after $ORIGIN.
    assert printed["zone"].startswith(f"$ORIGIN {domain}.\n{domain}. {served.ttl} IN SOA {served[0].to_text()}\n")

    # A domain whose servers serve no SOA: none is made up, and the warning says why.
    assert unserved.returncode == 0, unserved.stderr
    nothing = json.loads(unserved.stdout)
    assert nothing["problems"] == [f"{never}: its DNS servers serve no SOA for it (not provisioned yet, or unreachable), so none is shown"]
    assert " SOA " not in nothing["zone"]

    assert missing.returncode == 1 and "Error: no domain" in missing.stderr
