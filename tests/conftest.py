"""Shared fixtures. One pytest process tests one database backend, chosen by
MAILWRIGHT_TEST_BACKEND (sqlite, the default, or postgresql); `./mw test` runs both side by side.

Session-scoped: the database (a SQLite file, or a throwaway PostgreSQL server), the runtime with
the workflow engine running, and the app served over real HTTP by uvicorn. Tests isolate
themselves by creating their own accounts and unique domain names, never by resetting data."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from mailwright import runtime as runtime_module
from mailwright.accounts import service as accounts
from mailwright.api.server import ServerConfig
from mailwright.app import create_app
from mailwright.config import Settings
from mailwright.db import migrate
from mailwright.money import Money, parse_minor
from mailwright.owners import service as owners
from mailwright.provisioning import worker
from mailwright.runtime import Runtime
from tests.support import cli_processes, polling
from tests.support.postgres import ThrowawayPostgres, create_database_at, free_port

BACKEND = os.environ.get("MAILWRIGHT_TEST_BACKEND", "sqlite")
if BACKEND not in ("sqlite", "postgresql"):
    raise pytest.UsageError(f"MAILWRIGHT_TEST_BACKEND must be sqlite or postgresql, not {BACKEND!r}")

# Fast retries: tests wait on real workflows (polling: tests/support/polling.py).
FAST = {
    "queue_poll_seconds": polling.POLL_SECONDS,
    "queue_limits": polling.QUEUE_LIMITS,
    "step_retry_seconds": 0.05,
    "rate_limit_per_minute": 100_000,
    "rate_limit_burst": 10_000,
    # Every test client is 127.0.0.1, and many tests try wrong keys on purpose.
    "auth_failures_per_minute": 100_000,
    "auth_failures_burst": 10_000,
    "webhook_retry_seconds": 0.05,
    "webhook_max_attempts": 4,
    # DNS verification: quick re-checks; each test process its own sandbox DNS port, so the
    # SQLite and PostgreSQL runs never answer each other's queries.
    "dns_verify_attempts": 4,
    "dns_verify_retry_seconds": 0.05,
    "dns_verify_max_wait_seconds": 0.5,
    "sandbox_dns_port": 0,
    # No background renewal schedule: billing tests run renewals at explicit times (run_due),
    # and a schedule firing while a test has moved the clock would act on every account.
    "billing_schedule": "",
    # Webhook receivers and picture servers of the tests listen on loopback. Tests of the
    # outbound guard itself turn this off (make_server, or a policy of their own).
    "outbound_allow_private": True,
}

OWNER = {
    "email": "richard@hooli.com",
    "first_name": "Richard",
    "last_name": "Hendricks",
    "company_name": "Pied Piper",
    "address": "5230 Newell Road",
    "city": "Palo Alto",
    "state": "CA",
    "country": "US",
    "zip_code": "94303",
    "phone": "+1.6505550100",
}


# Tests that use no database of the backend under test: they give the same answer on every backend.
# Besides these paths and the marker, any test that does not use `database_factory` (every
# fixture of the backend's databases comes from it): provider adapters against their emulators,
# BIND, settings.
ONCE_PATHS = ("tests/unit/", "tests/launcher/", "tests/readme/")
# tests/run.py runs them in a process of their own ("once") and the rest per backend ("backend");
# a plain pytest run ("all") runs them with SQLite and leaves them out with PostgreSQL.
PART = os.environ.get("MAILWRIGHT_TEST_PART", "all")


def _runs_once(item: pytest.Item) -> bool:
    return (
        item.get_closest_marker("backend_independent") is not None
        or item.nodeid.startswith(ONCE_PATHS)
        or "database_factory" not in getattr(item, "fixturenames", ())
    )


# tests/run.py splits a backend's tests into shards, "i/n": whole files, each in one shard.
SHARD = os.environ.get("MAILWRIGHT_TEST_SHARD", "1/1")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leaves out (deselected: counted in the run that has them, never skipped) the tests another
    run of the suite runs: see PART and SHARD."""
    if PART == "once":
        keep = _runs_once
    elif PART == "backend" or BACKEND != "sqlite":
        keep = lambda item: not _runs_once(item)  # noqa: E731
    else:
        keep = lambda item: True  # noqa: E731
    kept = [item for item in items if keep(item)]
    if PART == "backend":
        kept = _shard(kept, SHARD)
    if len(kept) < len(items):
        chosen = set(map(id, kept))
        config.hook.pytest_deselected(items=[item for item in items if id(item) not in chosen])
        items[:] = kept


