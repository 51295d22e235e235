"""The API documentation's own request samples (tests/e2e/samples), run unchanged except for the
base URL and the key against a real `mailwright serve`, with an account made by the command line.

Every sample orders richard@piedpiper.com, and domain names are unique across accounts, so each
sample's client gets a world of its own: a fresh database and its own server. The worlds start
side by side, once per module.

What the samples prove is the faces' wire compatibility (URL, headers, body as the documented
clients send them), the same on every database backend, whose provisioning the rest of the suite
tests: they run once, on SQLite, every client of every sample (curl and Python, sending the same
request). The worlds' workers keep the settings' default pace: they idle most of the time.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from mailwright.config import Settings
from tests.conftest import OWNER, Cli, wait_until
from tests.support.serve import ServeProcess, serve_env

pytestmark = [pytest.mark.slow, pytest.mark.backend_independent]

SAMPLES = Path(__file__).parent / "samples"
DOCUMENTED_BASE_URL = "https://api.woodpecker.co"
DOCUMENTED_KEY = "{YOUR_API_KEY}"
DOMAIN = "piedpiper.com"
MAILBOX = "richard@piedpiper.com"
SAMPLE_NAMES = tuple(f"{sample}.{client}" for sample in ("001_order_domains", "000_order_mailboxes") for client in ("sh", "py"))
DEFAULT_PACE = {name: str(Settings.model_fields[name].default) for name in ("queue_poll_seconds", "step_retry_seconds")}


@dataclass
class World:
    serve: ServeProcess
    root: Path
    api_key: str = ""
    ran: subprocess.CompletedProcess[str] | None = None  # the sample, run by `prepare`

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.serve.base_url, headers={"x-api-key": self.api_key}, timeout=60)


def domain_is_ready(client: httpx.Client) -> dict[str, Any] | None:
    detail = client.get(f"/rest/v2/domains/{DOMAIN}").json()
    return detail if detail.get("is_ready") and detail.get("all_mailboxes_are_ready") else None


def prepare(sample: str, world: World) -> None:
    """Once its server is up: an account made with the command line, its domain owner, and for
    the mailbox samples the domain they order on (with another mailbox), ready; then the sample
    itself, run (every world at once: the tests then only wait for what each sample ordered)."""
    world.serve.wait_ready()
    created = Cli(world.serve.env).json("accounts", "create", "--name", "Pied Piper", "--credit", "500.00")
    world.api_key = created["api_key"]
    with world.client() as client:
        assert client.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
        if sample.startswith("000"):
            jared = {"first_name": "Jared", "last_name": "Dunn", "email": f"jared@{DOMAIN}"}
            response = client.post("/rest/v2/domains/order", json={"provider": "GOOGLE", "domains": [DOMAIN], "mailboxes": [jared]})
            assert response.status_code == 202, response.text
            wait_until(lambda: domain_is_ready(client), timeout=180, interval=0.2)
    world.ran = run_sample(sample, world.serve.base_url, world.api_key, world.root)


@pytest.fixture(scope="module")
def worlds(tmp_path_factory) -> Iterator[dict[str, World]]:
    made: dict[str, World] = {}
    for sample in SAMPLE_NAMES:
        root = tmp_path_factory.mktemp("world")
        made[sample] = World(ServeProcess(serve_env(None, root / "data", **DEFAULT_PACE), cwd=root).start(), root)
    try:
        with ThreadPoolExecutor(len(made)) as pool:
            list(pool.map(prepare, made.keys(), made.values()))
        yield made
    finally:
        for world in made.values():
            world.serve.stop()


def run_sample(name: str, base_url: str, api_key: str, directory: Path) -> subprocess.CompletedProcess[str]:
    text = (SAMPLES / name).read_text()
    assert text.count(DOCUMENTED_BASE_URL) == 1 and text.count(DOCUMENTED_KEY) == 1
    script = directory / name
    script.write_text(text.replace(DOCUMENTED_BASE_URL, base_url).replace(DOCUMENTED_KEY, api_key))
    command = ["bash", str(script)] if name.endswith(".sh") else [sys.executable, str(script)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_documented_sample_orders_and_everything_becomes_ready(worlds, sample):
    world = worlds[sample]
    done = world.ran
    assert done is not None and done.returncode == 0, done and done.stderr
    if sample.endswith(".py"):
        what = "Domain" if sample.startswith("001") else "Mailbox"
        assert done.stdout == f"POST response: {what} order accepted: 202\n"
    else:
        assert '"order_id"' in done.stdout and '"status":"processing"' in done.stdout.replace(" ", ""), done.stdout

    with world.client() as client:
        detail = wait_until(lambda: domain_is_ready(client), timeout=180, interval=0.2)
        assert detail["domain"] == DOMAIN
        listed = client.get(f"/rest/v2/domains/{DOMAIN}/mailboxes").json()["mailboxes"]
        assert MAILBOX in {m["email"] for m in listed}
        assert {m["status"] for m in listed} == {"PAID"}
        mailbox = client.get(f"/rest/v2/domains/{DOMAIN}/mailboxes/{MAILBOX}").json()
        assert mailbox["smtp_server"] == "smtp.gmail.com" and mailbox["smtp_password"]
        assert mailbox["authenticator"].isdigit() and len(mailbox["authenticator"]) == 6
    world.serve.stop()  # done with this world; spare the machine its polling
