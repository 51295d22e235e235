"""The documented curl sample of "create order" (seed 004, kept verbatim in
seed_004_create_order.sh), run with curl against a real `mailwright serve` process on a fresh
database, with nothing done before but what this face offers. Only the base URL, the key and the
two picture paths (`@""` in the sample) are filled in."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from mailwright.owners.service import SANDBOX_REGISTRANT
from tests.conftest import MAILWRIGHT_COMMAND, Cli, mailwright_env, unique, wait_until
from tests.reseller.images import jpeg, png
from tests.support import polling
from tests.support.postgres import free_port
from tests.support.serve import end

SAMPLE = Path(__file__).with_name("seed_004_create_order.sh")
DOCUMENTED_BASE = "https://customers.coldmailreseller.com"

pytestmark = pytest.mark.slow


@dataclass
class Served:
    base_url: str
    api_key: str
    cli: Cli


@pytest.fixture
def served(database_factory, tmp_path) -> Iterator[Served]:
    """`mailwright serve` on a fresh database: its first start creates the demo account and prints its key."""
    port = free_port()
    env = mailwright_env(
        database_factory(unique("curl")),
        tmp_path / "data",
        secret_key="curl-test-secret-key-that-is-long-enough-0123",
        queue_poll_seconds=str(polling.POLL_SECONDS),
        queue_limits=polling.QUEUE_LIMITS,
        step_retry_seconds="0.05",
    )
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen([MAILWRIGHT_COMMAND, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:

        def ready() -> str | None:
            if process.poll() is not None:
                raise AssertionError("mailwright serve exited:\n" + Path(log.name).read_text())
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code != 200:
                    return None
            except httpx.HTTPError:
                return None
            found = re.search(r"API key, shown only this once: (\S+)", Path(log.name).read_text())
            return found.group(1) if found else None

        yield Served(base, wait_until(ready, timeout=90, interval=0.2), Cli(env))
    finally:
        end(process)
        log.close()


def filled_in(sample: str, served: Served, pictures: list[Path]) -> str:
    command = sample.replace(DOCUMENTED_BASE, served.base_url).replace("<api-key>", served.api_key)
    for picture in pictures:
        command = command.replace('=@""', f'=@"{picture}"', 1)
    assert '@""' not in command
    return command


def test_the_documented_curl_sample_creates_an_order(served, tmp_path):
    assert shutil.which("curl"), "curl is installed by ./mw test (scripts/test-prerequisites)"
    pictures = [tmp_path / "email1.png", tmp_path / "email2.jpg"]
    pictures[0].write_bytes(png(32))
    pictures[1].write_bytes(jpeg(32))
    with httpx.Client(base_url=served.base_url, timeout=30) as http:
        # No domain owner was saved (that is the other face's): the first start set the sandbox's
        # default registrant, which the reseller's own order (userId empty) is registered to.
        done = subprocess.run(["bash", "-c", filled_in(SAMPLE.read_text(), served, pictures)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        body = json.loads(done.stdout)
        assert body["status"] == 201 and body["message"] == "Order created successfully", body
        assert set(body["data"]) == {"orderId"}
        order_id = body["data"]["orderId"]

        headers = {"cmr-x-api-key": served.api_key}
        details = http.get(f"/api/v1/integration/orders/{order_id}", headers=headers).json()["data"]
        assert details["orderStatus"] == "CREATED"
        assert details["autoRenew"] is True and details["google"] is None and details["microsoftOauthRoute"] is None
        assert [m["email"] for m in details["mailboxes"]] == ["email1@domain.com", "email2@domain.com"]

        processed = http.post(f"/api/v1/integration/orders/{order_id}/process", headers=headers)
        assert processed.status_code == 200, processed.text

        def final() -> str | None:
            status = http.get(f"/api/v1/integration/orders/{order_id}/status", headers=headers).json()["data"]["orderStatus"]
            return status if status not in ("CREATED", "PROCESSING") else None

        assert wait_until(final, timeout=90, interval=0.2) == "COMPLETED"
        boxes = http.get(f"/api/v1/integration/orders/{order_id}", headers=headers).json()["data"]["mailboxes"]
        assert [(m["status"], m["hasProfilePicture"]) for m in boxes] == [("LIVE", True), ("LIVE", True)]
        registered_to = http.get("/rest/v2/domains/domain.com", headers={"x-api-key": served.api_key}).json()["owner"]
        assert registered_to == SANDBOX_REGISTRANT
    shown = served.cli.json("registrant", "show")["registrant"]
    assert shown == SANDBOX_REGISTRANT | {"sandbox": True, "in_use": True, "updated": shown["updated"]}
