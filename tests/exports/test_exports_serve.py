"""End to end through `mailwright serve` (sandbox providers) with Instantly's loopback emulator as
the customer's sending platform: an order with exportTo ends with every mailbox at the platform
with its credentials, a mailbox the platform refuses fails alone with the platform's words, a
SIGKILL while the platform is adding an account and a restart add it once, and another
reseller's platforms and exports do not exist. One serve for the module (and its restart)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import OWNER, Cli, unique, wait_until
from tests.exports.instantly.emulator import InstantlyEmulator
from tests.support.serve import ServeProcess, serve_env

pytestmark = [pytest.mark.slow, pytest.mark.backend_independent]

KEY_LINE = re.compile(r"Its API key, shown only this once: (\S+)")
BASE = "/api/v1/integration"


@dataclass
class World:
    instantly: InstantlyEmulator
    serve: ServeProcess
    api_key: str
    root: Path

    def reseller(self, api_key: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.serve.base_url + BASE, headers={"cmr-x-api-key": api_key or self.api_key}, timeout=60)

    def export_of_order(self, order_id: str) -> str:
        """The order's export, from the server's database (webhooks tell customers its id)."""
        engine = sa.create_engine(f"sqlite:///{self.root / 'data' / 'mailwright.db'}")
        try:
            with engine.connect() as connection:
                return wait_until(lambda: connection.execute(sa.text("SELECT id FROM exports WHERE order_id = :o"), {"o": order_id}).scalar(), timeout=90)
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("exports-serve")
    instantly = InstantlyEmulator().start()
    serve = ServeProcess(serve_env(None, root / "data", billing_schedule=""), cwd=root).start().wait_ready()
    try:
        api_key = wait_until(lambda: KEY_LINE.search(serve.text), timeout=30).group(1)
        with httpx.Client(base_url=serve.base_url, headers={"x-api-key": api_key}, timeout=30) as http:
            assert http.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
        yield World(instantly, serve, api_key, root)
    finally:
        serve.stop()
        instantly.stop()
    assert instantly.api_key not in serve.text


def test_an_order_with_export_to_puts_every_mailbox_at_the_platform_but_the_refused_one(world: World) -> None:
    with world.reseller() as client:
        platform = client.post("/exports/platforms", json={"platform": "INSTANTLY", "name": "Hooli XYZ", "apiKey": world.instantly.api_key, "baseUrl": world.instantly.url})
        assert platform.status_code == 201, platform.text
        platform_id = platform.json()["data"]["platformId"]
        usernames = ("gavin", "denpok", "hoover")
        domain = f"{unique('sx')}.com"
        world.instantly.refuse_logins[f"denpok@{domain}"] = "Unable to connect to SMTP server: invalid login"
        created = client.post("/orders", json={
            "domains": [{"domain": domain, "years": 1}],
            "mailboxes": {domain: [{"username": u, "firstName": u.title(), "lastName": "Belson"} for u in usernames]},
            "confirm": True, "exportTo": platform_id,
        })
        assert created.status_code == 201, created.text
        export_id = world.export_of_order(created.json()["data"]["orderId"])

        data = wait_until(
            lambda: (d := client.get(f"/exports/{export_id}").json()["data"])["status"] != "PENDING" and len(d["mailboxes"]) == 3 and d,
            timeout=120, interval=0.3,
        )
        by_email = {m["email"]: m for m in data["mailboxes"]}
        assert data["status"] == "PARTIALLY_COMPLETED", data
        assert by_email[f"denpok@{domain}"]["status"] == "FAILED"
        assert "Unable to connect to SMTP server: invalid login" in by_email[f"denpok@{domain}"]["error"]
        for username in ("gavin", "hoover"):
            email = f"{username}@{domain}"
            assert by_email[email]["status"] == "EXPORTED" and by_email[email]["error"] is None
            account = world.instantly.accounts[email]
            mailbox_id = by_email[email]["mailboxId"]
            credentials = _credentials_of(world, mailbox_id)
            assert (account["first_name"], account["last_name"]) == (username.title(), "Belson")
            assert account["smtp_username"] == account["imap_username"] == email
            assert account["smtp_password"] == account["imap_password"] == credentials["password"]
            assert (account["smtp_host"], account["smtp_port"]) == (credentials["smtp_host"], credentials["smtp_port"])
            assert (account["imap_host"], account["imap_port"]) == (credentials["imap_host"], credentials["imap_port"])
        assert f"denpok@{domain}" not in world.instantly.accounts


def _credentials_of(world: World, mailbox_id: str) -> dict[str, Any]:
    """A mailbox's credentials as the Woodpecker-style face shows them."""
    with httpx.Client(base_url=world.serve.base_url, headers={"x-api-key": world.api_key}, timeout=30) as http:
        engine = sa.create_engine(f"sqlite:///{world.root / 'data' / 'mailwright.db'}")
        try:
            with engine.connect() as connection:
                email = connection.execute(sa.text("SELECT email FROM mailboxes WHERE id = :m"), {"m": mailbox_id}).scalar_one()
        finally:
            engine.dispose()
        shown = http.get(f"/rest/v2/domains/{email.split('@')[1]}/mailboxes/{email}").json()
    return {
        "password": shown["smtp_password"], "smtp_host": shown["smtp_server"], "smtp_port": shown["smtp_port"],
        "imap_host": shown["imap_server"], "imap_port": shown["imap_port"],
    }


