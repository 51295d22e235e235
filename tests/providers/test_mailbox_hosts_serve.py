"""End to end through `mailwright serve`: Porkbun as registrar and DNS host (its emulator, and
real DNS answering from the emulated account's records), with GOOGLE mailboxes at Google
Workspace and MICROSOFT ones at Microsoft 365, each at its loopback emulator, whose domain
verification queries that same DNS. Orders become ready only once the domain is verified at the
host and every record is served; users are created exactly as ordered; a refused user or
exhausted licences cost exactly that mailbox; DKIM waits for the operator; suspension, restore,
an address change, removal and the workspace's deletion reach the host; a SIGKILL between creating a user and
recording it creates no second one."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from mailwright.dns.dkim import dkim_txt_value, generate_private_key_pem
from tests.conftest import OWNER, Cli, unique, wait_until
from tests.providers.google_workspace.emulator import GoogleWorkspaceEmulator
from tests.providers.microsoft365.emulator import GraphEmulator
from tests.providers.porkbun.dns_server import EmulatedZones
from tests.providers.porkbun.emulator import PorkbunEmulator
from tests.support.serve import ServeProcess, serve_env

# Each run on a `serve` of its own, with its own SQLite file: nothing of the backend under test.
pytestmark = [pytest.mark.slow, pytest.mark.backend_independent]

KEY_LINE = re.compile(r"Its API key, shown only this once: (\S+)")
ACCOUNT_LINE = re.compile(r"Created a demo account \((\S+)\)")
SETTLED = ("completed", "partially_completed", "failed", "needs_action")


@dataclass
class World:
    porkbun: PorkbunEmulator
    zones: EmulatedZones
    google: GoogleWorkspaceEmulator
    microsoft: GraphEmulator
    serve: ServeProcess
    http: httpx.Client
    account_id: str
    operator: Cli  # the operator's `mailwright` commands, on the serve's database

    def order(self, provider: str, domain: str, *locals_: str) -> str:
        mailboxes = [{"first_name": local.capitalize(), "last_name": "Hendricks", "email": f"{local}@{domain}"} for local in locals_]
        answer = self.http.post("/rest/v2/domains/order", json={"provider": provider, "domains": [domain], "mailboxes": mailboxes})
        assert answer.status_code == 202, answer.text
        return answer.json()["order_id"]

    def settled(self, order_id: str, timeout: float = 90) -> dict[str, Any]:
        return wait_until(
            lambda: (b := self.http.get(f"/rest/v2/domains/orders/{order_id}").json())["status"] in SETTLED and b, timeout=timeout, interval=0.2
        )

    def domain(self, name: str) -> dict[str, Any]:
        return self.http.get(f"/rest/v2/domains/{name}").json()

    def mailbox(self, email: str) -> dict[str, Any]:
        return self.http.get(f"/rest/v2/domains/{email.split('@')[1]}/mailboxes/{email}").json()

    def balance(self) -> Decimal:
        return Decimal(self.http.get("/rest/v2/wallet").json()["balance"])

    def cli(self, *args: str) -> dict[str, Any]:
        return self.operator.json(*args)

    def set_dkim(self, domain: str) -> None:
        """The operator supplies the key Google made, through the API (the first test uses the command line)."""
        key = dkim_txt_value(generate_private_key_pem())
        answer = self.http.patch(f"/rest/v2/domains/{domain}/set_dkim", json={"selector": "google", "value": key})
        assert answer.status_code == 200, answer.text


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("mailbox-hosts")
    porkbun = PorkbunEmulator().start()
    porkbun.check_limit = 100  # Porkbun's one check per 10 s is tested with Porkbun (tests/providers/porkbun)
    zones = EmulatedZones(porkbun)
    dns_port = zones.server.start()
    google = GoogleWorkspaceEmulator(dns_server=("127.0.0.1", dns_port)).start()
    service_account = google.add_service_account(root / "service-account.json")
    microsoft = GraphEmulator(dns_server=("127.0.0.1", dns_port), licences=1).start()
    env = serve_env(
        None,
        root / "data",
        registrar="porkbun",
        dns_host="porkbun",
        porkbun_api_key=porkbun.api_key,
        porkbun_secret_api_key=porkbun.secret_api_key,
        porkbun_base_url=porkbun.base_url,
        dns_verify_server=f"127.0.0.1:{dns_port}",
        dns_verify_attempts="3",
        dns_verify_retry_seconds="0.2",
        dns_query_timeout_seconds="0.5",
        billing_schedule="",
    )
    env |= google.environment(service_account.key_file) | microsoft.env()
    env["MAILWRIGHT_MAILBOX_HOSTS"] = json.dumps({"GOOGLE": "google_workspace", "MICROSOFT": "microsoft365"})
    serve = ServeProcess(env, cwd=root).start().wait_ready()
    operator = Cli(env, cwd=root)
    try:
        api_key = wait_until(lambda: KEY_LINE.search(serve.text), timeout=30).group(1)
        account_id = ACCOUNT_LINE.search(serve.text).group(1)  # type: ignore[union-attr]
        with httpx.Client(base_url=serve.base_url, headers={"x-api-key": api_key}, timeout=30) as http:
            assert http.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
            yield World(porkbun, zones, google, microsoft, serve, http, account_id, operator)
    finally:
        serve.stop()
        for stop in (google.stop, microsoft.stop, zones.server.stop, porkbun.stop):
            stop()
    for secret in (porkbun.secret_api_key, microsoft.client_secret, service_account_private_key(service_account.key_file)):
        assert secret not in serve.text


def service_account_private_key(key_file: Path) -> str:
    return json.loads(key_file.read_text())["private_key"].splitlines()[1]


def test_google_workspace_users_are_created_as_ordered_once_the_operator_supplies_dkim(world: World) -> None:
    domain = f"{unique('gw')}.com"
    world.google.conflicting_accounts.add(f"gavin@{domain}")  # a Google account outside the workspace
    before = world.balance()
    order_id = world.order("GOOGLE", domain, "richard", "gavin")

    # Bought, added to the workspace, its proof served and verified by Google; then it waits for
    # the DKIM key only the Admin console makes. No user exists before the domain is ready.
    parked = world.settled(order_id)
    assert parked["status"] == "needs_action", parked
    reason = world.domain(domain)["failure_reason"]
    assert reason.startswith(f"DKIM of {domain} waits for the operator; `mailwright dns set-dkim {domain} --selector google --value ...`")
    assert world.google.domains[domain]["verified"] is True
    proof = [r.content for r in world.porkbun.domains[domain].records if r.type == "TXT" and r.content.startswith("google-site-verification=")]
    assert len(proof) == 1
    assert world.google.user_by_email(f"richard@{domain}") is None

    # The operator supplies the key on the command line: the order resumes and completes, but for
    # the address Google holds elsewhere, which alone is refunded.
    key = dkim_txt_value(generate_private_key_pem())
    assert world.cli("dns", "set-dkim", domain, "--selector", "google", "--value", key)["selector"] == "google"
    final = world.settled(order_id)
    assert final["status"] == "partially_completed", final
    by_name = {i["name"]: i for i in final["domains"] + final["mailboxes"]}
    assert by_name[f"richard@{domain}"]["status"] == "live" and by_name[f"gavin@{domain}"]["status"] == "failed"
    assert world.balance() == before - Decimal("13.00") - 2 * Decimal("6.00") + Decimal("6.00")

    # At Google: the user as ordered, with the password Mailwright shows, no change forced, IMAP on.
    user = world.google.user_by_email(f"richard@{domain}")
    assert user is not None and (user["name"]["givenName"], user["name"]["familyName"]) == ("Richard", "Hendricks")
    assert user["changePasswordAtNextLogin"] is False
    credentials = world.mailbox(f"richard@{domain}")
    assert world.google.passwords[user["id"]] == credentials["smtp_password"]
    assert world.google.imap[user["id"]]["enabled"] is True
    assert (credentials["smtp_server"], credentials["imap_server"], credentials["authenticator"]) == ("smtp.gmail.com", "imap.gmail.com", None)
    assert credentials["sign_in_note"] is None

    # Ready only with every record served: the proof and the operator's key among them.
    dns_check = world.http.get(f"/rest/v2/domains/{domain}/dns").json()
    assert dns_check["all_valid"] is True
    purposes = {r["purpose"]: r for r in dns_check["records"]}
    assert purposes["verification"]["value"] == proof[0] and purposes["dkim"]["value"] == key
    assert purposes["dkim"]["fqdn"] == f"google._domainkey.{domain}"

    # Forwarding a whole domain is no API of Google's: refused naming the field.
    refused = world.http.patch(f"/rest/v2/domains/{domain}/set_email_forwarding", json={"email_forward_address": "gavin@hooli.com"})
    assert refused.status_code == 422 and refused.json()["fields"][0]["field"] == "email_forward_address"

    # Billing: an unpaid renewal suspends the user after the grace, a paid one restores it.
    subscription = world.cli("subscriptions", "list", "--account", world.account_id)
    sub = next(s for s in subscription["subscriptions"] if s["domain"] == domain)
    world.cli("wallet", "freeze", world.account_id)
    after_grace = _days_after(sub["period_end"], 8)
    world.cli("billing", "run-due", "--at", after_grace, "--account", world.account_id)
    wait_until(lambda: world.google.user_by_email(f"richard@{domain}")["suspended"] is True, timeout=60)
    world.cli("wallet", "unfreeze", world.account_id)
    world.cli("billing", "run-due", "--at", _days_after(sub["period_end"], 9), "--account", world.account_id)
    wait_until(lambda: world.google.user_by_email(f"richard@{domain}")["suspended"] is False, timeout=60)

    # Cancelled now: the users and then the domain are deleted at Google.
    cancelled = world.http.post(f"/rest/v2/subscriptions/{sub['subscription_id']}/cancel", json={"immediately": True})
    assert cancelled.status_code == 200, cancelled.text
    wait_until(lambda: domain not in world.google.domains, timeout=60)
    assert f"richard@{domain}" in world.google.deleted_users


def test_microsoft_365_licences_users_and_waits_for_dkim_signing_and_for_licences(world: World) -> None:
    domain = f"{unique('ms')}.com"
    world.microsoft.set_licences(1, 0)
    order_id = world.order("MICROSOFT", domain, "jared", "monica")

    # Verified at Microsoft over real DNS, its records published as Microsoft gives them, the
    # selector CNAMEs among them; signing is the operator's to switch on.
    parked = world.settled(order_id)
    assert parked["status"] == "needs_action", parked
    assert world.domain(domain)["failure_reason"].startswith(f"DKIM signing of {domain} waits for the operator; `mailwright dns confirm-dkim {domain}`")
    assert world.microsoft.domains[domain]["isVerified"] is True
    cnames = {r.name: r.content for r in world.porkbun.domains[domain].records if r.type == "CNAME"}
    assert f"selector1._domainkey.{domain}" in cnames and f"selector2._domainkey.{domain}" in cnames
    assert cnames[f"autodiscover.{domain}"].rstrip(".") == "autodiscover.outlook.com"

    # Confirmed through the API: one licence, so one user, and the other waits for a licence.
    assert world.http.patch(f"/rest/v2/domains/{domain}/confirm_dkim").json() == {"success": True}
    waiting = world.settled(order_id)
    assert waiting["status"] == "needs_action", waiting
    by_name = {i["name"]: i for i in waiting["mailboxes"]}
    assert [by_name[f"{n}@{domain}"]["status"] for n in ("jared", "monica")] == ["live", "needs_action"]
    assert "buy 1 more licence" in by_name[f"monica@{domain}"]["failure_reason"]
    jared = world.microsoft.user_named(f"jared@{domain}")
    assert jared is not None and jared["usageLocation"] == "US" and len(jared["assignedLicenses"]) == 1
    assert world.microsoft.user_named(f"monica@{domain}") is None

    # A licence bought, the order retried: the second user is created and licensed.
    world.microsoft.set_licences(2, 1)
    assert world.http.post(f"/rest/v2/domains/orders/{order_id}/retry").status_code == 202
    assert world.settled(order_id)["status"] == "completed"
    monica = world.microsoft.user_named(f"monica@{domain}")
    assert monica is not None and (monica["givenName"], monica["surname"]) == ("Monica", "Hendricks")
    credentials = world.mailbox(f"monica@{domain}")
    assert (credentials["smtp_server"], credentials["imap_server"]) == ("smtp.office365.com", "outlook.office365.com")
    assert credentials["sign_in_note"].startswith("SMTP with this password works once the tenant's Exchange administrator allows SMTP AUTH")

    # Removed now: the user is deleted at Microsoft.
    assert world.http.delete(f"/rest/v2/domains/{domain}/mailboxes/monica@{domain}").status_code == 200
    wait_until(lambda: world.microsoft.user_named(f"monica@{domain}") is None, timeout=60)


def test_a_kill_between_creating_a_user_and_recording_it_creates_no_second_one(world: World) -> None:
    domain = f"{unique('kill')}.com"
    calls_before = len(world.google.calls)
    world.google.slow_next("users.insert", 8.0)  # Google creates the user; its answer comes late
    order_id = world.order("GOOGLE", domain, "erlich")
    wait_until(lambda: world.domain(domain)["status"] == "needs_action", timeout=90, interval=0.2)
    world.set_dkim(domain)
    wait_until(lambda: world.google.user_by_email(f"erlich@{domain}") is not None, timeout=60, interval=0.05)
    world.serve.kill()  # before the answer: the user exists at Google, Mailwright has no record of it
    world.serve.start().wait_ready()
    assert world.settled(order_id)["status"] == "completed"
    inserts = [path for method, path in world.google.calls[calls_before:] if method == "POST" and path.startswith("/admin/directory/v1/users") and "photos" not in path]
    assert len(inserts) == 1, inserts
    assert len([u for u in world.google.users.values() if u["primaryEmail"] == f"erlich@{domain}"]) == 1


def test_an_address_change_on_the_reseller_face_renames_the_user_at_google(world: World) -> None:
    reseller = httpx.Client(base_url=world.serve.base_url + "/api/v1/integration", headers={"cmr-x-api-key": world.http.headers["x-api-key"]}, timeout=30)
    domain = f"{unique('rn')}.com"
    user = reseller.post("/users", json={
        "email": f"monica@{domain}", "firstName": "Monica", "lastName": "Hall", "companyName": "Raviga Capital", "phone": "+1.6505550199",
        "address": "2624 Mill Street", "city": "Palo Alto", "state": "CA", "country": "US", "zipCode": "94301",
    })
    assert user.status_code == 201, user.text
    user_id = user.json()["data"]["userId"]
    created = reseller.post(f"/orders?userId={user_id}", json={
        "domains": [{"domain": domain, "years": 1}], "mailboxes": {domain: [{"username": "ann", "firstName": "Ann", "lastName": "Smith"}]},
        "serviceProvider": "GOOGLE", "confirm": True,
    })
    assert created.status_code == 201, created.text
    wait_until(lambda: world.domain(domain).get("status") == "needs_action", timeout=90, interval=0.2)
    world.set_dkim(domain)
    wait_until(lambda: world.google.user_by_email(f"ann@{domain}") is not None and world.domain(domain)["all_mailboxes_are_ready"], timeout=90, interval=0.2)
    mailbox_id = reseller.get("/mailboxes", params={"userId": user_id}).json()["data"]["mailboxes"][0]["mailboxId"]

    renamed = reseller.patch("/mailboxes", json={"userId": user_id, "mailboxId": mailbox_id, "username": "ann.smith"})
    assert renamed.status_code == 200, renamed.text
    wait_until(lambda: (u := world.google.user_by_email(f"ann.smith@{domain}")) is not None and u["primaryEmail"] == f"ann.smith@{domain}", timeout=60)
    wait_until(lambda: world.google.user_by_email(f"ann@{domain}") is None, timeout=30)  # the old address freed, not kept as an alias
    reseller.close()


def _days_after(moment: str, days: int) -> str:
    import datetime as dt

    when = dt.datetime.fromisoformat(moment.replace("Z", "+00:00")) + dt.timedelta(days=days)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")
