"""A second pool of connections to the same SQLite file, opened while the first is in use (the
sandbox's, built with providers at any time), leaves the database whole for every other process.
Opening and closing a descriptor of the file would drop this process's SQLite locks (POSIX locks
belong to the process), and `mailwright` commands then saw the database without the newest
accounts."""

from __future__ import annotations

import pytest

from mailwright.providers.registry import build_providers

# What it guards is SQLite's (POSIX locks on the database file): run once, on SQLite.
pytestmark = pytest.mark.backend_independent


def test_building_providers_on_a_database_in_use_keeps_it_whole_for_other_processes(runtime, make_account, cli):
    providers = build_providers(runtime.settings)  # its own pool, on the file the runtime uses
    providers.close()
    for _ in range(3):
        customer = make_account(credit="0")
        credited = cli.json("wallet", "credit", customer.id, "12.00", "--note", "Bank transfer 42")
        assert credited["balance"] == "12.00", credited
        assert cli.json("keys", "create", customer.id)["account_id"] == customer.id