def test_a_kill_while_the_platform_adds_an_account_adds_it_once_after_the_restart(world: World) -> None:
    with world.reseller() as client:
        platform_id = client.post("/exports/platforms", json={"platform": "INSTANTLY", "name": "Kill", "apiKey": world.instantly.api_key, "baseUrl": world.instantly.url}).json()["data"]["platformId"]
        domain = f"{unique('kx')}.com"
        email = f"erlich@{domain}"
        world.instantly.slow_creates[email] = 20.0  # added at once; the answer comes too late for this serve
        created = client.post("/orders", json={
            "domains": [{"domain": domain, "years": 1}], "mailboxes": {domain: [{"username": "erlich", "firstName": "Erlich", "lastName": "Bachman"}]},
            "confirm": True, "exportTo": platform_id,
        })
        assert created.status_code == 201, created.text
        wait_until(lambda: email in world.instantly.accounts, timeout=120, interval=0.1)
    world.serve.kill()  # Instantly has the account; Mailwright never heard it
    world.serve.start().wait_ready()
    with world.reseller() as client:
        export_id = world.export_of_order(created.json()["data"]["orderId"])
        data = wait_until(lambda: (d := client.get(f"/exports/{export_id}").json()["data"])["status"] != "PENDING" and d, timeout=120, interval=0.3)
        assert data["status"] == "COMPLETED", data
        assert data["mailboxes"][0]["remoteId"] == email
    creates = [c for c in world.instantly.calls_to("POST", "/api/v2/accounts") if c.body.get("email") == email]
    assert len(creates) == 1, creates
    assert list(world.instantly.accounts).count(email) == 1


def test_another_resellers_platforms_and_exports_do_not_exist(world: World) -> None:
    other_key = Cli(world.serve.env, cwd=world.serve.cwd).json("accounts", "create", "--name", "Raviga", "--currency", "USD")["api_key"]
    with world.reseller() as mine, world.reseller(other_key) as theirs:
        platforms = mine.get("/exports/platforms").json()["data"]["platforms"]
        assert platforms, "the earlier tests registered platforms"
        platform_id = platforms[0]["platformId"]
        assert theirs.get("/exports/platforms").json()["data"] == {"platforms": []}
        assert theirs.delete(f"/exports/platforms/{platform_id}").status_code == 404
        started = theirs.post("/exports", json={"platformId": platform_id, "mailboxIds": ["06HD4QK0B6N3T8W1Z4X7R9K2MQYQ"]})
        assert started.status_code == 404
        engine = sa.create_engine(f"sqlite:///{world.root / 'data' / 'mailwright.db'}")
        try:
            with engine.connect() as connection:
                export_id = connection.execute(sa.text("SELECT id FROM exports ORDER BY created_at LIMIT 1")).scalar_one()
        finally:
            engine.dispose()
        assert mine.get(f"/exports/{export_id}").status_code == 200
        assert theirs.get(f"/exports/{export_id}").status_code == 404
