"""Real `mailwright worker` processes on a database of their own, for crash and limit tests.

The test process places orders through the service layer (the same path the API takes) with a
runtime on that database that never launches the workflow engine; the workers do all the work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from mailwright import runtime as runtime_module
from mailwright.accounts import service as accounts
from mailwright.db import migrate
from mailwright.money import Money
from mailwright.orders import service as orders
from mailwright.orders.models import Order, OrderStatus
from mailwright.orders.requests import (
    DomainOrderRequest,
    RequestedDomain,
    RequestedMailbox,
)
from mailwright.owners import service as owners
from mailwright.providers.sandbox.models import SandboxCall
from mailwright.runtime import Runtime
from tests.conftest import OWNER, settings_for, wait_until
from tests.support import polling

WORKER_ENV = {
    "MAILWRIGHT_QUEUE_POLL_SECONDS": str(polling.POLL_SECONDS),
    "MAILWRIGHT_QUEUE_LIMITS": polling.QUEUE_LIMITS,
    "MAILWRIGHT_STEP_RETRY_SECONDS": "0.1",
    "MAILWRIGHT_WORKER_HEARTBEAT_SECONDS": "0.5",
    "MAILWRIGHT_WORKER_DEAD_AFTER_SECONDS": "3",
    "MAILWRIGHT_LOG_LEVEL": "WARNING",
    "MAILWRIGHT_DEMO_ACCOUNT": "false",
}


@dataclass
class WorkerFleet:
    """A database, a runtime on it for the test's own reads and writes, and worker processes."""

    runtime: Runtime
    data_dir: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, executor_id: str | None = None) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "mailwright.cli", "worker"]
        if executor_id:
            command += ["--executor-id", executor_id]
        log = open(self.data_dir / f"{name}.log", "ab")
        process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.processes.clear()

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.data_dir.glob("*.log")))

    # ---------------------------------------------------------------- orders and checks

    def account(self, credit_minor: int) -> str:
        with self.runtime.db.write() as session:
            account, _ = accounts.create_account(session, "Workers test", "USD", credit=Money(credit_minor, "USD"))
            owners.replace_owner(session, account.id, owners.validate_owner(OWNER))
        return account.id

    def place(self, account_id: str, domains: list[str], emails: list[str], provider: str = "MAILDOSO") -> Order:
        rt = self.runtime
        request = DomainOrderRequest(
            provider=provider,
            domains=[RequestedDomain(d, f"domains[{i}]") for i, d in enumerate(domains)],
            mailboxes=[RequestedMailbox.at(f"mailboxes[{i}]", e, "Richard", "Hendricks") for i, e in enumerate(emails)],
        )
        with rt.db.read() as session:
            account = accounts.get_account(session, account_id)
            plan = orders.plan_domain_order(session, rt.settings, rt.providers, account, request)
        with rt.db.write() as session:
            return orders.place_order(session, rt, plan)

    def order_statuses(self, order_ids: list[str]) -> dict[str, str]:
        with self.runtime.db.read() as session:
            return dict(session.execute(sa.select(Order.id, Order.status).where(Order.id.in_(order_ids))).all())

    def wait_final(self, order_ids: list[str], timeout: float) -> dict[str, str]:
        def done() -> dict[str, str] | None:
            statuses = self.order_statuses(order_ids)
            return statuses if all(s in OrderStatus.FINAL for s in statuses.values()) else None

        try:
            return wait_until(done, timeout=timeout, interval=0.2)
        except AssertionError:
            raise AssertionError(f"orders not final: {self.order_statuses(order_ids)}\n{self.logs()}") from None

    def calls(self, operation: str, outcome: str = "ok") -> list[tuple[str, Any]]:
        with self.runtime.db.read() as session:
            return list(
                session.execute(
                    sa.select(SandboxCall.subject, SandboxCall.at)
                    .where(SandboxCall.operation == operation, SandboxCall.outcome == outcome)
                    .order_by(SandboxCall.at, SandboxCall.id)
                ).all()
            )


def worker_fleet(database_url: str, data_dir: Path, **env: str) -> Iterator[WorkerFleet]:
    settings = settings_for(database_url, data_dir)
    rt = runtime_module.build(settings)
    migrate.upgrade(rt.db)
    worker_env = os.environ | WORKER_ENV | {
        "MAILWRIGHT_DATABASE_URL": database_url,
        "MAILWRIGHT_DATA_DIR": str(data_dir),
        "MAILWRIGHT_SECRET_KEY": settings.secret_key,
        "PYTHONUNBUFFERED": "1",
    } | env
    fleet = WorkerFleet(rt, data_dir, worker_env)
    try:
        yield fleet
    finally:
        fleet.stop_all()
        rt.close()
