"""What can be bought and for how much: mailbox prices per provider, domain availability and
yearly prices, and name suggestions for a phrase."""

from __future__ import annotations

import re
from dataclasses import dataclass

import idna
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright.catalog import prices
from mailwright.domains.models import Domain
from mailwright.domains.names import normalize_domain
from mailwright.money import Money
from mailwright.providers.base import Availability
from mailwright.providers.registry import Providers

MAX_SUGGESTIONS = 20
_PREFIXES = ("get", "try", "hello", "meet", "join")
_SUFFIXES = ("hq", "mail", "team", "app", "now")


@dataclass(frozen=True)
class ProviderPrice:
    name: str
    price: Money


def mailbox_prices(session: Session, providers: Providers, currency: str) -> list[ProviderPrice]:
    """Each configured mailbox provider with its monthly price in `currency` from the price book
    (a provider without one is not offered)."""
    book = prices.mailbox_prices(session, currency)
    return [ProviderPrice(name, book[name]) for name in providers.mailbox_provider_names if name in book]


def selling_tlds(session: Session, providers: Providers, currency: str) -> tuple[str, ...]:
    """The TLDs names are suggested on: those the price book sells in `currency`, in the
    registrar's order of popularity where it lists them."""
    return prices.selling_tlds(session, currency, providers.registrar.tlds())


def check_domains(session: Session, providers: Providers, names: list[str], currency: str) -> list[Availability]:
    """Availability from the registrar, priced from the price book (catalog.prices: the registrar's
    answer is its cost). A name already held by any Mailwright account is taken; a name that
    cannot be sold without a loss, or whose TLD has no selling price, has no price."""
    if not names:
        return []
    held = set(session.scalars(sa.select(Domain.name_claim).where(Domain.name_claim.in_(names))))
    book = prices.domain_prices(session, currency, [prices.tld_of(n) for n in names])
    known_rates: dict[str, int] | None = None
    answers = []
    for a in providers.registrar.check(names, currency):
        if a.domain in held:
            answers.append(Availability(a.domain, False, None))
            continue
        listed = book.get(prices.tld_of(a.domain))
        if not a.available or listed is None or a.price is None:
            answers.append(Availability(a.domain, a.available, None, a.premium))
            continue
        if a.price.currency != currency and known_rates is None:
            known_rates = prices.rates(session)
        cost = prices.convert_up(a.price, currency, known_rates or {})
        selling = prices.sell(listed.registration, listed.premium_max, cost, premium=a.premium)
        answers.append(Availability(a.domain, True, selling, a.premium))
    return answers


def _phrase_words(phrase: str) -> tuple[list[str], str | None]:
    """Words of a phrase in Unicode, and the TLD it named if any ("piedpiper.io" -> io)."""
    text = phrase.strip().lower()
    as_domain = normalize_domain(text) if "." in text else None
    if as_domain is not None:
        label, _, tld = as_domain.partition(".")
        return [idna.decode(label)], tld
    return [w for w in re.split(r"[^\w]+|_", text) if w], None


def suggest_names(phrase: str, tlds: tuple[str, ...]) -> list[str] | None:
    """Sensible names for a phrase: the phrase itself on every TLD (the one it named first), then
    common prefixes and suffixes on the most popular TLDs. None when the phrase has no usable word;
    empty when there is no TLD to put it on.

    "Pied Piper" -> piedpiper.com, piedpiper.net, ..., pied-piper.com, ..., getpiedpiper.com, ...
    """
    words, wanted_tld = _phrase_words(phrase)
    if not words:
        return None
    ordered_tlds = ([wanted_tld] if wanted_tld else []) + [t for t in tlds if t != wanted_tld]
    if not ordered_tlds:  # the price book sells no TLD: nothing to suggest, nothing wrong with the phrase
        return []
    base = "".join(words)
    labels = [base] + (["-".join(words)] if len(words) > 1 else [])
    candidates = [f"{label}.{tld}" for label in labels for tld in ordered_tlds]
    variants = [p + base for p in _PREFIXES] + [base + s for s in _SUFFIXES]
    candidates += [f"{variant}.{tld}" for variant in variants for tld in ordered_tlds[:2]]
    names: list[str] = []
    for candidate in candidates:
        name = normalize_domain(candidate)
        if name is not None and name not in names:
            names.append(name)
    return names[:MAX_SUGGESTIONS] or None
