"""`mailwright`: serve the product and operate it. Every command reads the same settings
(MAILWRIGHT_* environment variables) and accepts --json for scripts: one JSON object on stdout."""

from __future__ import annotations

import datetime as dt
import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.segment import Segments
from rich.table import Column, Table

from mailwright import logs
from mailwright.clock import iso
from mailwright.errors import FieldIssues, InvalidFields, NotFound, RuleViolation
from mailwright.ids import ID_LENGTH
from mailwright.money import CURRENCIES, InvalidAmount, Money, parse_minor
from mailwright.providers.base import MAILBOX_PROVIDERS

# What a command needs is imported in the command: `--help` and each command start without the
# database, the providers, the web app or the workflow engine unless they use them.
if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mailwright.config import Settings
    from mailwright.providers.sandbox import SandboxDnsHost
    from mailwright.runtime import Runtime

app = typer.Typer(
    help="Mailwright: domains, DNS and mailboxes for cold email.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
accounts_app = typer.Typer(help="Customer accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys (shown once, stored as hashes).", no_args_is_help=True)
wallet_app = typer.Typer(help="Prepaid wallets.", no_args_is_help=True)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
domains_app = typer.Typer(help="Domains and their DNS.", no_args_is_help=True)
orders_app = typer.Typer(help="Orders and their provisioning.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")
app.add_typer(wallet_app, name="wallet")
app.add_typer(db_app, name="db")
app.add_typer(domains_app, name="domains")
dns_app = typer.Typer(
    help="DNS a person handles at a mailbox host whose API cannot: Google Workspace's DKIM key, Microsoft 365's DKIM signing (README: Real mailbox hosts).",
    no_args_is_help=True,
)
app.add_typer(dns_app, name="dns")
billing_app = typer.Typer(help="Renewals, grace, suspension and expiry (see README: Billing).", no_args_is_help=True)
subscriptions_app = typer.Typer(help="Mailbox subscriptions (one per domain).", no_args_is_help=True)
app.add_typer(billing_app, name="billing")
app.add_typer(subscriptions_app, name="subscriptions")
app.add_typer(orders_app, name="orders")
registrant_app = typer.Typer(
    help="The default registrant: whom domains ordered through the reseller-style API are registered to "
    "when the user's contact is incomplete and the account has no domain owner.",
    no_args_is_help=True,
)
app.add_typer(registrant_app, name="registrant")
providers_app = typer.Typer(help="The registrar, DNS host and mailbox hosts configured (see README: Real registrars and DNS hosts).", no_args_is_help=True)
app.add_typer(providers_app, name="providers")
prices_app = typer.Typer(
    help="The price book: what domains (per TLD, per year) and mailboxes (per month) sell at, per currency, "
    "and the exchange rates that turn a registrar's cost into them (see README: Prices).",
    no_args_is_help=True,
)
app.add_typer(prices_app, name="prices")
exports_app = typer.Typer(
    help="Exports of mailboxes to customers' sending platforms (see README: Export to your sending platform).", no_args_is_help=True
)
export_platforms_app = typer.Typer(help="An account's sending platforms (keys stored encrypted, never shown).", no_args_is_help=True)
exports_app.add_typer(export_platforms_app, name="platforms")
app.add_typer(exports_app, name="exports")
operators_app = typer.Typer(help="Operator keys: they sign operators in to the dashboard's operator views.", no_args_is_help=True)
app.add_typer(operators_app, name="operators")

console = Console()
ACCOUNT_NAME_MAX = 200
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object and nothing else.")]
ExecutorIdOption = Annotated[
    str | None,
    typer.Option(
        "--executor-id",
        envvar="MAILWRIGHT_EXECUTOR_ID",
        help="This worker's id, unique among workers; keep it across restarts to resume its workflows at once "
        "(default: `worker` hostname plus a random suffix, `serve` local; after MAILWRIGHT_WORKER_DEAD_AFTER_SECONDS "
        "of silence, other workers take over).",
    ),
]


def main() -> None:
    try:
        app()
    except Exception as exc:
        code = _operators_problem(exc)
        if code is None:
            raise
        sys.exit(code)


def _operators_problem(exc: Exception) -> int | None:
    """Tells an error the operator can fix in one line per problem and returns the exit code;
    None for anything else (a bug: its traceback shows)."""
    from pydantic import ValidationError
    from sqlalchemy import exc as sa_exc

    from mailwright.config import SettingProblem

    if isinstance(exc, sa_exc.SQLAlchemyError):
        # An unreachable or misconfigured database is an operator's problem, not a crash.
        typer.echo(f"Error: the database cannot be used: {_first_line(exc)}", err=True)
        return 1
    if isinstance(exc, ValidationError):  # MAILWRIGHT_* settings from the environment
        for error in exc.errors():
            setting = "MAILWRIGHT_" + "_".join(str(part) for part in error["loc"]).upper()
            typer.echo(f"Error: {setting}: {error['msg']}", err=True)
        return 2
    if isinstance(exc, SettingProblem):  # a setting wrong for what the others chose
        typer.echo(f"Error: {exc.setting}: {exc.message}", err=True)
        return 2
    return None


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def opened(settings: Settings | None = None) -> Iterator[Runtime]:
    """A runtime on a migrated database, for one command."""
    from mailwright import runtime as runtime_module
    from mailwright.config import load_settings

    settings = settings or load_settings()
    logs.configure("WARNING", settings.log_format)
    rt = runtime_module.start(settings)
    try:
        runtime_module.install(rt)
        yield rt
    finally:
        runtime_module.install(None)
        rt.close()


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def emit(as_json: bool, payload: dict[str, Any], human: str | Table) -> None:
    if as_json:
        typer.echo(json.dumps(payload))
    elif isinstance(human, Table):
        show_table(human)
    else:
        console.print(human)


FOLDED_WIDTH = 10  # the narrowest a column of folded text gets beside columns of ids


def id_column(header: str) -> Column:
    """A column of ids, which people copy from here: never wrapped, never cut."""
    return Column(header, no_wrap=True, min_width=ID_LENGTH)


def table(*columns: str | Column, **options: Any) -> Table:
    """A table for people: id columns whole, other text folded onto more lines rather than cut."""
    return Table(*(c if isinstance(c, Column) else Column(c, overflow="fold") for c in columns), **options)


def show_table(shown: Table) -> None:
    """Prints a table as wide as the terminal, or wider when its ids need it (with FOLDED_WIDTH
    left for each other column): then its lines run past the edge and the terminal wraps them,
    instead of Rich squeezing the other columns to nothing or cropping an id at the edge."""
    _, right, _, left = shown.padding
    borders = len(shown.columns) + 1
    needed = borders + sum((column.min_width or FOLDED_WIDTH) + left + right for column in shown.columns)
    width = max(console.width, needed, shown.min_width or 0)
    console.print(Segments(console.render(shown, console.options.update_width(width))), crop=False)


def _money(text: str, currency: str) -> Money:
    try:
        return Money(parse_minor(text), currency)
    except InvalidAmount:
        fail(f"{text!r} is not an amount like 500.00", 2)
        raise


# ------------------------------------------------------------------ serve / worker


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="Serve the API only; run `mailwright worker` elsewhere.")] = False,
    executor_id: ExecutorIdOption = None,
) -> None:
    """Run the API and (unless --no-worker) the provisioning worker, migrating the database first.

    The worker runs in a child process that lives and ends with this one (README: Workers and queues)."""
    from mailwright import runtime as runtime_module
    from mailwright.api import server
    from mailwright.app import create_app
    from mailwright.config import load_settings
    from mailwright.provisioning.supervisor import SERVE_EXECUTOR_ID, WorkerProcess

    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    rt = runtime_module.start(settings)
    runtime_module.install(rt)
    _warn_of_sandbox_roles(rt)
    _set_sandbox_registrant(rt)  # before the demo account: it looks for an empty database too
    _create_demo_account(rt, host, port)
    _start_sandbox_dns(rt)
    # One machine by default: a stable id resumes the worker's workflows at restart.
    worker_process = None if no_worker else WorkerProcess(executor_id or SERVE_EXECUTOR_ID)
    if worker_process is not None:
        worker_process.start()
    try:
        server.run(server.ServerConfig(create_app(rt), settings, host=host, port=port, timeout_graceful_shutdown=10))
    finally:
        if worker_process is not None:
            worker_process.stop()
        rt.close()


