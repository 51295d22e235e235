"""What the export tests on the session server share: live mailboxes of a customer's, and an export followed to its end."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa

from mailwright.mailboxes.models import Mailbox
from mailwright.runtime import Runtime
from tests.conftest import OWNER, Customer, LiveServer, client_for, unique, wait_for_order, wait_until


def live_mailboxes(runtime: Runtime, customer: Customer, server: LiveServer, *names: str) -> tuple[str, dict[str, Mailbox]]:
    """A new domain of the customer's with these mailboxes, live (sandbox hosts); its id and the mailboxes by name."""
    domain = f"{unique('lx')}.com"
    with client_for(server, customer) as woodpecker:
        assert woodpecker.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
        placed = woodpecker.post("/rest/v2/domains/order", json={
            "provider": "MAILDOSO", "domains": [domain],
            "mailboxes": [{"email": f"{n}@{domain}", "first_name": n.title(), "last_name": "Lee"} for n in names],
        })
        assert placed.status_code == 202, placed.text
        assert wait_for_order(woodpecker, placed.json()["order_id"])["status"] == "completed"
    with runtime.db.read() as session:
        rows = list(session.scalars(sa.select(Mailbox).where(Mailbox.email.in_([f"{n}@{domain}" for n in names]))))
        session.expunge_all()
    return rows[0].domain_id, {m.local_part: m for m in rows}


def settled(client: httpx.Client, export_id: str) -> dict[str, Any]:
    return wait_until(lambda: (d := client.get(f"/exports/{export_id}").json()["data"])["status"] != "PENDING" and d, timeout=60, interval=0.1)
