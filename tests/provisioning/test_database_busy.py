"""Our own database being busy is never a provider's failure: a step that finds no pooled
connection free in time (SQLAlchemy's pool timeout, as when a thousand domains provision at once
on SQLite) runs again, and the item is neither failed nor refunded."""

from __future__ import annotations

from sqlalchemy.exc import TimeoutError as PoolTimeout

from mailwright.provisioning import slots
from tests.conftest import unique
from tests.provisioning.support import items, ledger, order, settled


def test_a_step_that_finds_the_connection_pool_exhausted_runs_again(api_with_owner, account, runtime, monkeypatch):
    installed = slots.installed()
    take = installed.try_acquire
    refused: list[str] = []

    def pool_exhausted_twice(role: str, holder: str):
        if role == "registrar" and len(refused) < 2:
            refused.append(holder)
            raise PoolTimeout("QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00")
        return take(role, holder)

    monkeypatch.setattr(installed, "try_acquire", pool_exhausted_twice)
    domain = f"{unique('busy')}.com"
    body = settled(api_with_owner, order(api_with_owner, [domain], [f"ann@{domain}"]))

    assert len(refused) == 2
    assert body["status"] == "completed", body
    assert {name: item["status"] for name, item in items(body).items()} == {domain: "ready", f"ann@{domain}": "live"}
    assert [e.kind for e in ledger(runtime, account.id) if e.kind == "refund"] == []
