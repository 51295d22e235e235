"""`mailwright serve` with Porkbun as registrar and DNS host, pointed at the loopback emulator:
an order buys the domain in the emulated account (once, at its quoted price, with the delegation
left on Porkbun's nameservers), publishes exactly Mailwright's records there, and becomes ready once
they are served (real DNS from the emulator's records). And `serve` with MAILWRIGHT_REGISTRAR=porkbun
but no key stops at start with one line naming it."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import BACKEND, OWNER, unique, wait_until
from tests.providers.porkbun.dns_server import EmulatedZones
from tests.providers.porkbun.emulator import NAMESERVERS, PorkbunEmulator
from tests.support.serve import MAILWRIGHT_COMMAND, ServeProcess, serve_env

# The adapter through `serve`; the storage under it is tested on both backends by the sandbox's flows.
pytestmark = [pytest.mark.slow, pytest.mark.backend_independent]

KEY_LINE = re.compile(r"Its API key, shown only this once: (\S+)")
FINAL = ("ready", "failed", "needs_action")


@pytest.fixture(scope="module")
def emulator() -> Iterator[PorkbunEmulator]:
    emulator = PorkbunEmulator().start()
    yield emulator
    emulator.stop()


def test_an_order_is_bought_and_published_in_the_porkbun_account(
    emulator: PorkbunEmulator, database_factory: Callable[[str], str], tmp_path: Path
) -> None:
    zones = EmulatedZones(emulator)
    dns_port = zones.server.start()
    database_url = f"sqlite:///{tmp_path / 'mailwright.db'}" if BACKEND == "sqlite" else database_factory(unique("porkbun"))
    env = serve_env(
        database_url,
        tmp_path / "data",
        registrar="porkbun",
        dns_host="porkbun",
        porkbun_api_key=emulator.api_key,
        porkbun_secret_api_key=emulator.secret_api_key,
        porkbun_base_url=emulator.base_url,
        dns_verify_server=f"127.0.0.1:{dns_port}",
        dns_verify_attempts="1",
        dns_verify_retry_seconds="0",
        dns_query_timeout_seconds="0.5",
    )
    serve = ServeProcess(env, cwd=tmp_path).start().wait_ready()
    try:
        api_key = wait_until(lambda: KEY_LINE.search(serve.text), timeout=30).group(1)
        http = httpx.Client(base_url=serve.base_url, headers={"x-api-key": api_key}, timeout=30)
        domain = f"{unique('pb')}.com"
        assert http.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
        order = http.post("/rest/v2/domains/order", json={
            "provider": "MAILDOSO", "domains": [domain],
            "mailboxes": [{"first_name": "Richard", "last_name": "Hendricks", "email": f"richard@{domain}"}],
        })
        assert order.status_code == 202, order.text
        detail = wait_until(lambda: (d := http.get(f"/rest/v2/domains/{domain}").json())["status"] in FINAL and d, timeout=90, interval=0.2)

        # Bought once, for Porkbun's quoted price, in the emulated account; delegation stays on Porkbun.
        assert emulator.charges == [("registration", domain, 1108)]
        assert [b for p, b, _ in emulator.calls if p == f"/domain/create/{domain}"] == [{"cost": 1108, "agreeToTerms": "yes"}]
        assert emulator.domains[domain].ns == NAMESERVERS
        assert f"/domain/updateNs/{domain}" not in emulator.paths()

        # Exactly Mailwright's records were published there, next to Porkbun's parking records.
        expected = http.get(f"/rest/v2/domains/{domain}/dns").json()["records"]
        published = {
            (r.name, r.type) for r in emulator.domains[domain].records if r.content != "pixie.porkbun.com"
        }
        assert published == {(e["fqdn"], e["type"]) for e in expected}
        assert len([r for r in emulator.domains[domain].records if r.type == "MX"]) == len([e for e in expected if e["type"] == "MX"])

        # The readiness checks query the records where the emulated account serves them
        # (MAILWRIGHT_DNS_VERIFY_SERVER: Porkbun's real nameservers are out of reach here).
        assert detail["status"] == "ready" and detail["is_ready"], detail
        assert any(q.startswith("_dmarc." + domain) for q in zones.queried)
        http.close()
    finally:
        serve.stop()
        zones.server.stop()
    for secret in (emulator.secret_api_key, emulator.api_key):
        assert secret not in serve.text


@pytest.mark.backend_independent  # its own SQLite file; serve stops before using it
def test_serve_without_the_key_stops_at_start_naming_it(tmp_path: Path) -> None:
    env = serve_env(f"sqlite:///{tmp_path / 'mailwright.db'}", tmp_path / "data", registrar="porkbun")
    result = subprocess.run([MAILWRIGHT_COMMAND, "serve", "--port", "0"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert lines == ["Error: MAILWRIGHT_PORKBUN_API_KEY: must be set for MAILWRIGHT_REGISTRAR=porkbun"], lines
