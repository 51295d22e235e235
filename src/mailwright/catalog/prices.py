"""The operator's price book: selling prices per TLD (registration and renewal, per year) and per
mailbox provider (per month), in each currency sold, with the exchange rates that turn a
registrar's cost into that currency. Managed with `mailwright prices ...`; filled with the
sandbox's figures by the migration that created it.

A registrar's price is its COST. A domain is sold at the price book's price only when:
- its TLD (public suffix: com, co.uk) has a price in the account's currency;
- the registrar quotes a cost, convertible into that currency (same currency, or rates known);
- the cost, converted and rounded UP to the cent, is not above the selling price (never at a loss);
- it is not a premium name, unless the TLD allows premiums (premium_max): then it is sold at its
  cost (rounded up), never below the TLD's selling price, and only if that is at most premium_max.
Otherwise the domain has no price (`domain_price_unavailable` on both faces).

Services flush, never commit: the caller's transaction decides."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright.catalog.models import DomainPrice, ExchangeRate, MailboxPrice
from mailwright.domains.names import normalize_domain, registrable_suffix
from mailwright.money import Money

BASE_CURRENCY = "USD"
RATE_DECIMALS = 6
RATE_SCALE = 10**RATE_DECIMALS
_RATE = re.compile(r"(?P<units>[0-9]{1,9})(?:\.(?P<fraction>[0-9]{1,%d}))?" % RATE_DECIMALS)


class InvalidRate(ValueError):
    pass


class InvalidTld(ValueError):
    pass


@dataclass(frozen=True)
class DomainPrices:
    tld: str
    registration: Money
    renewal: Money
    premium_max: Money | None


# ------------------------------------------------------------------ input


def parse_rate(text: str) -> int:
    """"0.92" -> 920000 millionths; positive, at most 6 decimals. Anything else raises InvalidRate."""
    match = _RATE.fullmatch(str(text).strip())
    if not match:
        raise InvalidRate(f"not a rate: {text!r}")
    value = int(match["units"]) * RATE_SCALE + int((match["fraction"] or "0").ljust(RATE_DECIMALS, "0"))
    if value <= 0:
        raise InvalidRate(f"a rate must be above zero: {text!r}")
    return value


def format_rate(millionths: int) -> str:
    units, fraction = divmod(millionths, RATE_SCALE)
    text = f"{units}.{fraction:0{RATE_DECIMALS}d}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def normalize_tld(raw: str) -> str:
    """"COM", ".com", "co.uk", "рф" -> com, com, co.uk, xn--p1ai: a public suffix names can be
    registered under; anything else raises InvalidTld."""
    text = str(raw).strip().strip(".").lower()
    name = normalize_domain(f"example.{text}") if text else None
    if name is None or registrable_suffix(name) != name.removeprefix("example."):
        raise InvalidTld(f"{raw!r} is not a top-level domain names are registered under (e.g. com, io, co.uk)")
    return name.removeprefix("example.")


def tld_of(domain: str) -> str:
    """The TLD a domain is priced under: its public suffix (piedpiper.co.uk -> co.uk)."""
    return registrable_suffix(domain)


# ------------------------------------------------------------------ conversion


def rates(session: Session) -> dict[str, int]:
    """What 1 USD costs in each currency, in millionths (USD itself included, as 1)."""
    found = {r.currency: r.per_usd_millionths for r in session.scalars(sa.select(ExchangeRate))}
    return found | {BASE_CURRENCY: RATE_SCALE}


def convert_up(amount: Money, currency: str, known: dict[str, int]) -> Money | None:
    """`amount` in `currency`, rounded UP to the minor unit (a cost is never underestimated);
    None when a rate it needs is not set. Exact integer arithmetic: amount x rate(to) / rate(from)."""
    if amount.currency == currency:
        return amount
    source, target = known.get(amount.currency), known.get(currency)
    if source is None or target is None:
        return None
    return Money(-(-amount.minor * target // source), currency)


# ------------------------------------------------------------------ selling


def sell(price: Money, premium_max: Money | None, cost: Money | None, *, premium: bool) -> Money | None:
    """What a name with this converted cost is sold at, or None when it is not sold (see module doc)."""
    if cost is None:
        return None
    if premium:
        if premium_max is None:
            return None
        offered = max(price, cost)
        return offered if offered <= premium_max else None
    return price if cost <= price else None


def domain_prices(session: Session, currency: str, tlds: list[str] | None = None) -> dict[str, DomainPrices]:
    query = sa.select(DomainPrice).where(DomainPrice.currency == currency)
    if tlds is not None:
        query = query.where(DomainPrice.tld.in_(set(tlds)))
    return {row.tld: _prices(row) for row in session.scalars(query)}


def _prices(row: DomainPrice) -> DomainPrices:
    premium = None if row.premium_max_minor is None else Money(row.premium_max_minor, row.currency)
    return DomainPrices(row.tld, Money(row.registration_minor, row.currency), Money(row.renewal_minor, row.currency), premium)


def selling_tlds(session: Session, currency: str, popular_first: tuple[str, ...]) -> tuple[str, ...]:
    """The TLDs sold in `currency`: those of `popular_first` (the registrar's order) first, then the rest A-Z."""
    sold = set(session.scalars(sa.select(DomainPrice.tld).where(DomainPrice.currency == currency)))
    ordered = [t for t in popular_first if t in sold]
    return tuple(ordered + sorted(sold - set(ordered)))


def renewal_price(session: Session, domain: str, currency: str, cost: Money | None) -> Money | None:
    """What one year's renewal of `domain` is sold at today, given the registrar's renewal cost
    (None: the registrar does not renew it). Same rules as registration; a renewal cost above the
    renewal price is charged at cost when the TLD's premium allowance covers it (premium names
    usually renew at their premium price)."""
    prices = domain_prices(session, currency, [tld_of(domain)]).get(tld_of(domain))
    if prices is None or cost is None:
        return None
    converted = convert_up(cost, currency, rates(session))
    if converted is None:
        return None
    if converted <= prices.renewal:
        return prices.renewal
    return sell(prices.renewal, prices.premium_max, converted, premium=True)


def mailbox_price(session: Session, provider: str, currency: str) -> Money | None:
    row = session.get(MailboxPrice, (provider, currency))
    return None if row is None else Money(row.monthly_minor, currency)


def mailbox_prices(session: Session, currency: str) -> dict[str, Money]:
    # Two columns, not the rows as objects: every GET /providers asks it.
    rows = session.execute(sa.select(MailboxPrice.provider, MailboxPrice.monthly_minor).where(MailboxPrice.currency == currency))
    return {provider: Money(minor, currency) for provider, minor in rows}


# ------------------------------------------------------------------ the operator's changes


def set_domain(session: Session, tld: str, registration: Money, renewal: Money | None = None, premium_max: Money | None = None) -> DomainPrice:
    """Replace the TLD's prices in registration's currency (renewal defaults to registration; no
    premium_max: premium names are not sold)."""
    row = session.get(DomainPrice, (tld, registration.currency))
    if row is None:
        row = DomainPrice(tld=tld, currency=registration.currency)
        session.add(row)
    row.registration_minor = registration.minor
    row.renewal_minor = (renewal or registration).minor
    row.premium_max_minor = None if premium_max is None else premium_max.minor
    session.flush()
    return row


def remove_domain(session: Session, tld: str, currency: str | None = None) -> int:
    """Stop selling the TLD (in one currency, or in all); how many prices were removed."""
    query = sa.delete(DomainPrice).where(DomainPrice.tld == tld)
    if currency is not None:
        query = query.where(DomainPrice.currency == currency)
    removed = session.execute(query.execution_options(synchronize_session=False)).rowcount
    session.flush()
    return int(removed or 0)


def set_mailbox(session: Session, provider: str, monthly: Money) -> MailboxPrice:
    row = session.get(MailboxPrice, (provider, monthly.currency))
    if row is None:
        row = MailboxPrice(provider=provider, currency=monthly.currency)
        session.add(row)
    row.monthly_minor = monthly.minor
    session.flush()
    return row


def set_rate(session: Session, currency: str, per_usd_millionths: int) -> ExchangeRate:
    if currency == BASE_CURRENCY:
        raise InvalidRate(f"{BASE_CURRENCY} is the base of every rate (1 {BASE_CURRENCY} = 1 {BASE_CURRENCY})")
    row = session.get(ExchangeRate, currency)
    if row is None:
        row = ExchangeRate(currency=currency)
        session.add(row)
    row.per_usd_millionths = per_usd_millionths
    session.flush()
    return row


def listing(session: Session) -> dict[str, list]:
    """Everything in the price book, sorted, as the CLI shows it."""
    return {
        "domains": list(session.scalars(sa.select(DomainPrice).order_by(DomainPrice.tld, DomainPrice.currency))),
        "mailboxes": list(session.scalars(sa.select(MailboxPrice).order_by(MailboxPrice.provider, MailboxPrice.currency))),
        "rates": list(session.scalars(sa.select(ExchangeRate).order_by(ExchangeRate.currency))),
    }
