"""DNS records of a user's domain: listed with Mailwright's own, added, replaced and deleted with
every field checked, pushed to the DNS host; sending records protected unless forced."""

from __future__ import annotations

import sqlalchemy as sa

from mailwright.providers.sandbox.models import SandboxDnsRecord
from tests.conftest import wait_until
from tests.reseller.conftest import field_errors
from tests.reseller.test_domains import _domain_ids



def _served(runtime, zone, name, rtype):
    with runtime.db.read() as session:
        rows = session.scalars(
            sa.select(SandboxDnsRecord).where(SandboxDnsRecord.zone == zone, SandboxDnsRecord.name == name, SandboxDnsRecord.type == rtype)
        )
        return sorted(r.value for r in rows)


def _target(holdings, runtime, index=0):
    name = holdings.domains[index]
    return name, {"userId": holdings.user_id, "domainId": _domain_ids(runtime, [name])[name]}


def test_lists_mailwrights_sending_records(held, holdings, runtime):
    _, ids = _target(holdings, runtime)
    response = held.get("/domains/dns-records", params=ids)
    assert response.status_code == 200
    records = response.json()["data"]
    purposes = {r["purpose"] for r in records if r["managed"]}
    assert {"mx", "spf", "dkim", "dmarc"} <= purposes
    mx = next(r for r in records if r["purpose"] == "mx")
    assert set(mx) == {"recordId", "type", "name", "fqdn", "content", "ttl", "priority", "managed", "purpose"}
    assert mx["type"] == "MX" and mx["name"] == "@" and mx["priority"] is not None


