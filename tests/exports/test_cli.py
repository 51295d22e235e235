"""`mailwright exports ...` for the operator, as real processes on the session's database (whose
worker runs the exports they start): a platform added once the platform accepts its key (given
without a command-line argument, never printed), exports started, shown and repeated, the
platform removed. Every process costs a second or more: one story."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from mailwright.exports import service as exports
from mailwright.runtime import Runtime
from tests.conftest import Cli, Customer, LiveServer, wait_until
from tests.exports.instantly.emulator import InstantlyEmulator
from tests.exports.support import live_mailboxes


@pytest.fixture(scope="module")
def instantly() -> Iterator[InstantlyEmulator]:
    emulator = InstantlyEmulator().start()
    yield emulator
    emulator.stop()


def test_an_operator_adds_a_platform_exports_to_it_and_removes_it(
    cli: Cli, server: LiveServer, runtime: Runtime, instantly: InstantlyEmulator, make_account: Callable[..., Customer]
) -> None:
    owner = make_account()
    domain_id, boxes = live_mailboxes(runtime, owner, server, "ann", "bob")
    add = ["exports", "platforms", "add", "--account", owner.id, "--platform", "instantly", "--name", "Outreach", "--base-url", instantly.url]

    lenient = Cli(cli.env | {"MAILWRIGHT_OUTBOUND_ALLOW_PRIVATE": "true"})
    keyed = Cli(lenient.env | {"MAILWRIGHT_EXPORT_API_KEY": instantly.api_key})
    wrong = Cli(lenient.env | {"MAILWRIGHT_EXPORT_API_KEY": "wrong-key-0123"})(*add, "--json")
    assert wrong.returncode == 1 and "apiKey: " in wrong.stderr and "refused the API key" in wrong.stderr
    assert "wrong-key-0123" not in wrong.stderr + wrong.stdout
    added = keyed.json(*add)
    assert set(added) == {"platform_id", "account_id", "user_id", "platform", "name", "base_url", "created"}
    assert (added["account_id"], added["platform"], added["base_url"]) == (owner.id, "INSTANTLY", instantly.url)

    started = cli.json("exports", "start", "--platform", added["platform_id"], "--domain", domain_id)
    assert started["status"] == "PENDING" and {m["email"] for m in started["mailboxes"]} == {b.email for b in boxes.values()}
    wait_until(lambda: all(b.email in instantly.accounts for b in boxes.values()), timeout=60)

    def status() -> str:
        with runtime.db.read() as session:
            return exports.status_of(exports.items_of(session, started["export_id"]))

    wait_until(lambda: status() == "COMPLETED", timeout=30)

    # Shown, and the platform removed (both at once: each process takes a while).
    shown, removed = cli.many(
        ["exports", "show", started["export_id"], "--json"], ["exports", "platforms", "remove", added["platform_id"], "--json"]
    )
    assert shown.returncode == removed.returncode == 0, shown.stderr + removed.stderr
    assert {m["status"] for m in json.loads(shown.stdout)["mailboxes"]} == {"EXPORTED"}
    assert json.loads(removed.stdout)["platform_id"] == added["platform_id"]
    with runtime.db.read() as session:
        assert exports.platforms_of(session, owner.id, every_user=True) == []
    for done in (wrong, shown, removed):
        assert instantly.api_key not in done.stdout + done.stderr
