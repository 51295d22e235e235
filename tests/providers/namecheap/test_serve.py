"""End to end: a real `mailwright serve` with MAILWRIGHT_REGISTRAR=namecheap and
MAILWRIGHT_DNS_HOST=namecheap pointed at the emulator. An order is registered in the emulated
account with the registrant as every contact, the domain stays on Namecheap's DNS, its host
records are set, and it becomes ready: readiness queries (MAILWRIGHT_DNS_VERIFY_SERVER) go to a
loopback DNS server answering from the emulator's host records, as BasicDNS serves what the API
holds. With the Namecheap balance empty, an order waits for a person (needs_action, saying to add
funds) and goes on when retried."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from tests.conftest import BACKEND, OWNER, unique, wait_until
from tests.providers.namecheap.conftest import GENEROUS_LIMITS
from tests.providers.namecheap.dns_server import BasicDns
from tests.providers.namecheap.emulator import NamecheapEmulator
from tests.support.serve import ServeProcess, serve_env

# The adapter through `serve`; the storage under it is tested on both backends by the sandbox's flows.
pytestmark = [pytest.mark.slow, pytest.mark.backend_independent]

KEY_LINE = re.compile(r"Its API key, shown only this once: (\S+)")
def test_an_order_is_registered_at_namecheap_with_the_registrant_published_and_ready(database_factory, tmp_path):
    emulator = NamecheapEmulator(rate_limits=GENEROUS_LIMITS, balance="100.00").start()
    basic_dns = BasicDns(emulator)
    dns_port = basic_dns.server.start()
    settings = {
        "registrar": "namecheap",
        "dns_host": "namecheap",
        "namecheap_api_user": emulator.api_user,
        "namecheap_api_key": emulator.api_key,
        "namecheap_username": emulator.username,
        "namecheap_client_ip": "203.0.113.7",
        "namecheap_base_url": emulator.url,
        "dns_verify_server": f"127.0.0.1:{dns_port}",
        "dns_verify_attempts": "3",
        "dns_verify_retry_seconds": "0.2",
        "dns_query_timeout_seconds": "2",
        # Namecheap's own pace (two steps a minute per queue, tests/provisioning/test_queues.py)
        # would make this test wait minutes on an emulator whose limits are lifted anyway.
        "queue_limits": json.dumps({"registrar": {"limit": 600, "period": 60}, "dns": {"limit": 600, "period": 60}}),
    }
    database_url = database_factory(unique("namecheap")) if BACKEND != "sqlite" else None
    serve = ServeProcess(serve_env(database_url, tmp_path / "data", **settings), cwd=tmp_path).start().wait_ready()
    try:
        api_key = wait_until(lambda: KEY_LINE.search(serve.text), timeout=30).group(1)
        http = httpx.Client(base_url=serve.base_url, headers={"x-api-key": api_key}, timeout=60)
        domain = f"{unique('ncserve')}.com"
        held_elsewhere = f"held-{domain}"
        emulator.taken.add(held_elsewhere)

        # Availability comes from Namecheap; the price is the price book's (com 13.00), above
        # Namecheap's cost of 10.98.
        answer = http.post("/rest/v2/domains/availability", params={"provider": "GOOGLE"}, json={"domains": [domain, held_elsewhere]})
        assert answer.status_code == 200, answer.text
        assert [(d["domain"], d["available"], d["price"]) for d in answer.json()["domains"]] == [
            (domain, True, {"amount": "13.00", "currency": "USD"}),
            (held_elsewhere, False, None),
        ]
        assert http.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
        order = http.post(
            "/rest/v2/domains/order",
            json={"provider": "GOOGLE", "domains": [domain], "mailboxes": [{"first_name": "Richard", "last_name": "Hendricks", "email": f"richard@{domain}"}]},
        )
        assert order.status_code == 202, order.text
        order_id = order.json()["order_id"]
        final = wait_until(
            lambda: (b := http.get(f"/rest/v2/domains/orders/{order_id}").json())["status"] not in ("processing", "created") and b,
            timeout=120,
            interval=0.2,
        )

        # Registered once, with the registrant as registrant, tech, admin and billing contact.
        assert emulator.commands().count("namecheap.domains.create") == 1
        held = emulator.domains[domain]
        contact = {
            "FirstName": OWNER["first_name"], "LastName": OWNER["last_name"], "Address1": OWNER["address"], "City": OWNER["city"],
            "StateProvince": OWNER["state"], "PostalCode": OWNER["zip_code"], "Country": OWNER["country"], "Phone": OWNER["phone"],
            "EmailAddress": OWNER["email"], "OrganizationName": OWNER["company_name"],
        }
        assert held.contacts == {role: contact for role in ("Registrant", "Tech", "Admin", "AuxBilling")}
        assert emulator.balance == emulator.balance.__class__("89.02")

        # On Namecheap's DNS, with the sending records of a Google Workspace domain as host records.
        assert held.uses_our_dns and held.email_type == "MX"
        records = {(h["Name"], h["Type"]): h["Address"] for h in held.hosts}
        assert records[("@", "MX")] == "smtp.google.com."
        assert records[("@", "TXT")].startswith("v=spf1 include:_spf.google.com")
        assert records[("google._domainkey", "TXT")].startswith("v=DKIM1;")
        assert records[("_dmarc", "TXT")].startswith("v=DMARC1;")

        # Served as published: the domain is ready and its mailbox live.
        assert final["status"] == "completed", final
        detail = http.get(f"/rest/v2/domains/{domain}").json()
        assert (detail["status"], detail["is_ready"], detail["all_mailboxes_are_ready"]) == ("ready", True, True), detail
        # An empty Namecheap balance parks the next order for a person, who adds funds and retries it.
        second = f"{unique('ncserve')}.com"
        emulator.balance = emulator.balance.__class__("0.00")
        order = http.post(
            "/rest/v2/domains/order",
            json={"provider": "GOOGLE", "domains": [second], "mailboxes": [{"first_name": "Jared", "last_name": "Dunn", "email": f"jared@{second}"}]},
        )
        assert order.status_code == 202, order.text
        parked_id = order.json()["order_id"]
        parked = wait_until(lambda: (b := http.get(f"/rest/v2/domains/orders/{parked_id}").json())["status"] == "needs_action" and b, timeout=120, interval=0.2)
        reason = http.get(f"/rest/v2/domains/{second}").json()["failure_reason"]
        assert "add funds" in reason and "2528166" in reason and second not in emulator.domains, parked
        emulator.balance = emulator.balance.__class__("20.00")
        assert http.post(f"/rest/v2/domains/orders/{parked_id}/retry").status_code in (200, 202)
        retried = wait_until(lambda: (b := http.get(f"/rest/v2/domains/orders/{parked_id}").json())["status"] not in ("processing", "needs_action") and b, timeout=120, interval=0.2)
        assert retried["status"] == "completed", retried
        assert emulator.domains[second].contacts["Registrant"]["FirstName"] == OWNER["first_name"]
        assert emulator.commands().count("namecheap.domains.create") == 3  # the refused one, then one each

        # The API key never reached the server's output.
        assert emulator.api_key not in serve.text
        http.close()
    finally:
        serve.stop()
        basic_dns.server.stop()
        emulator.stop()