def test_add_update_delete_reach_the_dns_host(held, holdings, runtime):
    zone, ids = _target(holdings, runtime, 1)
    added = held.post("/domains/dns-records", json=ids | {"type": "a", "name": f"www.{zone}", "content": "192.0.2.10", "ttl": 600})
    assert added.status_code == 201, added.text
    body = added.json()
    assert body["message"] == "DNS record added successfully"
    record = body["data"]
    assert {k: record[k] for k in ("type", "name", "fqdn", "content", "ttl", "priority", "managed", "purpose")} == {
        "type": "A", "name": "www", "fqdn": f"www.{zone}", "content": "192.0.2.10", "ttl": 600, "priority": None,
        "managed": False, "purpose": "custom",
    }
    wait_until(lambda: _served(runtime, zone, "www", "A") == ["192.0.2.10"])

    replaced = held.put(
        "/domains/dns-records", json=ids | {"recordId": record["recordId"], "type": "CNAME", "name": "www", "content": "hosting.example.net"}
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["data"]["content"] == "hosting.example.net."
    wait_until(lambda: _served(runtime, zone, "www", "CNAME") == ["hosting.example.net."] and not _served(runtime, zone, "www", "A"))

    deleted = held.delete("/domains/dns-records", params=ids | {"recordId": record["recordId"]})
    assert deleted.status_code == 200
    assert deleted.json() == {"status": 200, "message": "DNS record deleted successfully", "data": None}
    wait_until(lambda: not _served(runtime, zone, "www", "CNAME"))
    listed = held.get("/domains/dns-records", params=ids).json()["data"]
    assert record["recordId"] not in [r["recordId"] for r in listed]


def test_a_verification_txt_joins_the_apex_but_a_second_spf_needs_force(held, holdings, runtime):
    zone, ids = _target(holdings, runtime, 2)
    ok = held.post("/domains/dns-records", json=ids | {"type": "TXT", "name": "@", "content": "google-site-verification=abc123"})
    assert ok.status_code == 201
    wait_until(lambda: any(v.startswith("google-site-verification") for v in _served(runtime, zone, "@", "TXT")))
    assert any(v.startswith("v=spf1") for v in _served(runtime, zone, "@", "TXT"))  # Mailwright's SPF kept

    spf = {"type": "TXT", "name": "@", "content": "v=spf1 include:other.example ~all"}
    refused = held.post("/domains/dns-records", json=ids | spf)
    assert refused.status_code == 409
    assert refused.json()["data"]["code"] == "managed_record"
    assert list(field_errors(refused)) == ["name"]
    forced = held.post("/domains/dns-records", json=ids | spf | {"force": True})
    assert forced.status_code == 201


def test_mailwrights_records_are_protected(held, holdings, runtime):
    _, ids = _target(holdings, runtime, 0)
    records = held.get("/domains/dns-records", params=ids).json()["data"]
    mx = next(r for r in records if r["purpose"] == "mx")
    dmarc = next(r for r in records if r["purpose"] == "dmarc")
    assert held.post("/domains/dns-records", json=ids | {"type": "MX", "content": "mx.other.example", "priority": 5}).status_code == 409
    assert held.post("/domains/dns-records", json=ids | {"type": "TXT", "name": "_dmarc", "content": "v=DMARC1; p=reject"}).status_code == 409
    assert held.post("/domains/dns-records", json=ids | {"type": "CNAME", "name": "_dmarc", "content": "x.example"}).status_code == 409
    update = held.put("/domains/dns-records", json=ids | {"recordId": dmarc["recordId"], "type": "TXT", "name": "_dmarc", "content": "v=DMARC1; p=reject"})
    assert update.status_code == 409
    delete = held.delete("/domains/dns-records", params=ids | {"recordId": mx["recordId"]})
    assert delete.status_code == 409
    assert held.get("/domains/dns-records", params=ids).json()["data"] == records


def test_every_bad_field_is_named(held, holdings, runtime):
    zone, ids = _target(holdings, runtime, 0)
    response = held.post(
        "/domains/dns-records",
        json=ids | {"type": "A", "name": "www.other-zone.com.", "content": "1.2.3", "ttl": 5, "priority": 3, "force": "yes"},
    )
    assert response.status_code == 400
    assert field_errors(response) == {
        "name": f"Must be inside the zone {zone}",
        "ttl": "Must be a whole number from 60 to 86400",
        "priority": "Only MX and SRV records have a priority",
        "content": "Must be an IPv4 address such as 192.0.2.10",
        "force": "Must be true or false",
    }
    assert field_errors(held.post("/domains/dns-records", json=ids | {"type": "XYZ", "content": "x"})) == {
        "type": "Valid values are A, AAAA, CNAME, MX, TXT, SRV, CAA, NS"
    }
    assert field_errors(held.post("/domains/dns-records", json=ids | {"type": "MX", "content": "mail.example.com"})) == {"priority": "Field is required"}
    assert field_errors(held.post("/domains/dns-records", json=ids | {"type": "CAA", "name": "x", "content": "nonsense"})) == {"content": "Not valid CAA record content"}
    assert field_errors(held.post("/domains/dns-records", json=ids | {"type": "SRV", "name": "_sip._tcp", "content": "٥ ٥٠٦٠ sip.example.com", "priority": 10})) == {
        "content": "Must be 'weight port target', e.g. 5 5060 sip.example.com"
    }
    assert field_errors(held.post("/domains/dns-records", json=ids | {"type": "CNAME", "name": "@", "content": "a.example"})) == {
        "name": "A CNAME cannot be at the zone apex (@)"
    }
    assert field_errors(held.post("/domains/dns-records", json=ids | {"type": "A", "name": "bad label!", "content": "192.0.2.1"})) == {
        "name": "Must be a host name such as www, mail or _dmarc, or @ for the apex"
    }


def test_a_cname_stands_alone(held, holdings, runtime):
    _, ids = _target(holdings, runtime, 0)
    assert held.post("/domains/dns-records", json=ids | {"type": "A", "name": "shop", "content": "192.0.2.20"}).status_code == 201
    clash = held.post("/domains/dns-records", json=ids | {"type": "CNAME", "name": "shop", "content": "shops.example.com"})
    assert clash.status_code == 400
    assert field_errors(clash) == {"name": "A CNAME cannot share its name with other records"}


def test_records_of_other_domains_and_users_are_not_found(held, reseller, holdings, runtime):
    _, ids = _target(holdings, runtime, 0)
    _, other_ids = _target(holdings, runtime, 1)
    other_record = held.get("/domains/dns-records", params=other_ids).json()["data"][0]["recordId"]
    response = held.delete("/domains/dns-records", params=ids | {"recordId": other_record})
    assert response.status_code == 404 and field_errors(response) == {"recordId": "No such record of this domain"}
    foreign_domain = _domain_ids(runtime, [holdings.other_domain])[holdings.other_domain]
    response = held.get("/domains/dns-records", params={"userId": holdings.user_id, "domainId": foreign_domain})
    assert response.status_code == 404 and field_errors(response) == {"domainId": "No such domain of this user"}
    assert reseller.get("/domains/dns-records", params=ids).status_code == 404
    missing = held.delete("/domains/dns-records", params={"userId": holdings.user_id, "domainId": ids["domainId"]})
    assert missing.status_code == 400 and field_errors(missing) == {"recordId": "Field is required"}


def test_an_srv_record_is_served_by_the_sandbox_dns(held, holdings, runtime):
    zone, ids = _target(holdings, runtime, 2)
    body = {"type": "SRV", "name": "_sip._tcp", "content": "5 5060 sip.example.com", "priority": 10}
    response = held.post("/domains/dns-records", json=ids | body)
    assert response.status_code == 201, response.text
    assert response.json()["data"]["content"] == "5 5060 sip.example.com."
    wait_until(lambda: _served(runtime, zone, "_sip._tcp", "SRV") == ["5 5060 sip.example.com."])
