"""`mailwright serve` with MAILWRIGHT_DNS_HOST=cloudflare, pointed at the loopback emulator of
Cloudflare's API, and the sandbox registrar: an order creates the zone in the emulated account,
delegates the sandbox registration to the nameservers Cloudflare assigned, and publishes the
domain's records there.

Readiness is proved by real DNS queries. Cloudflare's nameservers are on the internet, which tests
never reach, so MAILWRIGHT_DNS_VERIFY_SERVER sends them to a DNS server on loopback that answers
from the emulator's records (tests/providers/cloudflare/dns_server.py), as Cloudflare's would."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import OWNER, unique, wait_until
from tests.providers.cloudflare.dns_server import EmulatorDns
from tests.providers.cloudflare.emulator import CloudflareEmulator, txt_strings_of
from tests.support.serve import MAILWRIGHT_COMMAND, ServeProcess, serve_env

# The adapter through `serve`; the storage under it is tested on both backends by the sandbox's flows.
pytestmark = [pytest.mark.slow, pytest.mark.backend_independent]

KEY_LINE = re.compile(r"Its API key, shown only this once: (\S+)")


@pytest.fixture(scope="module")
def cf() -> Iterator[CloudflareEmulator]:
    emulator = CloudflareEmulator().start()
    yield emulator
    emulator.stop()


def test_an_order_creates_the_zone_at_cloudflare_delegates_to_it_and_becomes_ready(cf, database_factory, tmp_path):
    token = cf.add_token()
    served = EmulatorDns(cf)
    cf.max_per_page = 5  # every list the adapter reads is paged
    database_url = database_factory(unique("cfserve"))
    env = serve_env(
        database_url,
        tmp_path / "data",
        dns_host="cloudflare",
        cloudflare_api_token=token,
        cloudflare_account_id=cf.account_id,
        cloudflare_base_url=cf.base_url,
        dns_verify_server=f"127.0.0.1:{served.port}",
    )
    serve = ServeProcess(env, cwd=tmp_path).start().wait_ready()
    engine = sa.create_engine(database_url)
    try:
        api_key = wait_until(lambda: (m := KEY_LINE.search(serve.text)) and m.group(1), timeout=30)
        http = httpx.Client(base_url=serve.base_url, headers={"x-api-key": api_key}, timeout=60)
        assert http.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
        name = f"{unique('cfserve')}.com"
        body = {"provider": "GOOGLE", "domains": [name], "mailboxes": [{"first_name": "R", "last_name": "H", "email": f"richard@{name}"}]}
        ordered = http.post("/rest/v2/domains/order", json=body)
        assert ordered.status_code == 202, ordered.text
        order_id = ordered.json()["order_id"]
        final = wait_until(lambda: (b := http.get(f"/rest/v2/domains/orders/{order_id}").json())["status"] != "processing" and b, timeout=120, interval=0.2)

        # The zone, in the operator's account, created once.
        zone = cf.zone_named(name)
        assert zone is not None and zone["type"] == "full"
        assert [z["name"] for z in cf.zones.values()].count(name) == 1
        assert sum(1 for m, p in cf.calls if m == "POST" and p.endswith("/zones")) == 1
        # The registrar delegates to the nameservers Cloudflare assigned to it.
        with engine.connect() as conn:
            delegated = conn.execute(sa.text("SELECT nameservers FROM sandbox_domains WHERE domain = :d"), {"d": name}).scalar()
        assert delegated == ",".join(zone["name_servers"])
        # The domain's records, under full names, TXT as quoted strings, each once.
        records = cf.records_of(name)
        kinds = {(r["type"], r["name"]) for r in records}
        assert ("MX", name) in kinds and ("TXT", f"_dmarc.{name}") in kinds
        spf = [r for r in records if r["type"] == "TXT" and r["name"] == name and "v=spf1" in r["content"]]
        assert len(spf) == 1 and spf[0]["content"].startswith('"v=spf1 ') and "include:_spf.google.com" in spf[0]["content"]
        mx = sorted((r["priority"], r["content"]) for r in records if r["type"] == "MX")
        assert mx and all(not host.endswith(".") for _, host in mx)
        assert len({(r["type"], r["name"], r["content"], r.get("priority")) for r in records}) == len(records)
        dkim = [r for r in records if "_domainkey" in r["name"]]
        assert all(len(s.encode()) <= 255 for r in dkim for s in txt_strings_of(r["content"]))
        with engine.connect() as conn:
            stored = conn.execute(
                sa.text("SELECT count(*) FROM dns_records r JOIN domains d ON d.id = r.domain_id WHERE d.name = :d AND r.managed"),
                {"d": name},
            ).scalar()
        assert stored == len(records)

        # Served as published: the domain and its mailbox are ready, and paid for.
        assert final["status"] == "completed", final
        detail = http.get(f"/rest/v2/domains/{name}").json()
        assert detail["is_ready"] is True, detail
        with engine.connect() as conn:
            entries = conn.execute(sa.text("SELECT kind FROM ledger_entries")).scalars().all()
        assert "refund" not in entries, entries
        assert token not in serve.text
        http.close()
    finally:
        serve.stop()
        served.stop()
        engine.dispose()


@pytest.mark.backend_independent  # its own SQLite file; serve stops before using it
def test_serve_stops_at_start_naming_a_missing_cloudflare_setting(cf, tmp_path):
    env = serve_env(f"sqlite:///{tmp_path / 'mw.db'}", tmp_path / "data", dns_host="cloudflare", cloudflare_account_id=cf.account_id)
    done = subprocess.run([MAILWRIGHT_COMMAND, "serve", "--port", "0"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip() == "Error: MAILWRIGHT_CLOUDFLARE_API_TOKEN: must be set for MAILWRIGHT_DNS_HOST=cloudflare"