def _shard(items: list[pytest.Item], shard: str) -> list[pytest.Item]:
    """This shard's files: every process of a backend collects the same tests and deals the files
    out the same way, heaviest first to the lightest shard (a test through a real process, marked
    slow, weighs ten)."""
    number, _, count = shard.partition("/")
    if not (number.isdigit() and count.isdigit() and 1 <= int(number) <= int(count)):
        raise pytest.UsageError(f"MAILWRIGHT_TEST_SHARD must be i/n, e.g. 1/2; got {shard!r}")
    weights: dict[str, int] = {}
    for item in items:
        weights[item.path.as_posix()] = weights.get(item.path.as_posix(), 0) + (10 if item.get_closest_marker("slow") else 1)
    loads, owner = [0] * int(count), {}
    for path in sorted(weights, key=lambda p: (-weights[p], p)):
        lightest = loads.index(min(loads))
        owner[path] = lightest + 1
        loads[lightest] += weights[path]
    return [item for item in items if owner[item.path.as_posix()] == int(number)]


def pytest_report_header() -> str:
    return f"mailwright database backend: {BACKEND}"


# ------------------------------------------------------------------ databases


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], str]]:
    """Makes a fresh, empty database and returns its URL."""
    if BACKEND == "sqlite":
        root = tmp_path_factory.mktemp("sqlite")
        yield lambda name: f"sqlite:///{root / name}.db"
        return
    external = os.environ.get("MAILWRIGHT_TEST_POSTGRES_URL")
    if external:
        yield lambda name: create_database_at(external, f"mw_{name}_{os.getpid()}")
        return
    server = ThrowawayPostgres().start()
    try:
        yield lambda name: server.create_database(f"mw_{name}")
    finally:
        server.stop()


def settings_for(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        log_level="WARNING",
        **(FAST | overrides),
    )


