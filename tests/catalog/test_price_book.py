"""The operator's price book on a database of its own (the tests change prices, which the
session's shared database must not see): seeded on first start, the source of every selling
price on both faces, and the registrar's answer only its cost (never sold at a loss, converted
with the operator's rates to the cent, premium names only within the allowance). The sandbox
registrar here quotes its costs in USD (MAILWRIGHT_SANDBOX_REGISTRAR_CURRENCY), as real ones do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from mailwright import runtime as runtime_module
from mailwright.accounts import service as accounts
from mailwright.billing import service as billing
from mailwright.billing.models import Subscription
from mailwright.catalog import prices
from mailwright.catalog import service as catalog
from mailwright.db import migrate
from mailwright.domains.models import Domain
from mailwright.errors import RuleViolation
from mailwright.mailboxes.models import Mailbox
from mailwright.money import Money
from mailwright.orders import service as orders
from mailwright.orders.models import Order
from mailwright.orders.requests import DomainOrderRequest, RequestedDomain, RequestedMailbox
from mailwright.owners import service as owners
from mailwright.providers.sandbox.service import MONTHLY_MAILBOX_PRICES, YEARLY_PRICES
from mailwright.runtime import Runtime
from tests.conftest import TLS, OWNER, Cli, mailwright_env, serve_in_thread, settings_for, unique


@pytest.fixture(scope="module")
def book(database_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, dict[str, Any]]]:
    """A runtime on a fresh database (no worker: orders stay processing), and its price book as the first start left it."""
    settings = settings_for(database_factory("prices"), tmp_path_factory.mktemp("prices"), sandbox_registrar_currency="USD")
    rt = runtime_module.build(settings)
    migrate.upgrade(rt.db)
    with rt.db.read() as session:
        found = prices.listing(session)
        first = {
            "domains": {(r.tld, r.currency): (r.registration_minor, r.renewal_minor, r.premium_max_minor) for r in found["domains"]},
            "mailboxes": {(r.provider, r.currency): r.monthly_minor for r in found["mailboxes"]},
            "rates": [r.currency for r in found["rates"]],
        }
    yield rt, first
    rt.close()


@pytest.fixture(scope="module")
def rt(book: tuple[Runtime, dict[str, Any]]) -> Runtime:
    return book[0]


def new_account(rt: Runtime, currency: str = "USD", *, owner: bool = False) -> Any:
    with rt.db.write() as session:
        account, key = accounts.create_account(session, "Prices", currency, credit=Money(100_000, currency))
        if owner:
            owners.replace_owner(session, account.id, owners.validate_owner(OWNER))
    account.api_key = key
    return account


def set_domain(rt: Runtime, tld: str, amount: int, currency: str = "USD", **kwargs: Any) -> None:
    with rt.db.write() as session:
        prices.set_domain(session, tld, Money(amount, currency), **kwargs)


def price_of(rt: Runtime, domain: str, currency: str = "USD") -> Money | None:
    with rt.db.read() as session:
        [answer] = catalog.check_domains(session, rt.providers, [domain], currency)
    assert answer.available
    return answer.price


def order_refusal(rt: Runtime, account: Any, domain: str) -> RuleViolation:
    request = DomainOrderRequest("GOOGLE", [RequestedDomain(domain, "domains[0]")], [])
    with rt.db.read() as session, pytest.raises(RuleViolation) as refused:
        orders.plan_domain_order(session, rt.settings, rt.providers, account, request)
    return refused.value


def test_price_book_seeded_on_first_start_with_the_sandbox_figures(book):
    _, first = book
    assert first["domains"] == {(tld, c): (minor, minor, None) for tld, minor in YEARLY_PRICES.items() for c in ("USD", "EUR")}
    assert first["mailboxes"] == {(p, c): minor for p, minor in MONTHLY_MAILBOX_PRICES.items() for c in ("USD", "EUR")}
    assert first["rates"] == []


def test_selling_below_cost_is_refused(rt):
    account = new_account(rt)
    name = f"{unique()}.net"  # the registrar's cost: 15.00 USD
    set_domain(rt, "net", 1499)
    assert price_of(rt, name) is None
    refusal = order_refusal(rt, account, name)
    assert refusal.code == "domain_price_unavailable"
    assert [(f.field, f.value, f.code) for f in refusal.fields] == [("domains[0]", name, "domain_price_unavailable")]
    set_domain(rt, "net", 1500)  # at cost: sold
    assert price_of(rt, name) == Money(1500, "USD")
    set_domain(rt, "net", 1990)
    assert price_of(rt, name) == Money(1990, "USD")


def test_a_cost_in_another_currency_is_converted_to_the_cent_in_the_operators_favour(rt):
    name = f"{unique()}.org"  # the registrar's cost: 12.00 USD
    set_domain(rt, "org", 1200, "EUR")
    assert price_of(rt, name, "EUR") is None  # no EUR rate yet: the cost cannot be checked, so it is not sold
    with rt.db.write() as session:
        prices.set_rate(session, "EUR", prices.parse_rate("0.923456"))
    # 12.00 USD x 0.923456 = 11.081472 EUR: counted as 11.09, never 11.08.
    set_domain(rt, "org", 1108, "EUR")
    assert price_of(rt, name, "EUR") is None
    set_domain(rt, "org", 1109, "EUR")
    assert price_of(rt, name, "EUR") == Money(1109, "EUR")
    assert price_of(rt, name, "USD") == Money(1200, "USD")  # USD prices need no rate
    # Both ways, exact integer arithmetic; rounding always up.
    known = {"USD": 1_000_000, "EUR": 920_000}
    assert prices.convert_up(Money(1300, "USD"), "EUR", known) == Money(1196, "EUR")
    assert prices.convert_up(Money(1000, "EUR"), "USD", known) == Money(1087, "USD")  # 10.869565...
    assert prices.convert_up(Money(1000, "EUR"), "USD", {"USD": 1_000_000}) is None


def test_a_tld_without_selling_price_is_refused(rt):
    account = new_account(rt)
    name = f"{unique()}.ai"
    with rt.db.write() as session:
        assert prices.remove_domain(session, "ai") == 2  # USD and EUR
    assert price_of(rt, name) is None
    assert order_refusal(rt, account, name).code == "domain_price_unavailable"
    with rt.db.read() as session:
        assert "ai" not in catalog.selling_tlds(session, rt.providers, "USD")
        assert catalog.suggest_names("ai stuff", catalog.selling_tlds(session, rt.providers, "USD"))[0] == "aistuff.com"
    assert catalog.suggest_names("pied piper", ()) == []  # nothing sold: no suggestion, and no fault in the phrase


def test_premium_names_are_refused_unless_allowed_up_to_premium_max(rt):
    account = new_account(rt)
    premium, plain = f"premium-{unique()}.io", f"{unique()}.io"  # costs 450.00 and 45.00 USD
    set_domain(rt, "io", 4500)
    [answer] = rt.providers.registrar.check([premium], "USD")
    assert answer.premium and answer.price == Money(45_000, "USD")
    assert price_of(rt, premium) is None
    assert order_refusal(rt, account, premium).code == "domain_price_unavailable"
    set_domain(rt, "io", 4500, premium_max=Money(40_000, "USD"))  # below its cost: still refused
    assert price_of(rt, premium) is None
    set_domain(rt, "io", 4500, premium_max=Money(50_000, "USD"))
    assert price_of(rt, premium) == Money(45_000, "USD")  # sold at its cost
    assert price_of(rt, plain) == Money(4500, "USD")  # other names at the TLD's price


def test_renewals_are_sold_at_the_price_book_renewal_price_never_below_cost(rt):
    with rt.db.write() as session:
        prices.set_domain(session, "net", Money(1500, "USD"), renewal=Money(1700, "USD"))
        assert prices.renewal_price(session, "x.net", "USD", Money(1500, "USD")) == Money(1700, "USD")
        assert prices.renewal_price(session, "x.net", "USD", Money(1701, "USD")) is None  # above the renewal price
        assert prices.renewal_price(session, "x.net", "USD", None) is None  # the registrar does not renew it
        prices.set_domain(session, "net", Money(1500, "USD"), renewal=Money(1700, "USD"), premium_max=Money(20_000, "USD"))
        assert prices.renewal_price(session, "x.net", "USD", Money(15_000, "USD")) == Money(15_000, "USD")


def test_prices_changed_after_an_order_do_not_change_it_or_its_subscription(rt):
    account = new_account(rt, owner=True)
    name = f"{unique()}.co"
    set_domain(rt, "co", 3000)
    with rt.db.write() as session:
        prices.set_mailbox(session, "GOOGLE", Money(600, "USD"))
    request = DomainOrderRequest(
        "GOOGLE",
        [RequestedDomain(name, "domains[0]")],
        [RequestedMailbox.at("mailboxes[0]", f"ann@{name}", "Ann", "Lee")],
    )
    with rt.db.write() as session:
        plan = orders.plan_domain_order(session, rt.settings, rt.providers, account, request)
        order = orders.place_order(session, rt, plan)
        order_id = order.id
    with rt.db.write() as session:
        prices.set_domain(session, "co", Money(9900, "USD"))
        prices.set_mailbox(session, "GOOGLE", Money(900, "USD"))
    with rt.db.read() as session:
        assert session.get(Order, order_id).total_minor == 3000 + 600
        assert session.scalars(sa.select(Domain.price_minor).where(Domain.order_id == order_id)).one() == 3000
        assert session.scalars(sa.select(Mailbox.price_minor).where(Mailbox.order_id == order_id)).one() == 600
        domain_id = session.scalars(sa.select(Domain.id).where(Domain.order_id == order_id)).one()
        sub = session.scalars(sa.select(Subscription).where(Subscription.domain_id == domain_id)).one()
        assert sub.price_per_mailbox_minor == 600
        [view] = billing.list_subscriptions(session, rt.settings, rt.providers, account.id)
    assert view.price_per_mailbox == Money(600, "USD")  # this period: as sold
    assert view.next_charge == Money(900, "USD")  # the next renewal: today's price book price (README)
    assert price_of(rt, f"{unique()}.co") == Money(9900, "USD")  # new orders: the new price


def test_both_faces_answer_from_the_price_book(rt):
    account = new_account(rt)
    set_domain(rt, "com", 1250)  # below the registrar's cost of 13.00
    with rt.db.write() as session:
        prices.set_mailbox(session, "MAILDOSO", Money(450, "USD"))
    live = serve_in_thread(rt)
    name = f"{unique()}.com"
    try:
        with httpx.Client(base_url=live.base_url, timeout=30, verify=TLS) as client:
            wp = {"x-api-key": account.api_key}
            providers = client.get("/rest/v2/domains/providers", headers=wp).json()["providers"]
            assert {"name": "MAILDOSO", "currency": "USD", "email_account_price": "4.50"} in providers
            checked = client.post("/rest/v2/domains/availability?provider=GOOGLE", headers=wp, json={"domains": [name]}).json()
            assert checked["domains"] == [{"domain": name, "available": True, "price": None}]
            refused = client.post("/rest/v2/domains/order", headers=wp, json={"provider": "GOOGLE", "domains": [name], "mailboxes": []})
            assert refused.status_code == 422, refused.text
            assert refused.json()["code"] == "domain_price_unavailable"
            cmr = {"cmr-x-api-key": account.api_key}
            answer = client.post("/api/v1/integration/domains/check", headers=cmr, json={"domain": name}).json()
            assert answer["data"] == {"domain": name, "available": True, "price": None, "currency": None}
            set_domain(rt, "com", 1400)
            answer = client.post("/api/v1/integration/domains/check", headers=cmr, json={"domain": name}).json()
            assert answer["data"] == {"domain": name, "available": True, "price": "14.00", "currency": "USD"}
    finally:
        live.stop()


def test_prices_commands(rt):
    """The command group in few processes (each costs seconds): two changes side by side with one
    bad input, then the listing. set-mailbox and remove-domain share their checks and run the
    service functions the tests above use."""
    settings = rt.settings
    cli = Cli(mailwright_env(settings.database_url, settings.data_dir, secret_key=settings.secret_key, sandbox_dns_port="0"))
    dev, rate, bad = cli.many(
        ["prices", "set-domain", ".DEV", "20", "--currency", "usd", "--renewal", "25.5", "--premium-max", "300", "--json"],
        ["prices", "set-rate", "eur", "0.92"],
        ["prices", "remove-domain", "notatld", "--currency", "GBP"],
    )
    assert (dev.returncode, rate.returncode) == (0, 0), (dev.stderr, rate.stderr)
    assert json.loads(dev.stdout)["domain"] | {"updated": None} == {
        "tld": "dev", "currency": "USD", "registration": "20.00", "renewal": "25.50", "premium_max": "300.00", "updated": None,
    }
    assert rate.stdout.strip() == "1 USD costs 0.92 EUR."
    assert (bad.returncode, bad.stdout, bad.stderr.strip()) == (
        2, "", "Error: TLD: 'notatld' is not a top-level domain names are registered under (e.g. com, io, co.uk)"
    )
    listing = cli.json("prices", "list")
    assert {(d["tld"], d["currency"], d["registration"], d["renewal"], d["premium_max"]) for d in listing["domains"]} >= {
        ("dev", "USD", "20.00", "25.50", "300.00"), ("com", "EUR", "13.00", "13.00", None),
    }
    assert ("GOOGLE", "EUR", "6.00") in {(m["provider"], m["currency"], m["monthly"]) for m in listing["mailboxes"]}
    assert [(r["currency"], r["per_usd"]) for r in listing["rates"]] == [("EUR", "0.92")]
    assert listing["base_currency"] == "USD"


def test_command_line_input_is_checked_before_anything_changes():
    """The checks the commands run before opening the database, in process (no command is spawned)."""
    assert prices.normalize_tld(".COM") == "com"
    assert prices.normalize_tld("co.uk") == "co.uk"
    assert prices.normalize_tld("рф") == "xn--p1ai"
    for bad in ("", "notatld", "example.com", "-com", "com com"):
        with pytest.raises(prices.InvalidTld):
            prices.normalize_tld(bad)
    assert prices.parse_rate("0.92") == 920_000
    assert prices.parse_rate("1.234567") == 1_234_567
    assert prices.format_rate(920_000) == "0.92" and prices.format_rate(2_000_000) == "2.0"
    for bad in ("0", "0.0000001", "-1", "1e3", "abc", "١"):
        with pytest.raises(prices.InvalidRate):
            prices.parse_rate(bad)
