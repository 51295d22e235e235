"""The operator command line, run as real processes on the database the live server uses.

Every process costs about a second, so each test does a whole story with a few of them. What
only checks wording, parsing or layout runs once (backend_independent, or on no database);
what reads and writes the database runs on each backend."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from mailwright.accounts.models import ApiKey
from mailwright.billing.models import Subscription
from mailwright.wallet.models import LedgerEntry
from tests.api.bodies import mailbox, order_domains
from tests.conftest import DEFAULT_REGISTRANT, Cli, client_for, mailwright_env, unique, wait_for_order

PROVIDERS = "/rest/v2/domains/providers"
LAUNCHER = Path(__file__).resolve().parents[2] / "mw"


def test_accounts_create_on_a_fresh_database_prints_one_json_object(database_factory, tmp_path):
    # A brand-new database: the command migrates it first, and still prints nothing but the object.
    fresh = Cli(mailwright_env(database_factory(unique("cli")), tmp_path))
    created = fresh.json("accounts", "create", "--name", "Pied Piper", "--currency", "EUR", "--credit", "500.00")
    assert set(created) == {"account_id", "api_key"}
    assert created["api_key"].startswith("mw_")

    listed = fresh.json("accounts", "list")
    assert listed["accounts"] == [
        {
            "account_id": created["account_id"],
            "name": "Pied Piper",
            "currency": "EUR",
            "balance": "500.00",
            "wallet_frozen": False,
            "created": listed["accounts"][0]["created"],
        }
    ]


def test_wallet_credit_then_show(cli, make_account, runtime):
    customer = make_account(credit="0")
    credited = cli.json("wallet", "credit", customer.id, "12.00", "--note", "Bank transfer 42")
    assert credited["balance"] == "12.00" and credited["currency"] == "USD"

    shown = cli.json("wallet", "show", customer.id)
    assert shown == {
        "balance": "12.00",
        "currency": "USD",
        "entries": [
            {
                "entry_id": credited["entry_id"],
                "created": shown["entries"][0]["created"],
                "kind": "credit",
                "amount": "12.00",
                "description": "Bank transfer 42",
                "order_id": None,
                "domain_id": None,
                "mailbox_id": None,
            }
        ],
    }
    with runtime.db.read() as session:
        total = session.scalar(sa.select(sa.func.sum(LedgerEntry.amount_minor)).where(LedgerEntry.account_id == customer.id))
    assert total == 1200


def test_keys_create_and_revoke_over_http(cli, make_account, server):
    customer = make_account()
    created = cli.json("keys", "create", customer.id)
    assert created["account_id"] == customer.id
    with client_for(server) as http:
        assert http.get(PROVIDERS, headers={"x-api-key": created["api_key"]}).status_code == 200

        revoked = cli.json("keys", "revoke", created["key_id"])
        assert revoked["key_id"] == created["key_id"] and revoked["revoked"]

        refused = http.get(PROVIDERS, headers={"x-api-key": created["api_key"]})
        assert refused.status_code == 401
        assert refused.json()["title"] == "Unauthorized"
        # The account's other key is untouched.
        assert http.get(PROVIDERS, headers=customer.headers).status_code == 200

    keys = cli.json("keys", "list", customer.id)["keys"]
    assert {k["key_id"]: bool(k["revoked"]) for k in keys}[created["key_id"]] is True
    assert sum(not k["revoked"] for k in keys) == 1


BAD_INPUT = [
    (["wallet", "show", "nosuchaccount"], "no account nosuchaccount"),
    (["wallet", "credit", "nosuchaccount", "5.00"], "no account nosuchaccount"),
    (["accounts", "create", "--name", "X", "--currency", "GBP"], "currency must be one of USD, EUR"),
    (["accounts", "create", "--name", "X", "--credit", "five"], "'five' is not an amount like 500.00"),
    (["keys", "revoke", "nosuchkey"], "no API key nosuchkey"),
]


def test_the_launchers_help_goes_on_with_every_command(tmp_path):
    cli = Cli(mailwright_env(f"sqlite:///{tmp_path}/unused.db", tmp_path))  # help opens no database
    launcher = subprocess.Popen([str(LAUNCHER), "--help"], env=cli.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    own = cli("--help")
    stdout, stderr = launcher.communicate(timeout=120)
    assert (launcher.returncode, own.returncode) == (0, 0), stderr
    lines, _, rest = stdout.partition("\n\n")
    assert lines.startswith("Mailwright launcher:") and "./mw test [pytest args]" in lines
    assert rest == own.stdout
    assert all(command in rest for command in ("serve", "accounts", "keys", "wallet", "orders", "subscriptions"))


@pytest.mark.backend_independent
def test_human_output_is_tables_with_every_id_whole_on_80_columns(cli, api_with_owner, account, make_account, runtime):
    domain = f"{unique('cols')}.com"
    ordered = order_domains(api_with_owner, [domain], [mailbox(f"richard@{domain}")])
    assert ordered.status_code == 202, ordered.text
    order_id = ordered.json()["order_id"]
    assert wait_for_order(api_with_owner, order_id)["status"] == "completed"
    with runtime.db.read() as session:
        key_ids = list(session.scalars(sa.select(ApiKey.id).where(ApiKey.account_id == account.id)))
        subscription_ids = list(session.scalars(sa.select(Subscription.id).where(Subscription.account_id == account.id)))
    assert len(key_ids) == 1 and len(subscription_ids) == 1
    customer = make_account(credit="7.50")
    commands = {
        "wallet": (["wallet", "show", customer.id], []),
        "accounts": (["accounts", "list"], [account.id]),
        "keys": (["keys", "list", account.id], key_ids),
        "orders": (["orders", "list", "--account", account.id], [order_id, account.id]),
        "order": (["orders", "show", order_id], [order_id]),
        "subscriptions": (["subscriptions", "list", "--account", account.id], subscription_ids + [account.id]),
    }
    narrow = Cli(cli.env | {"COLUMNS": "80"})
    shown = dict(zip(commands, narrow.many(*[args for args, _ in commands.values()])))
    for name, (_, ids) in commands.items():
        assert shown[name].returncode == 0, shown[name].stderr
        assert "─" in shown[name].stdout, name  # a table, for people
        for printed in ids:
            assert printed in shown[name].stdout, f"{name}: {printed} is not printed whole:\n{shown[name].stdout}"
    assert "Balance 7.50 USD" in shown["wallet"].stdout and "Opening credit" in shown["wallet"].stdout
    # What fits stays within the terminal.
    assert max(len(line) for line in shown["keys"].stdout.splitlines()) <= 80


@pytest.mark.backend_independent
def test_bad_input_is_a_clear_error_never_a_traceback(cli, make_account):
    customer = make_account(credit="0")
    cases = BAD_INPUT + [
        (["wallet", "credit", customer.id, "12.345"], "'12.345' is not an amount like 500.00"),
        (["wallet", "credit", customer.id, "0"], "the amount must be positive"),
        # Other scripts' digits are digits to int() and \d, not to people reading a ledger.
        (["wallet", "credit", customer.id, "١٢"], "'١٢' is not an amount like 500.00"),
    ]
    results = cli.many(*[[*args, "--json"] for args, _ in cases])
    for (args, message), done in zip(cases, results):
        assert done.returncode != 0, args
        assert done.stdout == "", args
        assert done.stderr.strip() == f"Error: {message}", args
    assert cli.json("wallet", "show", customer.id)["balance"] == "0.00"


def test_settings_take_ascii_digits_only(tmp_path):
    env = mailwright_env(f"sqlite:///{tmp_path}/unused.db", tmp_path, expiry_notice_days="٧,1")  # refused before it is opened
    done = Cli(env)("accounts", "list", "--json")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("Error: MAILWRIGHT_EXPIRY_NOTICE_DAYS: ") and "whole days" in done.stderr


def test_an_unreachable_database_is_a_clear_error(tmp_path):
    unreachable = Cli(mailwright_env("postgresql+psycopg://mailwright@127.0.0.1:9/none", tmp_path))
    done = unreachable("accounts", "list", "--json")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("Error: the database cannot be used: ") and "Traceback" not in done.stderr


def test_registrant_set_and_show(cli, default_registrant, server, make_account):
    default_registrant(None)
    nothing, bad = cli.many(
        ["registrant", "show", "--json"],
        [
            "registrant", "set", "--email", "nope", "--first-name", "Erlich", "--last-name", "Bachman", "--address", "1 Main St",
            "--state", "CA", "--country", "XX", "--zip-code", "94303", "--phone", "12", "--json",
        ],
    )
    assert nothing.returncode == 0 and json.loads(nothing.stdout) == {"registrant": None}
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.splitlines() == [
        "Error: --email: Valid format is email@example.com",
        "Error: --city: Field is required",
        "Error: --country: Valid format is a two-letter ISO 3166-1 country code, e.g. US",
        "Error: --phone: Valid format is +1.5555555555",
    ]

    options = [part for name, value in DEFAULT_REGISTRANT.items() for part in ("--" + name.replace("_", "-"), value)]
    saved = cli.json("registrant", "set", *options)
    assert saved == {"registrant": DEFAULT_REGISTRANT | {"sandbox": False, "in_use": True, "updated": saved["registrant"]["updated"]}}
    shown = cli("registrant", "show")
    assert shown.returncode == 0 and "Default registrant" in shown.stdout and "Bachmanity" in shown.stdout

    # A reseller-face order of a fresh account (no user, no domain owner) is registered to it.
    customer = make_account()
    name = f"{unique('dr')}.com"
    with client_for(server) as http:
        created = http.post(
            "/api/v1/integration/orders", json={"domains": [{"domain": name}], "confirm": True}, headers={"cmr-x-api-key": customer.api_key}
        )
        assert created.status_code == 201, created.text
        assert http.get(f"/rest/v2/domains/{name}", headers=customer.headers).json()["owner"] == DEFAULT_REGISTRANT