SupervisedByOption = Annotated[int | None, typer.Option("--supervised-by", hidden=True, help="The pid of the `serve` this worker belongs to.")]


@app.command(name="worker")
def run_worker(executor_id: ExecutorIdOption = None, supervised_by: SupervisedByOption = None) -> None:
    """Run only the provisioning worker (several may run against one PostgreSQL database)."""
    from mailwright import runtime as runtime_module
    from mailwright.config import load_settings
    from mailwright.provisioning import worker

    if supervised_by is not None:  # `serve`'s own worker: it ends with its parent, which said all there was to say
        from mailwright.provisioning.supervisor import follow_parent

        follow_parent(supervised_by)
    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    rt = runtime_module.start(settings)
    runtime_module.install(rt)
    if supervised_by is None:
        _warn_of_sandbox_roles(rt)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    executor_id = executor_id or worker.new_executor_id()
    worker.launch(rt, executor_id=executor_id)
    if supervised_by is None:
        typer.echo(f"Mailwright worker {executor_id} running; Ctrl-C to stop.", err=True)
    stop.wait()
    worker.shutdown()
    rt.close()
    worker.exit_process(0)


def _warn_of_sandbox_roles(rt: Runtime) -> None:
    """Beside a real registrar or DNS host, every role still on the sandbox, named loudly."""
    from mailwright.providers.checks import sandbox_warning

    lines = sandbox_warning(rt.providers)
    if lines:
        typer.echo("\n".join(lines), err=True)


def _start_sandbox_dns(rt: Runtime) -> None:
    """In sandbox mode, answer real DNS queries for the sandbox zones (see README)."""
    from mailwright.providers.sandbox import SandboxDnsHost

    if isinstance(rt.providers.dns_host, SandboxDnsHost):
        for line in sandbox_dns_lines(rt.providers.dns_host):
            typer.echo(line, err=True)


def sandbox_dns_lines(host: SandboxDnsHost) -> list[str]:
    """The startup lines naming the port this process's sandbox DNS server really answers on."""
    port = host.start_server()
    lines = [f"Sandbox DNS answers on 127.0.0.1 port {port} (UDP and TCP): dig @127.0.0.1 -p {port} TXT _dmarc.DOMAIN"]
    if host.taken_port is not None:
        lines.append(
            f"  (port {host.taken_port}, MAILWRIGHT_SANDBOX_DNS_PORT, is taken by another process, which answers only for "
            "the domains of its own database: query this one's port)"
        )
    return lines


def _set_sandbox_registrant(rt: Runtime) -> None:
    """On first start with an empty database and the sandbox registrar: a made-up default
    registrant, so that reseller-style orders work at once (never used with a real registrar)."""
    from mailwright.accounts import service as accounts
    from mailwright.owners import service as owners

    if not rt.providers.registrar_is_sandbox:
        return
    with rt.db.write() as session:
        if accounts.has_any_account(session) or owners.get_default_registrant(session) is not None:
            return
        owners.set_default_registrant(session, owners.SANDBOX_REGISTRANT, sandbox=True)
    typer.echo("Set the sandbox's default registrant (see `mailwright registrant show`).", err=True)


def _create_demo_account(rt: Runtime, host: str, port: int) -> None:
    """On first start with an empty database: an account with sandbox credit, its key printed once."""
    from mailwright.accounts import service as accounts

    if not rt.settings.demo_account:
        return
    with rt.db.write() as session:
        if accounts.has_any_account(session):
            return
        credit = Money(parse_minor(rt.settings.demo_credit), "USD")
        account, api_key = accounts.create_account(session, "Demo", "USD", credit=credit, is_demo=True)
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    if ":" in shown_host:  # an IPv6 address goes in brackets in a URL
        shown_host = f"[{shown_host}]"
    print(
        f"\nCreated a demo account ({account.id}) with {credit.decimal} USD of sandbox credit.\n"
        f"Its API key, shown only this once: {api_key}\n"
        f"Try it:  curl -s -H 'x-api-key: {api_key}' http://{shown_host}:{port}/rest/v2/domains/providers\n"
        f"Dashboard: http://{shown_host}:{port}/dashboard (sign in with this API key)\n",
        flush=True,
    )


# ------------------------------------------------------------------ operators


@operators_app.command("create-key")
def operators_create_key(as_json: JsonOption = False) -> None:
    """A new operator key for the dashboard's operator views, shown only this once (stored hashed)."""
    from mailwright.operators import service as operators

    with opened() as rt, rt.db.write() as session:
        key, plain = operators.create_key(session)
    emit(
        as_json,
        {"key_id": key.id, "operator_key": plain},
        f"Operator key {key.id}, shown only this once: {plain}\nSign in at /dashboard with it; revoke it with `mailwright operators revoke-key {key.id}`.",
    )