@pytest.fixture(scope="session")
def runtime(database_factory: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    settings = settings_for(database_factory("main"), tmp_path_factory.mktemp("data"))
    rt = runtime_module.build(settings)
    migrate.upgrade(rt.db)
    runtime_module.install(rt)
    worker.launch(rt)
    _engine_ran.append(True)
    yield rt
    worker.shutdown()
    runtime_module.install(None)
    rt.close()


# Once the workflow engine ran in this process, it must end without joining the engine's
# executor threads (see worker.exit_process): after pytest has reported, exit with its status.
_engine_ran: list[bool] = []
_exit_status: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if _engine_ran and _exit_status:
        worker.exit_process(_exit_status[-1])


# ------------------------------------------------------------------ HTTP


@dataclass
class LiveServer:
    base_url: str
    runtime: Runtime
    _server: uvicorn.Server
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def serve_in_thread(rt: Runtime) -> LiveServer:
    port = free_port()
    server = uvicorn.Server(ServerConfig(create_app(rt), rt.settings, host="127.0.0.1", port=port, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    return LiveServer(f"http://127.0.0.1:{port}", rt, server, thread)


@pytest.fixture(scope="session")
def server(runtime: Runtime) -> Iterator[LiveServer]:
    live = serve_in_thread(runtime)
    yield live
    live.stop()


@pytest.fixture
def make_server(runtime: Runtime) -> Iterator[Callable[..., LiveServer]]:
    """Another server on the same runtime with some settings changed (rate limits, body size ...)."""
    started: list[LiveServer] = []

    def make(**overrides: Any) -> LiveServer:
        rt = dataclasses.replace(runtime, settings=runtime.settings.model_copy(update=overrides))
        live = serve_in_thread(rt)
        started.append(live)
        return live

    yield make
    for live in started:
        live.stop()


# ------------------------------------------------------------------ accounts


@dataclass
class Customer:
    id: str
    api_key: str
    currency: str

    @property
    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.api_key}


@pytest.fixture
def make_account(runtime: Runtime) -> Callable[..., Customer]:
    def make(credit: str = "1000.00", currency: str = "USD") -> Customer:
        with runtime.db.write() as session:
            opening = Money(parse_minor(credit), currency) if parse_minor(credit) else None
            account, key = accounts.create_account(session, f"Test {uuid.uuid4().hex[:6]}", currency, credit=opening)
        return Customer(account.id, key, currency)

    return make


@pytest.fixture
def account(make_account: Callable[..., Customer]) -> Customer:
    return make_account()


# One TLS context for every test client: httpx builds one per client otherwise, loading the CA
# bundle each time (about 50 ms of CPU), though the test servers speak plain HTTP.
TLS = httpx.create_ssl_context()


def client_for(server: LiveServer, account: Customer | None = None) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, headers=account.headers if account else {}, timeout=30, verify=TLS)


@pytest.fixture
def api(server: LiveServer, account: Customer) -> Iterator[httpx.Client]:
    """An HTTP client authenticated as a fresh account with 1000.00 USD."""
    with client_for(server, account) as client:
        yield client


@pytest.fixture
def anon(server: LiveServer) -> Iterator[httpx.Client]:
    with client_for(server) as client:
        yield client


@pytest.fixture
def api_with_owner(api: httpx.Client) -> httpx.Client:
    response = api.post("/rest/v2/domains/owner", json=OWNER)
    assert response.status_code == 200, response.text
    return api


# The operator's default registrant of the tests that set one (mailwright registrant set).
DEFAULT_REGISTRANT = {
    "email": "hostmaster@bachmanity.com",
    "first_name": "Erlich",
    "last_name": "Bachman",
    "company_name": "Bachmanity",
    "address": "5230 Newell Road",
    "city": "Palo Alto",
    "state": "CA",
    "country": "US",
    "zip_code": "94303",
    "phone": "+1.6505550199",
}


@pytest.fixture
def default_registrant(runtime: Runtime) -> Iterator[Callable[[dict[str, Any] | None], None]]:
    """Sets (a contact) or removes (None) the operator's default registrant for one test; the
    session's database is shared, so whatever was there before (normally none) comes back after."""
    with runtime.db.read() as session:
        row = owners.get_default_registrant(session)
        before = (owners.contact_dict(row), row.sandbox) if row else None

    def put(contact: dict[str, Any] | None, sandbox: bool = False) -> None:
        with runtime.db.write() as session:
            if contact is not None:
                owners.set_default_registrant(session, contact, sandbox=sandbox)
            elif (row := owners.get_default_registrant(session)) is not None:
                session.delete(row)

    yield put
    if before is None:
        put(None)
    else:
        put(*before)


# ------------------------------------------------------------------ the command line


MAILWRIGHT_COMMAND = str(Path(sys.executable).with_name("mailwright"))


# Commands about a process's own life run as fresh processes, the rest forked from a warm one.
FRESH_PROCESS_COMMANDS = ("serve", "worker")


@dataclass
class Cli:
    """Runs `mailwright ...` as a process of its own: forked from a warm interpreter that has the
    command line's libraries imported (tests/support/cli_processes.py: a quarter of a second of
    CPU instead of 1.8 s), or, for `serve` and `worker`, started from scratch."""

    env: dict[str, str]
    cwd: Path | None = None  # None: the test process's

    def __call__(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return self.start(list(args)).wait(timeout)

    def many(self, *commands: list[str], timeout: float = 180) -> list[subprocess.CompletedProcess[str]]:
        """Runs several commands side by side (independent ones only), in the order given."""
        started = [self.start(list(command)) for command in commands]
        return [command.wait(timeout) for command in started]

    def start(self, argv: list[str]) -> cli_processes.Command | _FreshCommand:
        """Starts one command; `.wait(timeout)` gives its CompletedProcess."""
        if argv and argv[0] in FRESH_PROCESS_COMMANDS:
            return _FreshCommand(argv, self.env, self.cwd)
        return cli_processes.forkserver().start(argv, self.env, self.cwd)

    def json(self, *args: str) -> dict[str, Any]:
        """Runs with --json; it must succeed and print exactly one JSON object and nothing else."""
        done = self(*args, "--json")
        assert done.returncode == 0, f"exit {done.returncode}: {done.stderr}"
        value = json.loads(done.stdout)  # fails on anything but one JSON value
        assert isinstance(value, dict), done.stdout
        return value


class _FreshCommand:
    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path | None) -> None:
        self.argv = [MAILWRIGHT_COMMAND, *argv]
        self.process = subprocess.Popen(self.argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait(self, timeout: float) -> subprocess.CompletedProcess[str]:
        try:
            stdout, stderr = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            raise
        return subprocess.CompletedProcess(self.argv, self.process.returncode, stdout, stderr)


def mailwright_env(database_url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a `mailwright` process on this database (nothing inherited from MAILWRIGHT_*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILWRIGHT_")}
    return env | {
        "MAILWRIGHT_DATABASE_URL": database_url,
        "MAILWRIGHT_DATA_DIR": str(data_dir),
        "MAILWRIGHT_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    } | {f"MAILWRIGHT_{k.upper()}": v for k, v in settings.items()}


@pytest.fixture(scope="session")
def cli(runtime: Runtime) -> Cli:
    """The command line on the session's database (the one the `server` fixture serves)."""
    settings = runtime.settings
    # A command that queries the sandbox DNS (domains zone) answers on a port of its own, never the well-known one.
    return Cli(mailwright_env(settings.database_url, settings.data_dir, secret_key=settings.secret_key, sandbox_dns_port="0"))


# ------------------------------------------------------------------ helpers


def unique(prefix: str = "d") -> str:
    """A label no other test uses (domains are unique across all accounts)."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def wait_until(check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def wait_for_order(client: httpx.Client, order_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """Polls the order until it reaches a final status, and returns it."""

    def final() -> dict[str, Any] | None:
        body = client.get(f"/rest/v2/domains/orders/{order_id}").json()
        return body if body["status"] != "processing" else None

    return wait_until(final, timeout=timeout, interval=0.1)
