"""What a benchmark runs against: databases (a SQLite file in a temporary directory, or a
database on a throwaway PostgreSQL server started as the tests do), Mailwright's `serve` and
`worker` processes, and the floor app, each on a free loopback port."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import loopback, processes
from bench.load import Generator
from bench.plan import Plan
from bench.processes import Process
from mailwright.api.woodpecker.examples import OWNER as EXAMPLE_OWNER
from tests.support.postgres import ThrowawayPostgres, free_port

ROOT = Path(__file__).resolve().parent.parent
MAILWRIGHT = str(Path(sys.executable).with_name("mailwright"))
PROVIDER = "GOOGLE"
MAILBOXES_PER_DOMAIN = 3
# The documented example owner (the API's examples): the registrant contact orders need.
OWNER = {k: v for k, v in EXAMPLE_OWNER.items() if k != "configuration"}
# Limits raised so that nothing but the work itself is measured: no rate limit, orders as large
# as the bulk benchmark's, a wallet that never runs out; no renewal schedule meanwhile.
BENCH_SETTINGS = {
    "log_level": "WARNING",
    "sandbox_dns_port": "0",
    "rate_limit_per_minute": "100000000",
    "rate_limit_burst": "10000000",
    "max_domains_per_order": "10000",
    "max_mailboxes_per_order": "30000",
    "demo_credit": "100000000.00",
    "billing_schedule": "",
}
_DEMO_KEY = re.compile(r"Its API key, shown only this once: (\S+)")


class Workspace:
    """Temporary directories and databases of a run (one throwaway PostgreSQL server for all),
    the floor apps every benchmark compares with, the load generator, and with --quick the
    `serve` processes the benchmarks share; removed at the end of the run (or at exit)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="mailwright-bench-"))
        self._postgres: ThrowawayPostgres | None = None
        self._count = 0
        self._floors: dict[str, Server] = {}
        self._shared: dict[tuple, tuple[Server, str]] = {}
        self._generator: Generator | None = None
        # One key for every process of the run, as an operator gives all processes on one
        # database (README: Workers and queues): what one encrypts, the others decrypt.
        self.secret_key = secrets.token_urlsafe(32)
        processes.on_exit(self._remove)

    def generator(self) -> Generator:
        """The run's load generator: its processes start (and import httpx) once, not per benchmark."""
        if self._generator is None:
            self._generator = Generator()
        return self._generator

    @contextmanager
    def serving(self, plan: Plan, name: str, backend: str, *, worker: bool = True, **settings: str | int) -> Iterator[tuple[Server, str]]:
        """A `serve` and its database URL: a new database and process, stopped at the end; with
        --quick, whose figures mean nothing, one process per backend, worker or not and
        settings, shared by every benchmark of the run, so that the run takes seconds, not a
        process start per measurement; paused between the benchmarks (its worker's polling
        would take CPU from the others)."""
        settings = plan.serve_settings | settings
        if not plan.quick:
            url = self.database(backend, name)
            server = start_serve(self, url, worker=worker, **settings)
            try:
                yield server, url
            finally:
                server.stop()
            return
        key = (backend, worker, tuple(sorted((k, str(v)) for k, v in settings.items())))
        if key not in self._shared or self._shared[key][0].process.popen.poll() is not None:
            url = self.database(backend, f"shared{len(self._shared)}")
            self._shared[key] = (start_serve(self, url, worker=worker, keep=True, **settings), url)
            processes.pause_between_benchmarks(self._shared[key][0].process)
        self._shared[key][0].process.resume()  # paused since the last benchmark that used it
        yield self._shared[key]

    def directory(self, name: str) -> Path:
        self._count += 1
        path = self.root / f"{self._count}-{name}"
        path.mkdir()
        return path

    def database(self, backend: str, name: str) -> str:
        """A new empty database: a SQLite file URL, or a PostgreSQL database's."""
        if backend == "sqlite":
            return f"sqlite:///{self.directory(name) / 'db.sqlite'}"
        if self._postgres is None:
            self._postgres = ThrowawayPostgres().start()
        self._count += 1
        return self._postgres.create_database(f"{name}_{self._count}")

    def floor(self, backend: str) -> Server:
        """The run's floor app on `backend`, started when first needed."""
        return self.floors(backend)[0]

    def floors(self, *backends: str) -> list[Server]:
        """The run's floor apps on these backends; those not running yet started side by side."""
        missing = [b for b in backends if b not in self._floors or self._floors[b].process.popen.poll() is not None]
        started = {b: start_floor(self, self.database(b, "floor"), wait=False, keep=True) for b in missing}
        for backend, floor in started.items():
            floor.ready_seconds = floor.process.wait_http(f"{floor.base_url}/ready")
            warm_floor(floor)
            self._floors[backend] = floor
        return [self._floors[b] for b in backends]

    def _remove(self) -> None:
        global _workspace
        _workspace = None
        self._floors.clear()
        self._shared.clear()
        if self._generator is not None:
            self._generator.close()
            self._generator = None
        if self._postgres is not None:
            self._postgres.stop()
            self._postgres = None
        shutil.rmtree(self.root, ignore_errors=True)