@operators_app.command("revoke-key")
def operators_revoke_key(key_id: str, as_json: JsonOption = False) -> None:
    """Revoke an operator key: its dashboard sessions end at once."""
    from mailwright.operators import service as operators

    with opened() as rt:
        try:
            with rt.db.write() as session:
                key = operators.revoke_key(session, key_id)
        except NotFound:
            fail(f"no operator key {key_id}")
    emit(as_json, {"key_id": key.id, "revoked": iso(key.revoked_at)}, f"Operator key {key.id} revoked.")


# ------------------------------------------------------------------ db


@db_app.command("upgrade")
def db_upgrade(as_json: JsonOption = False) -> None:
    """Apply pending migrations (serve and every command do this themselves)."""
    from mailwright.db import migrate

    with opened() as rt:
        revision = migrate.current_revision(rt.db)
    emit(as_json, {"revision": revision}, f"Database at revision {revision}")


@db_app.command("re-encrypt")
def db_re_encrypt(as_json: JsonOption = False) -> None:
    """Re-encrypt every secret at rest with the newest MAILWRIGHT_SECRET_KEY key (after a rotation).

    Safe while serve and workers run. Run it once every process has the new key first; once it
    reports nothing undecryptable, the older keys can be removed from every process (README: Serving)."""
    from mailwright.key_check.reencrypt import re_encrypt_all

    with opened() as rt:
        results = re_encrypt_all(rt.db, rt.secrets)
    payload = {"columns": [r.as_dict() for r in results]}
    undecryptable = sum(len(r.undecryptable) for r in results)
    counts = table("Table", "Column", "Re-encrypted", "Already newest", "Changed meanwhile", "Undecryptable")
    for r in results:
        counts.add_row(r.table, r.column, str(r.re_encrypted), str(r.already_newest), str(r.changed_meanwhile), str(len(r.undecryptable)))
    emit(as_json, payload, counts)
    if undecryptable:
        where = "; ".join(f"{r.table}.{r.column}: {', '.join(r.undecryptable[:5])}" for r in results if r.undecryptable)
        typer.echo(f"Error: {undecryptable} secrets decrypt with none of the configured keys, left as they are ({where})", err=True)
        raise typer.Exit(1)


# ------------------------------------------------------------------ accounts and keys


