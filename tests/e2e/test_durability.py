"""A `mailwright serve` killed with SIGKILL in the middle of provisioning, then started again,
finishes every order it had accepted: each domain registered once, each mailbox created once,
and the wallet's ledger exact. Also the first start on an empty database (the demo account and
its curl example, run as printed) and the second (no key printed)."""

from __future__ import annotations

import json
import re
import subprocess

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import BACKEND, OWNER, unique, wait_until
from tests.support.serve import ServeProcess, serve_env

pytestmark = pytest.mark.slow

KEY_LINE = re.compile(r"Its API key, shown only this once: (\S+)")
CURL_LINE = re.compile(r"^Try it:\s+(curl .+)$", re.MULTILINE)


def count_calls(engine: sa.Engine, operation: str, outcome: str) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT subject, count(*) FROM sandbox_calls WHERE operation = :op AND outcome = :outcome GROUP BY subject"),
            {"op": operation, "outcome": outcome},
        )
        return {subject: n for subject, n in rows}


def test_a_killed_server_finishes_every_accepted_order_after_restart(database_factory, tmp_path):
    if BACKEND == "sqlite":
        # serve's defaults: ./mailwright-data/mailwright.db in its working directory.
        env = serve_env(None, None, sandbox_latency_ms="300")
        database_url = f"sqlite:///{tmp_path / 'mailwright-data' / 'mailwright.db'}"
    else:
        database_url = database_factory(unique("durable"))
        env = serve_env(database_url, tmp_path / "data", sandbox_latency_ms="300")
    serve = ServeProcess(env, cwd=tmp_path).start().wait_ready()
    engine = sa.create_engine(database_url)
    try:
        # First start: a demo account, its key printed once with a curl command that works as printed.
        wait_until(lambda: CURL_LINE.search(serve.text), timeout=30)
        api_key = KEY_LINE.search(serve.text).group(1)  # type: ignore[union-attr]
        curl = subprocess.run(["bash", "-c", CURL_LINE.search(serve.text).group(1)], capture_output=True, text=True, timeout=60)  # type: ignore[union-attr]
        assert curl.returncode == 0, curl.stderr
        assert {p["name"] for p in json.loads(curl.stdout)["providers"]} == {"GOOGLE", "MICROSOFT", "MAILDOSO", "MAILFORGE"}
        if BACKEND == "sqlite":
            with engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"

        http = httpx.Client(base_url=serve.base_url, headers={"x-api-key": api_key}, timeout=60)
        assert http.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
        domains = [f"{unique('durable')}.com" for _ in range(3)]
        orders = [
            {"provider": "GOOGLE", "domains": domains[:2], "mailboxes": [{"first_name": "R", "last_name": "H", "email": f"{n}@{d}"} for d in domains[:2] for n in ("richard", "jared")]},
            {"provider": "MAILDOSO", "domains": domains[2:], "mailboxes": [{"first_name": "B", "last_name": "G", "email": f"gilfoyle@{domains[2]}"}]},
        ]
        accepted = []
        for body in orders:
            response = http.post("/rest/v2/domains/order", json=body)
            assert response.status_code == 202, response.text
            accepted.append(response.json()["order_id"])
        mailboxes = [m["email"] for body in orders for m in body["mailboxes"]]
        total_minor = 3 * 1300 + 4 * 600 + 1 * 400

        # Kill it once provisioning has visibly started, well before it can have finished.
        wait_until(lambda: count_calls(engine, "register", "ok"), timeout=120, interval=0.02)
        serve.kill()
        with engine.connect() as conn:
            unfinished = conn.execute(sa.text("SELECT count(*) FROM orders WHERE status = 'processing'")).scalar()
            live = conn.execute(sa.text("SELECT count(*) FROM mailboxes WHERE status = 'live'")).scalar()
        assert unfinished == 2 and live < len(mailboxes), "the kill came too late to prove anything"

        # Second start: the same database; no new demo key; the workflows resume.
        serve.start().wait_ready()
        for order_id in accepted:
            final = wait_until(lambda: (b := http.get(f"/rest/v2/domains/orders/{order_id}").json())["status"] != "processing" and b, timeout=240, interval=0.2)
            assert final["status"] == "completed", final
        assert not KEY_LINE.search(serve.text), serve.text
        for domain in domains:
            detail = http.get(f"/rest/v2/domains/{domain}").json()
            assert detail["is_ready"] is True and detail["all_mailboxes_are_ready"] is True, detail

        # Exactly one registration per domain and one creation per mailbox at the provider.
        assert count_calls(engine, "register", "ok") == {d: 1 for d in domains}
        assert count_calls(engine, "create_mailbox", "ok") == {m: 1 for m in mailboxes}
        with engine.connect() as conn:
            entries = conn.execute(sa.text("SELECT kind, amount_minor FROM ledger_entries")).all()
        assert sorted(entries) == sorted([("credit", 50000), ("debit", -(2 * 1300 + 4 * 600)), ("debit", -(1300 + 400))])
        assert sum(amount for _, amount in entries) == 50000 - total_minor
        http.close()
    finally:
        serve.kill()
        engine.dispose()
