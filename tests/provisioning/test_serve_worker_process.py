"""`serve` runs its worker in a child process (provisioning/supervisor.py) that lives exactly as
long as it does: provisioning works through it, a worker that dies on its own is started again,
a SIGKILL of `serve` takes the worker with it, and a graceful stop stops both."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx
import pytest

from tests.conftest import OWNER, unique, wait_until
from tests.support.serve import ServeProcess, serve_env

pytestmark = [pytest.mark.slow, pytest.mark.backend_independent]


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def worker_of(serve: ServeProcess) -> int:
    """The pid of the one `mailwright worker` child of this serve."""
    assert serve.process is not None

    def found() -> int | None:
        workers = [c for c in children(serve.process.pid) if b"worker" in Path(f"/proc/{c}/cmdline").read_bytes()]
        return workers[0] if len(workers) == 1 else None

    return wait_until(found, timeout=60)


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status  # a zombie has ended; only its parent has not reaped it yet


def is_ready(http: httpx.Client, domain: str) -> bool:
    detail = http.get(f"/rest/v2/domains/{domain}").json()
    return detail["is_ready"] is True and detail["all_mailboxes_are_ready"] is True


def api_client(serve: ServeProcess) -> httpx.Client:
    key = next(line.split()[-1] for line in serve.output if "shown only this once" in line)
    return httpx.Client(base_url=serve.base_url, headers={"x-api-key": key}, timeout=60)


def order(http: httpx.Client) -> str:
    domain = f"{unique('sup')}.com"
    body = {"provider": "MAILDOSO", "domains": [domain], "mailboxes": [{"first_name": "A", "last_name": "B", "email": f"ann@{domain}"}]}
    assert http.post("/rest/v2/domains/order", json=body).status_code == 202
    return domain


def test_the_worker_child_provisions_restarts_after_a_crash_and_ends_with_serve(tmp_path):
    serve = ServeProcess(serve_env(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "data"), cwd=tmp_path).start().wait_ready()
    try:
        first = worker_of(serve)
        with api_client(serve) as http:
            assert http.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
            domain = order(http)
            wait_until(lambda: is_ready(http, domain), timeout=120)

            # A worker that dies on its own: serve says so and starts another, which provisions.
            os.kill(first, signal.SIGKILL)
            wait_until(lambda: "the worker process exited with code -9" in serve.text, timeout=30)
            second = worker_of(serve)
            assert second != first
            domain = order(http)
            wait_until(lambda: is_ready(http, domain), timeout=120)

        # SIGKILL of serve: no shutdown code runs in it, and its worker ends with it.
        serve.kill()
        wait_until(lambda: not alive(second), timeout=10)

        # A graceful stop (Ctrl-C) stops the worker first, and serve exits 0.
        serve.start().wait_ready()
        third = worker_of(serve)
        serve.stop()
        assert serve.process is not None and serve.process.returncode == 0, serve.text
        assert not alive(third)
    finally:
        serve.kill()