@accounts_app.command("create")
def accounts_create(
    name: Annotated[str, typer.Option(help="Customer name.")],
    currency: Annotated[str, typer.Option(help=f"Wallet currency: {', '.join(CURRENCIES)}.")] = "USD",
    credit: Annotated[str | None, typer.Option(help="Opening credit, e.g. 500.00.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create an account and its first API key."""
    from mailwright.accounts import service as accounts

    currency = currency.upper()
    if currency not in CURRENCIES:
        fail(f"currency must be one of {', '.join(CURRENCIES)}", 2)
    if not name.strip():
        fail("name must not be empty", 2)
    if len(name.strip()) > ACCOUNT_NAME_MAX:
        fail(f"name must be at most {ACCOUNT_NAME_MAX} characters", 2)
    opening = _money(credit, currency) if credit else None
    if opening is not None and opening.minor < 0:
        fail("the opening credit must not be negative", 2)
    with opened() as rt, rt.db.write() as session:
        account, api_key = accounts.create_account(session, name.strip(), currency, credit=opening)
    emit(
        as_json,
        {"account_id": account.id, "api_key": api_key},
        f"Account {account.id} created.\nAPI key (shown only this once): {api_key}",
    )


@accounts_app.command("list")
def accounts_list(as_json: JsonOption = False) -> None:
    """Every account with its balance."""
    from mailwright.accounts import service as accounts
    from mailwright.wallet import service as wallet

    with opened() as rt, rt.db.read() as session:
        rows = [(a, wallet.balance(session, a)) for a in accounts.list_accounts(session)]
    payload = {
        "accounts": [
            {
                "account_id": a.id,
                "name": a.name,
                "currency": a.currency,
                "balance": b.decimal,
                "wallet_frozen": a.wallet_frozen,
                "created": iso(a.created_at),
            }
            for a, b in rows
        ]
    }
    listing = table(id_column("Account"), "Name", "Balance", "Created")
    for a, b in rows:
        listing.add_row(a.id, a.name, f"{b.decimal} {a.currency}" + (" (frozen)" if a.wallet_frozen else ""), iso(a.created_at))
    emit(as_json, payload, listing)


@keys_app.command("create")
def keys_create(account_id: str, as_json: JsonOption = False) -> None:
    """Create another API key for an account."""
    from mailwright.accounts import service as accounts

    with opened() as rt:
        try:
            with rt.db.write() as session:
                key, plain = accounts.create_key(session, account_id)
        except NotFound:
            fail(f"no account {account_id}")
    emit(as_json, {"key_id": key.id, "account_id": account_id, "api_key": plain}, f"Key {key.id} created.\nAPI key (shown only this once): {plain}")


@keys_app.command("list")
def keys_list(account_id: str, as_json: JsonOption = False) -> None:
    """An account's keys (their first characters only)."""
    from mailwright.accounts import service as accounts

    with opened() as rt:
        try:
            with rt.db.read() as session:
                accounts.get_account(session, account_id)
                keys = accounts.list_keys(session, account_id)
        except NotFound:
            fail(f"no account {account_id}")
    payload = {
        "keys": [
            {"key_id": k.id, "prefix": k.prefix, "created": iso(k.created_at), "revoked": iso(k.revoked_at)} for k in keys
        ]
    }
    listing = table(id_column("Key"), "Starts with", "Created", "Revoked")
    for k in keys:
        listing.add_row(k.id, k.prefix + "...", iso(k.created_at), iso(k.revoked_at) or "")
    emit(as_json, payload, listing)


@keys_app.command("revoke")
def keys_revoke(key_id: str, as_json: JsonOption = False) -> None:
    """Revoke a key at once; requests with it are refused from now on."""
    from mailwright.accounts import service as accounts

    with opened() as rt:
        try:
            with rt.db.write() as session:
                key = accounts.revoke_key(session, key_id)
        except NotFound:
            fail(f"no API key {key_id}")
    emit(as_json, {"key_id": key.id, "revoked": iso(key.revoked_at)}, f"Key {key.id} revoked.")


# ------------------------------------------------------------------ wallet


@wallet_app.command("credit")
def wallet_credit(
    account_id: str,
    amount: str,
    note: Annotated[str | None, typer.Option(help="Why; shown in the ledger.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Add prepaid funds to an account's wallet."""
    from mailwright.wallet import service as wallet

    with opened() as rt:
        try:
            with rt.db.write() as session:
                account = wallet.lock_account(session, account_id)
                money = _money(amount, account.currency)
                if money.minor <= 0:
                    fail("the amount must be positive", 2)
                entry = wallet.credit(session, account, money, note or "Credit")
                balance = wallet.balance(session, account)
        except NotFound:
            fail(f"no account {account_id}")
    emit(
        as_json,
        {"entry_id": entry.id, "balance": balance.decimal, "currency": balance.currency},
        f"Credited {money.decimal} {money.currency}; balance {balance.decimal} {balance.currency}.",
    )


@wallet_app.command("show")
def wallet_show(
    account_id: str,
    limit: Annotated[int, typer.Option(help="How many recent entries.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """Balance and recent ledger entries."""
    from mailwright.accounts import service as accounts
    from mailwright.wallet import service as wallet

    with opened() as rt:
        try:
            with rt.db.read() as session:
                account = accounts.get_account(session, account_id)
                balance = wallet.balance(session, account)
                entries = wallet.recent_entries(session, account_id, limit)
        except NotFound:
            fail(f"no account {account_id}")
    payload = {
        "balance": balance.decimal,
        "currency": balance.currency,
        "entries": [
            {
                "entry_id": e.id,
                "created": iso(e.created_at),
                "kind": e.kind,
                "amount": Money(e.amount_minor, e.currency).decimal,
                "description": e.description,
                "order_id": e.order_id,
                "domain_id": e.domain_id,
                "mailbox_id": e.mailbox_id,
            }
            for e in entries
        ],
    }
    ledger = table("When", "Kind", "Amount", "Description", title=f"Balance {balance.decimal} {balance.currency}")
    for e in entries:
        ledger.add_row(iso(e.created_at), e.kind, Money(e.amount_minor, e.currency).decimal, e.description)
    emit(as_json, payload, ledger)


def _set_frozen(account_id: str, frozen: bool, as_json: bool) -> None:
    from mailwright.wallet import service as wallet

    with opened() as rt:
        try:
            with rt.db.write() as session:
                account = wallet.lock_account(session, account_id)
                account.wallet_frozen = frozen
        except NotFound:
            fail(f"no account {account_id}")
    state = "frozen" if frozen else "unfrozen"
    emit(as_json, {"account_id": account_id, "wallet_frozen": frozen}, f"Wallet of {account_id} {state}.")


@wallet_app.command("freeze")
def wallet_freeze(account_id: str, as_json: JsonOption = False) -> None:
    """Refuse payments from this wallet (orders then fail with payment_failed)."""
    _set_frozen(account_id, True, as_json)


@wallet_app.command("unfreeze")
def wallet_unfreeze(account_id: str, as_json: JsonOption = False) -> None:
    """Accept payments from this wallet again."""
    _set_frozen(account_id, False, as_json)


# ------------------------------------------------------------------ domains


@domains_app.command("zone")
def domains_zone(domain: str, as_json: JsonOption = False) -> None:
    """Print the zone a domain should serve (its records, NS, and the SOA its DNS servers answer with) as zone-file text."""
    from mailwright.dns import service as dns_service
    from mailwright.dns.checks import zone_problems
    from mailwright.dns.verify import served_soa
    from mailwright.dns.zone import zone_text

    with opened() as rt, rt.db.read() as session:
        try:
            row = dns_service.find_domain(session, domain)
        except NotFound:
            fail(f"no domain {domain}")
        soa = served_soa(rt, row.name)
        zone = dns_service.expected_zone(session, rt.providers.dns_host, row, soa)
    text, problems = zone_text(zone), zone_problems(zone)
    if soa is None:
        problems.insert(0, f"{row.name}: its DNS servers serve no SOA for it (not provisioned yet, or unreachable), so none is shown")
    if as_json:
        typer.echo(json.dumps({"domain": row.name, "zone": text, "problems": problems}))
        return
    typer.echo(text, nl=False)
    for problem in problems:
        typer.echo(f"Warning: {problem}", err=True)


@dns_app.command("set-dkim")
def dns_set_dkim(
    domain: str,
    selector: Annotated[str, typer.Option("--selector", help="The selector (prefix) chosen at the host, e.g. google.")],
    value: Annotated[str, typer.Option("--value", help="The DKIM TXT value the host shows: v=DKIM1; k=rsa; p=...")],
    as_json: JsonOption = False,
) -> None:
    """Supply the DKIM key a mailbox host generated for DOMAIN (Google Workspace's Admin console);
    a domain waiting for it resumes, a ready one has it published."""
    from mailwright.dns import host_dkim

    issues = FieldIssues()
    host_dkim.check_dkim(issues, selector, value, fields=("--selector", "--value"))
    if issues:
        fail("; ".join(f"{i.field}: {i.issue}" for i in issues.items), 2)
    payload = _host_dkim_change(domain, lambda session, rt, row: host_dkim.set_host_dkim(session, rt, row, selector, value))
    emit(as_json, payload, f"DKIM of {payload['domain']} set ({payload['selector']}._domainkey); the domain is {payload['status']}.")


@dns_app.command("confirm-dkim")
def dns_confirm_dkim(domain: str, as_json: JsonOption = False) -> None:
    """Confirm that the mailbox host signs DOMAIN's mail now (Microsoft 365: enabled in the Defender
    portal); a domain waiting for that resumes."""
    from mailwright.dns import host_dkim

    payload = _host_dkim_change(domain, host_dkim.confirm_host_dkim)
    emit(as_json, payload, f"DKIM signing of {payload['domain']} confirmed; the domain is {payload['status']}.")


def _host_dkim_change(name: str, change: Callable[[Session, Runtime, Any], Any]) -> dict[str, Any]:
    from mailwright.dns import host_dkim
    from mailwright.domains.names import normalize_domain

    with opened() as rt:
        try:
            with rt.db.write() as session:
                normalized = normalize_domain(name)
                row = host_dkim.find_live_domain(session, normalized) if normalized else None
                if row is None:
                    fail(f"no domain {name}")
                change(session, rt, row)
                return {
                    "domain": row.name,
                    "status": row.status,
                    "selector": row.host_dkim_selector,
                    "confirmed": row.host_dkim_confirmed_at is not None,
                }
        except RuleViolation as exc:
            fail(exc.message)
            raise


# ------------------------------------------------------------------ billing


def _moment(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        fail(f"--at {text!r} is not an ISO 8601 time like 2027-01-31T00:00:00Z", 2)
        raise
    if moment.tzinfo is None:
        fail("--at needs a time zone, e.g. 2027-01-31T00:00:00Z", 2)
    return moment.astimezone(dt.timezone.utc)


@billing_app.command("run-due")
def billing_run_due(
    at: Annotated[str | None, typer.Option("--at", help="Run as of this ISO 8601 time (default: now).")] = None,
    account: Annotated[str | None, typer.Option("--account", help="Only this account.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Renew, retry, suspend, end and warn whatever is due: what the schedule runs. Safe to repeat:
    a period is never charged twice, however often or concurrently this runs."""
    from mailwright.billing import renewals

    moment = _moment(at)
    with opened() as rt:
        report = renewals.run_due(rt, moment, account_id=account).as_dict()
    lines = [f"Billing run as of {report['at']}:"]
    lines += [f"  {name.replace('_', ' ')}: {len(ids)}" for name, ids in report.items() if name != "at"]
    emit(as_json, report, "\n".join(lines))


@subscriptions_app.command("list")
def subscriptions_list(
    account: Annotated[str | None, typer.Option("--account", help="Only this account.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Subscriptions with their status now, quantity, period and next charge."""
    from mailwright.accounts import service as accounts
    from mailwright.api.woodpecker.billing_routes import subscription_item
    from mailwright.billing import service as billing

    with opened() as rt, rt.db.read() as session:
        ids = [account] if account else [a.id for a in accounts.list_accounts(session)]
        items = [
            {"account_id": account_id} | subscription_item(view)
            for account_id in ids
            for view in billing.list_subscriptions(session, rt.settings, rt.providers, account_id)
        ]
    listing = table(id_column("Subscription"), id_column("Account"), "Domain", "Status", "Mailboxes", "Period end", "Auto-renew", "Next charge")
    for item in items:
        charge = item["next_charge"]
        listing.add_row(
            item["subscription_id"], item["account_id"], item["domain"], item["status"], str(item["quantity"]),
            item["period_end"], "yes" if item["auto_renew"] else "no", f"{charge['amount']} {charge['currency']}" if charge else "",
        )
    emit(as_json, {"subscriptions": items}, listing)


# ------------------------------------------------------------------ orders


def _order_payload(session: Any, order: Any) -> dict[str, Any]:
    from mailwright.api.woodpecker.presenters import order_status  # the API's modules only where needed

    return order_status(session, order) | {"account_id": order.account_id, "retries": order.retries}


def _order_table(payload: dict[str, Any]) -> Table:
    title = f"Order {payload['order_id']}: {payload['status']}"
    items = table("Item", "Status", "Reason", title=title, min_width=len(title))  # the title's id on one line
    for kind in ("domains", "mailboxes"):
        for item in payload[kind]:
            items.add_row(item["name"], item["status"], item["failure_reason"] or "")
    return items


@orders_app.command("show")
def orders_show(order_id: str, as_json: JsonOption = False) -> None:
    """An order with the status (and, when failed or waiting, the reason) of each item."""
    from mailwright.orders import service as orders

    with opened() as rt:
        try:
            with rt.db.read() as session:
                payload = _order_payload(session, orders.find_order(session, order_id))
        except NotFound:
            fail(f"no order {order_id}")
    emit(as_json, payload, _order_table(payload))


@orders_app.command("list")
def orders_list(
    account: Annotated[str | None, typer.Option(help="Only this account's orders.")] = None,
    status: Annotated[str | None, typer.Option(help="Only orders in this status, e.g. needs_action.")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Recent orders, newest first."""
    from mailwright.orders import service as orders

    with opened() as rt, rt.db.read() as session:
        rows = orders.list_orders(session, account_id=account, status=status, limit=limit)
    payload = {
        "orders": [
            {
                "order_id": o.id,
                "account_id": o.account_id,
                "kind": o.kind,
                "status": o.status,
                "total": Money(o.total_minor, o.currency).decimal,
                "currency": o.currency,
                "created": iso(o.created_at),
                "completed": iso(o.completed_at),
            }
            for o in rows
        ]
    }
    listing = table(id_column("Order"), id_column("Account"), "Kind", "Status", "Total", "Created")
    for o in rows:
        listing.add_row(o.id, o.account_id, o.kind, o.status, f"{Money(o.total_minor, o.currency).decimal} {o.currency}", iso(o.created_at))
    emit(as_json, payload, listing)


@orders_app.command("retry")
def orders_retry(order_id: str, as_json: JsonOption = False) -> None:
    """Resume an order waiting for action (needs_action) once the action is done."""
    from mailwright.orders import service as orders

    with opened() as rt:
        try:
            with rt.db.write() as session:
                payload = _order_payload(session, orders.retry_order(session, rt, orders.find_order(session, order_id)))
        except NotFound:
            fail(f"no order {order_id}")
        except RuleViolation as exc:
            fail(exc.message)
    emit(as_json, payload, f"Order {order_id} resumed (retry {payload['retries']}); follow it with `mailwright orders show {order_id}`.")


# ------------------------------------------------------------------ providers


def _yes_no(value: bool | None) -> str:
    return "?" if value is None else "yes" if value else "NO"


@providers_app.command("check")
def providers_check(as_json: JsonOption = False) -> None:
    """Ask each configured provider (registrar, DNS host, each mailbox host) its cheapest
    authenticated question: reachable, authenticated, what it can do. Exits 1 when any fails."""
    from mailwright.providers.checks import check_all, sandbox_warning

    with opened() as rt:
        results = check_all(rt.providers, rt.settings)
        warning = sandbox_warning(rt.providers)
    ok = all(r.ok for r in results)
    payload = {"ok": ok, "real_provider_configured": rt.providers.uses_real_provider, "providers": [r.payload() for r in results]}
    shown = table("Role", "Provider", "Reached", "Auth", "Can do", "Result", title="Providers")
    for r in results:
        # Beside a real provider, the sandbox's rows say so in capitals.
        name = "SANDBOX" if r.role.is_sandbox and rt.providers.uses_real_provider else r.role.provider
        provider = f"{name}\n{r.adapter}"
        shown.add_row(
            r.role.label, provider, _yes_no(r.reachable), _yes_no(r.authenticated), ", ".join(r.supports) or "-", r.message
        )
    emit(as_json, payload, shown)
    if warning and not as_json:
        typer.echo("\n".join(warning))
    if not ok:
        if not as_json:
            failing = ", ".join(r.role.label for r in results if not r.ok)
            typer.echo(f"Error: the check failed for: {failing}", err=True)
        raise typer.Exit(1)


# ------------------------------------------------------------------ the default registrant

def _registrant_options() -> dict[str, str]:
    """Command-line option of each contact field, to name the bad ones."""
    from mailwright.owners import service as owners

    return {name: "--" + name.replace("_", "-") for name in owners.CONTACT_FIELDS}


def _registrant_payload(rt: Runtime, row: Any) -> dict[str, Any] | None:
    from mailwright.owners import service as owners

    if row is None:
        return None
    return owners.contact_dict(row) | {
        "sandbox": row.sandbox,
        # A sandbox contact is never used with a real registrar.
        "in_use": not row.sandbox or rt.providers.registrar_is_sandbox,
        "updated": iso(row.updated_at),
    }


def _registrant_table(payload: dict[str, Any]) -> Table:
    table = Table("Field", "Value", title="Default registrant" + (" (sandbox)" if payload["sandbox"] else ""))
    for name, option in _registrant_options().items():
        table.add_row(option.removeprefix("--"), payload[name] or "")
    if not payload["in_use"]:
        table.caption = "Not used: it was made up for the sandbox registrar; set a real one."
    return table


@registrant_app.command("set")
def registrant_set(
    email: Annotated[str | None, typer.Option(help="E-mail address.")] = None,
    first_name: Annotated[str | None, typer.Option(help="First name.")] = None,
    last_name: Annotated[str | None, typer.Option(help="Last name.")] = None,
    company_name: Annotated[str | None, typer.Option(help="Company (optional).")] = None,
    address: Annotated[str | None, typer.Option(help="Street address.")] = None,
    city: Annotated[str | None, typer.Option(help="City.")] = None,
    state: Annotated[str | None, typer.Option(help="State or region.")] = None,
    country: Annotated[str | None, typer.Option(help="Two-letter ISO 3166-1 code, e.g. US.")] = None,
    zip_code: Annotated[str | None, typer.Option(help="Postal code.")] = None,
    phone: Annotated[str | None, typer.Option(help="International number, e.g. +1.6505550100.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Set (replace as a whole) the default registrant: every option but --company-name is required."""
    from mailwright.owners import service as owners

    given = {
        "email": email, "first_name": first_name, "last_name": last_name, "company_name": company_name, "address": address,
        "city": city, "state": state, "country": country, "zip_code": zip_code, "phone": phone,
    }
    try:
        clean = owners.validate_contact(given)
    except InvalidFields as exc:
        for issue in exc.fields:
            typer.echo(f"Error: {_registrant_options()[issue.field]}: {issue.issue}", err=True)
        raise typer.Exit(2) from None
    with opened() as rt:
        with rt.db.write() as session:
            owners.set_default_registrant(session, clean)
        with rt.db.read() as session:
            payload = _registrant_payload(rt, owners.get_default_registrant(session))
    assert payload is not None
    emit(as_json, {"registrant": payload}, _registrant_table(payload))


@registrant_app.command("show")
def registrant_show(as_json: JsonOption = False) -> None:
    """The default registrant ({"registrant": null} when none is set)."""
    from mailwright.owners import service as owners

    with opened() as rt, rt.db.read() as session:
        payload = _registrant_payload(rt, owners.get_default_registrant(session))
    if payload is None:
        emit(as_json, {"registrant": None}, "No default registrant is set; set one with `mailwright registrant set`.")
        return
    emit(as_json, {"registrant": payload}, _registrant_table(payload))


# ------------------------------------------------------------------ the price book

CurrencyOption = Annotated[str | None, typer.Option("--currency", help=f"The currency of the price: {', '.join(CURRENCIES)}.")]


def _price_currency(currency: str | None) -> str:
    chosen = (currency or "").strip().upper()
    if chosen not in CURRENCIES:
        shown = "is required" if currency is None else f"{currency!r} is not one"
        fail(f"--currency: {shown}; one of {', '.join(CURRENCIES)}", 2)
    return chosen


def _price(option: str, text: str, currency: str) -> Money:
    """A selling price: an amount above zero (`option` names it in the error line)."""
    try:
        money = Money(parse_minor(text), currency)
    except InvalidAmount:
        fail(f"{option}: {text!r} is not an amount like 13.00", 2)
        raise
    if money.minor <= 0:
        fail(f"{option}: a price must be above zero, not {text}", 2)
    return money


def _tld(text: str) -> str:
    from mailwright.catalog import prices as price_book

    try:
        return price_book.normalize_tld(text)
    except price_book.InvalidTld as exc:
        fail(f"TLD: {exc}", 2)
        raise


def _domain_price_payload(row: Any) -> dict[str, Any]:
    return {
        "tld": row.tld,
        "currency": row.currency,
        "registration": Money(row.registration_minor, row.currency).decimal,
        "renewal": Money(row.renewal_minor, row.currency).decimal,
        "premium_max": None if row.premium_max_minor is None else Money(row.premium_max_minor, row.currency).decimal,
        "updated": iso(row.updated_at),
    }


def _mailbox_price_payload(row: Any) -> dict[str, Any]:
    return {"provider": row.provider, "currency": row.currency, "monthly": Money(row.monthly_minor, row.currency).decimal, "updated": iso(row.updated_at)}


def _rate_payload(row: Any) -> dict[str, Any]:
    from mailwright.catalog import prices as price_book

    return {"currency": row.currency, "per_usd": price_book.format_rate(row.per_usd_millionths), "updated": iso(row.updated_at)}


@prices_app.command("list")
def prices_list(as_json: JsonOption = False) -> None:
    """Every selling price and exchange rate."""
    from mailwright.catalog import prices as price_book

    with opened() as rt, rt.db.read() as session:
        found = price_book.listing(session)
        payload = {
            "domains": [_domain_price_payload(r) for r in found["domains"]],
            "mailboxes": [_mailbox_price_payload(r) for r in found["mailboxes"]],
            "rates": [_rate_payload(r) for r in found["rates"]],
            "base_currency": price_book.BASE_CURRENCY,
        }
    if as_json:
        emit(True, payload, "")
        return
    domains = table("TLD", "Currency", "Registration / year", "Renewal / year", "Premium names up to", title="Domains")
    for d in payload["domains"]:
        domains.add_row(d["tld"], d["currency"], d["registration"], d["renewal"], d["premium_max"] or "not sold")
    mailboxes = table("Provider", "Currency", "Per month", title="Mailboxes")
    for m in payload["mailboxes"]:
        mailboxes.add_row(m["provider"], m["currency"], m["monthly"])
    rates = table("Currency", "1 USD costs", title="Exchange rates")
    for r in payload["rates"]:
        rates.add_row(r["currency"], f"{r['per_usd']} {r['currency']}")
    for shown in (domains, mailboxes, rates):
        show_table(shown)
    if not payload["domains"]:
        console.print("No TLD has a price: no domain can be sold. Add one with `mailwright prices set-domain`.")


@prices_app.command("set-domain")
def prices_set_domain(
    tld: Annotated[str, typer.Argument(help="The TLD (public suffix), e.g. com, io, co.uk.")],
    amount: Annotated[str, typer.Argument(help="Yearly registration price, e.g. 13.00.")],
    currency: CurrencyOption = None,
    renewal: Annotated[str | None, typer.Option(help="Yearly renewal price (default: AMOUNT).")] = None,
    premium_max: Annotated[
        str | None, typer.Option("--premium-max", help="Sell premium names up to this price, at their cost (default: never).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Set (replace) a TLD's yearly prices in one currency."""
    from mailwright.catalog import prices as price_book

    chosen = _price_currency(currency)
    name = _tld(tld)
    registration = _price("AMOUNT", amount, chosen)
    renewal_price = _price("--renewal", renewal, chosen) if renewal is not None else None
    premium = _price("--premium-max", premium_max, chosen) if premium_max is not None else None
    with opened() as rt, rt.db.write() as session:
        payload = _domain_price_payload(price_book.set_domain(session, name, registration, renewal_price, premium))
    premium_text = f"premium names up to {payload['premium_max']}" if premium else "no premium names"
    emit(
        as_json,
        {"domain": payload},
        f".{name} sells at {payload['registration']} {chosen} a year (renewal {payload['renewal']}, {premium_text}).",
    )


@prices_app.command("remove-domain")
def prices_remove_domain(
    tld: Annotated[str, typer.Argument(help="The TLD to stop selling.")],
    currency: Annotated[str | None, typer.Option("--currency", help="Only in this currency (default: in every currency).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Stop selling a TLD (its domains then have no price: domain_price_unavailable)."""
    from mailwright.catalog import prices as price_book

    name = _tld(tld)
    chosen = _price_currency(currency) if currency is not None else None
    with opened() as rt, rt.db.write() as session:
        removed = price_book.remove_domain(session, name, chosen)
    if not removed:
        fail(f".{name} has no price" + (f" in {chosen}" if chosen else ""))
    emit(as_json, {"tld": name, "currency": chosen, "removed": removed}, f".{name} is no longer sold" + (f" in {chosen}." if chosen else "."))


@prices_app.command("set-mailbox")
def prices_set_mailbox(
    provider: Annotated[str, typer.Argument(help=f"The mailbox provider: {', '.join(MAILBOX_PROVIDERS)}.")],
    amount: Annotated[str, typer.Argument(help="Monthly price of one mailbox, e.g. 6.00.")],
    currency: CurrencyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Set one mailbox provider's monthly price in one currency."""
    from mailwright.catalog import prices as price_book

    chosen = _price_currency(currency)
    name = provider.strip().upper()
    if name not in MAILBOX_PROVIDERS:
        fail(f"PROVIDER: {provider!r} is not one of {', '.join(MAILBOX_PROVIDERS)}", 2)
    monthly = _price("AMOUNT", amount, chosen)
    with opened() as rt, rt.db.write() as session:
        payload = _mailbox_price_payload(price_book.set_mailbox(session, name, monthly))
    emit(as_json, {"mailbox": payload}, f"{name} mailboxes sell at {payload['monthly']} {chosen} a month.")


@prices_app.command("set-rate")
def prices_set_rate(
    currency: Annotated[str, typer.Argument(help=f"The currency: one of {', '.join(c for c in CURRENCIES if c != 'USD')}.")],
    rate: Annotated[str, typer.Argument(help="What 1 USD costs in it, e.g. 0.92 (at most 6 decimals).")],
    as_json: JsonOption = False,
) -> None:
    """Set what 1 USD costs in CURRENCY: converts a registrar's cost to the currency a domain sells in."""
    from mailwright.catalog import prices as price_book

    chosen = currency.strip().upper()
    if chosen == price_book.BASE_CURRENCY:
        fail("CURRENCY: USD is the base of every rate (1 USD = 1 USD)", 2)
    if chosen not in CURRENCIES:
        fail(f"CURRENCY: {currency!r} is not one of {', '.join(c for c in CURRENCIES if c != 'USD')}", 2)
    try:
        millionths = price_book.parse_rate(rate)
    except price_book.InvalidRate:
        fail(f"RATE: {rate!r} is not a rate above zero like 0.92 (at most 6 decimals)", 2)
        raise
    with opened() as rt, rt.db.write() as session:
        payload = _rate_payload(price_book.set_rate(session, chosen, millionths))
    emit(as_json, {"rate": payload}, f"1 USD costs {payload['per_usd']} {chosen}.")


# ------------------------------------------------------------------ exports


def _platform_payload(row: Any) -> dict[str, Any]:
    from mailwright.exports import service as exports

    return {
        "platform_id": row.id, "account_id": row.account_id, "user_id": row.user_id, "platform": row.platform,
        "name": row.name, "base_url": exports.base_url_of(row), "created": iso(row.created_at),
    }


def _export_payload(session: Any, export: Any) -> dict[str, Any]:
    from mailwright.exports import service as exports

    items = exports.items_of(session, export.id)
    return {
        "export_id": export.id, "account_id": export.account_id, "platform_id": export.platform_id, "order_id": export.order_id,
        "status": exports.status_of(items), "created": iso(export.created_at),
        "mailboxes": [
            {"mailbox_id": i.mailbox_id, "email": i.email, "status": i.status.upper(), "error": i.error, "remote_id": i.remote_id, "attempts": i.attempts}
            for i in items
        ],
    }


def _export_table(payload: dict[str, Any]) -> Table:
    title = f"Export {payload['export_id']}: {payload['status']}"
    items = table("Mailbox", "Status", "Remote id", "Error", title=title, min_width=len(title))
    for item in payload["mailboxes"]:
        items.add_row(item["email"], item["status"], item["remote_id"] or "", item["error"] or "")
    return items


@export_platforms_app.command("list")
def export_platforms_list(
    account: Annotated[str, typer.Option(help="The account whose platforms to list.")],
    as_json: JsonOption = False,
) -> None:
    """The account's sending platforms (its own and its users'), without their keys."""
    from mailwright.exports import service as exports

    with opened() as rt, rt.db.read() as session:
        payload = {"platforms": [_platform_payload(r) for r in exports.platforms_of(session, account, every_user=True)]}
    listing = table(id_column("Platform"), "Kind", "Name", id_column("User"), "Base URL")
    for p in payload["platforms"]:
        listing.add_row(p["platform_id"], p["platform"], p["name"], p["user_id"] or "", p["base_url"])
    emit(as_json, payload, listing)


@export_platforms_app.command("add")
def export_platforms_add(
    account: Annotated[str, typer.Option(help="The account it belongs to.")],
    platform: Annotated[str, typer.Option(help="INSTANTLY, SMARTLEAD or WOODPECKER.")],
    name: Annotated[str, typer.Option(help="A name for it, e.g. Outreach team.")],
    api_key: Annotated[
        str, typer.Option(help="The platform's API key (asked for when not given; not echoed).", prompt=True, hide_input=True, envvar="MAILWRIGHT_EXPORT_API_KEY")
    ],
    base_url: Annotated[str | None, typer.Option(help="The platform's API, if not its public one.")] = None,
    user: Annotated[str | None, typer.Option(help="One of the account's reseller users it belongs to.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Register a sending platform once the platform accepts the key (checked there first)."""
    from mailwright.accounts.models import Account
    from mailwright.errors import Unavailable
    from mailwright.exports import service as exports
    from mailwright.net.outbound import OutboundPolicy

    with opened() as rt:
        policy = OutboundPolicy.of(rt.settings)
        issues = FieldIssues()
        new = exports.check_new_platform(issues, {"platform": platform, "name": name, "apiKey": api_key, "baseUrl": base_url}, policy)
        with rt.db.read() as session:
            if session.get(Account, account) is None:
                fail(f"no account {account}")
            if user is not None and _reseller_user(session, account, user) is None:
                fail(f"no user {user} of account {account}")
        if new is None:
            fail("; ".join(f"{i.field}: {i.issue}" for i in issues.items), 2)
        assert new is not None
        try:
            exports.probe(new, policy)
        except RuleViolation as exc:
            fail("; ".join(f"{f.field}: {f.issue}" for f in exc.fields) or exc.message)
        except Unavailable as exc:
            fail(str(exc))
        with rt.db.write() as session:
            payload = _platform_payload(exports.add_platform(session, rt.secrets, account_id=account, user_id=user, new=new))
    emit(as_json, payload, f"Sending platform {payload['platform_id']} added ({payload['platform']}, {payload['name']}); its key is stored encrypted.")


def _reseller_user(session: Any, account_id: str, user_id: str) -> Any:
    from mailwright.users import service as users

    try:
        return users.get_user(session, account_id, user_id)
    except NotFound:
        return None


@export_platforms_app.command("remove")
def export_platforms_remove(platform_id: str, as_json: JsonOption = False) -> None:
    """Forget a platform and its key; what it already has stays there."""
    from mailwright.exports.models import ExportPlatform
    from mailwright.exports import service as exports

    with opened() as rt, rt.db.write() as session:
        row = session.get(ExportPlatform, platform_id)
        if row is None or row.deleted_at is not None:
            fail(f"no sending platform {platform_id}")
        exports.remove_platform(session, row)
        payload = _platform_payload(row)
    emit(as_json, payload, f"Sending platform {platform_id} removed.")


def _platform_in_use(session: Any, platform_id: str) -> Any:
    from mailwright.exports.models import ExportPlatform

    row = session.get(ExportPlatform, platform_id)
    if row is None or row.deleted_at is not None:
        fail(f"no sending platform {platform_id}")
    return row


def _start_export(rt: Runtime, platform_id: str, mailbox_ids: list[str], domain_ids: list[str]) -> dict[str, Any]:
    """Export the mailboxes (and the domains' live mailboxes) of the platform's account."""
    from mailwright.domains.models import Domain
    from mailwright.exports import service as exports
    from mailwright.mailboxes.models import Mailbox

    with rt.db.write() as session:
        platform = _platform_in_use(session, platform_id)
        chosen: dict[str, Any] = {}
        for mailbox_id in mailbox_ids:
            mailbox = session.get(Mailbox, mailbox_id)
            if mailbox is None or not exports.mailbox_fits_platform(mailbox, platform):
                fail(f"no mailbox {mailbox_id} that platform {platform_id} may take (the platform's account's, or its user's)")
            chosen[mailbox.id] = mailbox
        for domain_id in domain_ids:
            domain = session.get(Domain, domain_id)
            if domain is None or domain.account_id != platform.account_id:
                fail(f"no domain {domain_id} of the platform's account")
            chosen |= {m.id: m for m in exports.live_mailboxes(session, domain_id) if exports.mailbox_fits_platform(m, platform)}
        if not chosen:
            fail("nothing to export: give --mailbox or --domain (a domain with live mailboxes)", 2)
        return _export_payload(session, exports.start_export(session, rt, platform, list(chosen.values())))


@exports_app.command("start")
def exports_start(
    platform: Annotated[str, typer.Option(help="The sending platform (see `mailwright exports platforms list`).")],
    mailbox: Annotated[list[str] | None, typer.Option(help="A mailbox id to export (repeatable).")] = None,
    domain: Annotated[list[str] | None, typer.Option(help="A domain id: every live mailbox of it (repeatable).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Export mailboxes to a platform; follow it with `mailwright exports show`."""
    with opened() as rt:
        payload = _start_export(rt, platform, mailbox or [], domain or [])
    emit(as_json, payload, f"Export {payload['export_id']} started; follow it with `mailwright exports show {payload['export_id']}`.")


@exports_app.command("show")
def exports_show(export_id: str, as_json: JsonOption = False) -> None:
    """An export with each mailbox's status, the platform's id of it, and the platform's error."""
    from mailwright.exports.models import Export

    with opened() as rt, rt.db.read() as session:
        export = session.get(Export, export_id)
        if export is None:
            fail(f"no export {export_id}")
        payload = _export_payload(session, export)
    emit(as_json, payload, _export_table(payload))


@exports_app.command("re-export")
def exports_re_export(
    mailbox_id: str,
    platform: Annotated[str, typer.Option(help="The sending platform to export it to again.")],
    as_json: JsonOption = False,
) -> None:
    """Export one mailbox again (looked up at the platform first, added only if missing)."""
    with opened() as rt:
        payload = _start_export(rt, platform, [mailbox_id], [])
    emit(as_json, payload, f"Export {payload['export_id']} started; follow it with `mailwright exports show {payload['export_id']}`.")


if __name__ == "__main__":
    sys.exit(main())