_workspace: Workspace | None = None


def workspace() -> Workspace:
    global _workspace
    if _workspace is None:
        _workspace = Workspace()
    return _workspace


def mailwright_env(database_url: str, data_dir: Path, **settings: str | int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILWRIGHT_")}
    values = BENCH_SETTINGS | {k: str(v) for k, v in settings.items()}
    env |= {f"MAILWRIGHT_{k.upper()}": v for k, v in values.items()}
    env |= {"MAILWRIGHT_DATABASE_URL": database_url, "MAILWRIGHT_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    return env


@dataclass
class Server:
    """A process answering HTTP on 127.0.0.1:port."""

    process: Process
    port: int
    ready_seconds: float = 0.0
    api_key: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.stop()


def start_serve(
    workspace: Workspace, database_url: str, *, worker: bool = True, wait: bool = True, keep: bool = False, **settings: str | int
) -> Server:
    """`mailwright serve` (API + worker unless `worker` is False) on a free port. On a new database
    it creates the demo account, whose key is kept in `api_key`. `keep`: it lives for the run."""
    port = free_port()
    data_dir = workspace.directory("serve")
    command = [MAILWRIGHT, "serve", "--port", str(port)] + ([] if worker else ["--no-worker"])
    env = mailwright_env(database_url, data_dir, secret_key=workspace.secret_key, **settings)
    server = Server(Process("serve", command, env, data_dir, keep=keep), port)
    if wait:
        wait_serve(server)
    return server


def wait_serve(server: Server) -> Server:
    server.ready_seconds = server.process.wait_http(f"{server.base_url}/readyz")
    match = _DEMO_KEY.search(server.process.text)
    server.api_key = match.group(1) if match else ""
    return server


def start_worker(workspace: Workspace, database_url: str, number: int, **settings: str | int) -> Process:
    data_dir = workspace.directory("worker")
    env = mailwright_env(database_url, data_dir, secret_key=workspace.secret_key, **settings)
    return Process(f"worker {number}", [MAILWRIGHT, "worker", "--executor-id", f"bench-{number}"], env, data_dir)


def start_floor(workspace: Workspace, database_url: str, *, wait: bool = True, keep: bool = False) -> Server:
    port = free_port()
    cwd = workspace.directory("floor")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILWRIGHT_")} | {
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "bench.floor", "--database-url", database_url, "--port", str(port)]
    server = Server(Process("floor", command, env, cwd, keep=keep), port)
    if wait:
        server.ready_seconds = server.process.wait_http(f"{server.base_url}/ready")
    return server


def warm_floor(floor: Server) -> None:
    """Each of the floor's requests once: its first use is not measured, as Mailwright's is not."""
    with loopback.client(base_url=floor.base_url, timeout=60) as client:
        client.post("/order", json=order_body(["warmup.com"])).raise_for_status()
        client.post("/bulk", json=order_body(["warmup.com"])).raise_for_status()
        client.get("/items", params={"n": 10}).raise_for_status()


def api(server: Server) -> httpx.Client:
    return loopback.client(base_url=f"{server.base_url}/rest/v2/domains", headers={"x-api-key": server.api_key}, timeout=600)


def prepare_account(server: Server, *, warm: bool = True) -> None:
    """The demo account's owner (registrant contact), which orders need, and a first order: what a
    process builds on first use (caches, the domain name suffix list) is not measured. Once per
    server (a shared one is prepared by the first benchmark that uses it)."""
    if server.extra.get("prepared") == "warm" or (server.extra.get("prepared") and not warm):
        return
    with api(server) as client:
        if not server.extra.get("prepared"):
            client.post("/owner", json=OWNER).raise_for_status()
        server.extra["prepared"] = "warm" if warm else "owner"
        if warm:
            client.post("/order", json=order_body([f"warmup{secrets.token_hex(4)}.com"])).raise_for_status()


def order_body(domains: list[str]) -> dict:
    mailboxes = [
        {"first_name": f"Ann{i}", "last_name": "Bench", "email": f"ann{i}@{domain}"}
        for domain in domains
        for i in range(MAILBOXES_PER_DOMAIN)
    ]
    return {"provider": PROVIDER, "domains": domains, "mailboxes": mailboxes}


def order_template() -> str:
    """An intake order (1 domain, 3 mailboxes) as JSON with `{uid}` as the domain's label."""
    return json.dumps(order_body(["{uid}.com"]))
