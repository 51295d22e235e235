"""Namecheap as registrar and as DNS host, through its XML API
(https://www.namecheap.com/support/api/intro/ and the method pages under
https://www.namecheap.com/support/api/methods/: global parameters and error codes, domains.check,
domains.getList, domains.getInfo, domains.create, domains.renew, domains.dns.setDefault,
domains.dns.setCustom, domains.dns.getList, domains.dns.getHosts, domains.dns.setHosts,
users.getPricing, users.getBalances).

Choices (docs/decisions/1102-namecheap.md says why):
- Every command is an HTTP POST of a form to the one endpoint (`.../xml.response`), as the
  documentation recommends for domains.create and setHosts, so ApiKey travels in the body and
  never in a URL that a proxy, a log or an error could show.
- Answers are untrusted XML, parsed with defusedxml (no entities, no external references).
  Element names are compared without namespace and case (the documentation's examples show
  both `Host` and `host`, with and without the namespace).
- Namecheap signals its rate limit (20 calls a minute, 700 an hour, 8000 a day per user) with
  HTTP 405: that is a RetriableError after a minute. 429 and 5xx are retried by providers/http.py.
- Error numbers: authentication and IP whitelist (1010101 ... 1017411, 2033409) and "order
  creation failed" (2528166, what the registrar answers when the balance does not cover the
  order) park the item for a person (NeedsActionError, saying what to do); "domain not
  available" (3019166, 4019166) and other refusals are terminal; Namecheap's own unknown errors
  (3050900, 5050900 ...) are retried.
- A domain's SLD and TLD are split at its public suffix (tldextract's bundled list), so
  `example.co.uk` is SLD `example`, TLD `co.uk`.
- Prices are Namecheap's costs, in the account's currency (USD for the accounts the documentation
  shows), whatever currency the buyer pays in: converting them and selling at the operator's
  price is the price book's business (catalog/prices.py). Premium names are flagged.
- Registration looks before it buys (domains.getList), so a step retried after a crash returns
  the domain already bought; Namecheap has no idempotency key of its own.
- setHosts replaces a domain's whole host list, so every change reads the list (getHosts),
  changes only the (name, type) pairs it was asked to, and writes the whole list back: records
  set by someone else stay.
- As DNS host, Namecheap serves the zones of domains registered in the same account on its
  BasicDNS nameservers (dns1/dns2.registrar-servers.com): it cannot host a zone for a domain
  registered elsewhere, so MAILWRIGHT_DNS_HOST=namecheap needs MAILWRIGHT_REGISTRAR=namecheap.
- Web redirects are Namecheap's URL redirect host records: URL301 at the apex, FRAME when masked.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from urllib.parse import urlsplit

import dns.exception
import dns.resolver
import httpx
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from mailwright.config import SettingProblem, Settings, required
from mailwright.domains.names import registrable_suffix
from mailwright.money import CURRENCIES, Money
from mailwright.providers.base import (
    Availability,
    Capability,
    Contact,
    NeedsActionError,
    ProviderError,
    RecordSpec,
    Registration,
    RetriableError,
    TerminalError,
)
from mailwright.providers.http import DEFAULT_TIMEOUT_SECONDS, ProviderHttp

PROVIDER = "namecheap"
DEFAULT_BASE_URL = "https://api.namecheap.com/xml.response"
SANDBOX_BASE_URL = "https://api.sandbox.namecheap.com/xml.response"
# BasicDNS, the DNS Namecheap gives every domain registered with it.
DEFAULT_NAMESERVERS = ("dns1.registrar-servers.com", "dns2.registrar-servers.com")
# domains.check takes at most 50 names (error 2011169 past that).
CHECK_BATCH = 50
# domains.getList pages hold 10 to 100 domains.
LIST_PAGE_SIZE = 100
# Namecheap asks that pricing answers be cached; its prices change rarely.
PRICE_CACHE_SECONDS = 3600.0
# A 405 means one of the per-user limits was reached; the smallest window is a minute.
RATE_LIMIT_RETRY_SECONDS = 60.0
# BasicDNS's addresses, once resolved, are kept this long.
SERVER_CACHE_SECONDS = 3600.0
# TTL bounds setHosts accepts.
MIN_TTL, MAX_TTL = 60, 60000
HOST_RECORD_TYPES = frozenset({"A", "AAAA", "ALIAS", "CAA", "CNAME", "MX", "MXE", "NS", "TXT", "URL", "URL301", "FRAME"})
REDIRECT_TYPES = frozenset({"URL", "URL301", "FRAME"})

WHITELIST_ERRORS = frozenset({1011150, 1017150, 1017105, 1010105, 1011105})
CREDENTIAL_ERRORS = frozenset({1010101, 1010102, 1011102, 1030408, 1050900, 1017101, 1019103, 1016103, 1017103, 2033409})
ACCOUNT_ERRORS = frozenset({1017410, 1017411})
FUNDS_ERRORS = frozenset({2528166})
UNAVAILABLE_ERRORS = frozenset({3019166, 4019166})
NOT_IN_ACCOUNT_ERRORS = frozenset({2019166, 2016166, 4011103})
PREMIUM_MISMATCH_ERRORS = frozenset({2515610, 2515623})
SERVER_ERRORS = frozenset({3028166, 3031166, 3031510, 3031900, 3050900, 5019169, 5050169, 5050900})

_PHONE_SEPARATORS = re.compile(r"[ .()-]+")


@dataclass(frozen=True)
class ApiError:
    number: int
    text: str

    def __str__(self) -> str:
        return f"{self.text} ({self.number})"


class NamecheapRefusal(TerminalError):
    """A refusal Namecheap gave with its error numbers (kept for callers that branch on them)."""

    def __init__(self, message: str, errors: tuple[ApiError, ...]) -> None:
        super().__init__(message)
        self.numbers = frozenset(e.number for e in errors)


@dataclass(frozen=True)
class Host:
    """One host record as getHosts lists it and setHosts takes it."""

    name: str
    type: str
    address: str
    ttl: int = 1800
    mx_pref: int | None = None

    def key(self) -> tuple[str, str]:
        return (self.name.lower(), self.type.upper())


def split_domain(domain: str) -> tuple[str, str]:
    """(SLD, TLD) as Namecheap's DNS commands take them: the TLD is the whole public suffix."""
    name = domain.strip().rstrip(".").lower()
    suffix = registrable_suffix(name)
    if not suffix or not name.endswith("." + suffix) or len(name) == len(suffix) + 1:
        raise TerminalError(f"{domain} is not a registrable domain name")
    sld = name[: -len(suffix) - 1]
    if "." in sld:
        raise TerminalError(f"{domain} is a subdomain, not a registrable domain name")
    return sld, suffix


def namecheap_phone(phone: str) -> str:
    """+NNN.NNNNNNNNNN, as domains.create takes phone numbers: the country code is the digits
    before the first separator of a number written +1.6505550100 or +1 650 555 0100."""
    text = phone.strip()
    match = re.match(r"^\+(\d{1,3})[ .()-]+(.+)$", text)
    if match is None:
        raise TerminalError(
            f"The registrant's phone number {text} does not show its country code apart (write it as +1.6505550100)"
        )
    rest = "".join(_PHONE_SEPARATORS.split(match.group(2)))
    if not rest.isdigit():
        raise TerminalError(f"The registrant's phone number {text} is not a phone number Namecheap accepts")
    return f"+{match.group(1)}.{rest}"


def parse_date(text: str) -> dt.datetime:
    """Namecheap's dates (MM/DD/YYYY, sometimes followed by a time) as midnight UTC."""
    day = text.strip().split(" ")[0]
    try:
        return dt.datetime.strptime(day, "%m/%d/%Y").replace(tzinfo=dt.timezone.utc)
    except ValueError as exc:
        raise RetriableError(f"{PROVIDER}: unreadable date {text!r} in its answer") from exc


def to_minor(amount: str, what: str) -> int:
    """An amount in the currency's minor units, rounded up: a cost never reads lower than it is."""
    try:
        value = Decimal(amount.strip())
    except (InvalidOperation, AttributeError) as exc:
        raise RetriableError(f"{PROVIDER}: unreadable {what} {amount!r} in its answer") from exc
    if not value.is_finite() or value < 0:
        raise RetriableError(f"{PROVIDER}: unreadable {what} {amount!r} in its answer")
    return int((value * 100).to_integral_value(rounding=ROUND_CEILING))


def _strip(root: ET.Element) -> ET.Element:
    """Element names without namespace, in lower case (attributes keep their documented case)."""
    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = element.tag.rsplit("}", 1)[-1].lower()
    return root


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return element.find(name.lower())


def _text(element: ET.Element | None, name: str) -> str:
    found = None if element is None else element.find(name.lower())
    return (found.text or "").strip() if found is not None else ""


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


class NamecheapApi:
    """The one client of a Namecheap account: global parameters, the POST, the answer's errors."""

    def __init__(
        self,
        api_user: str,
        api_key: str,
        username: str,
        client_ip: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        directory, _, self.endpoint = parts.path.rpartition("/")
        self.http = ProviderHttp(PROVIDER, f"{parts.scheme}://{parts.netloc}{directory}/", timeout=timeout, transport=transport)
        self.username = username
        self.client_ip = client_ip
        self._credentials = {"ApiUser": api_user, "ApiKey": api_key, "UserName": username, "ClientIp": client_ip}
        self._prices: dict[tuple[str, str], tuple[float, Money | None]] = {}
        self._prices_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> NamecheapApi:
        why = "MAILWRIGHT_REGISTRAR=namecheap or MAILWRIGHT_DNS_HOST=namecheap"
        api_user = required(settings, "namecheap_api_user", why)
        api_key = required(settings, "namecheap_api_key", why)
        username = required(settings, "namecheap_username", why)
        client_ip = required(settings, "namecheap_client_ip", why)
        try:
            ipaddress.IPv4Address(client_ip)
        except ValueError as exc:
            raise SettingProblem(
                "namecheap_client_ip",
                "must be the public IPv4 address Mailwright calls Namecheap from (the one whitelisted there), e.g. 203.0.113.7",
            ) from exc
        base_url = (settings.namecheap_base_url or "").strip()
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or not parts.path.strip("/") or parts.query:
            raise SettingProblem("namecheap_base_url", f"must be the API's URL, e.g. {DEFAULT_BASE_URL} (or {SANDBOX_BASE_URL})")
        return cls(api_user, api_key, username, client_ip, base_url)

    def close(self) -> None:
        self.http.close()

    def __repr__(self) -> str:  # never the key
        return f"NamecheapApi(username={self.username!r})"

    # ------------------------------------------------------------------ wire

    def call(self, command: str, params: dict[str, str] | None = None) -> ET.Element:
        """The CommandResponse of `namecheap.<command>`; Namecheap's errors raised as their kind."""
        full = f"namecheap.{command}"
        response = self.http.request("POST", self.endpoint, data={**self._credentials, "Command": full, **(params or {})})
        where = f"{PROVIDER} {full}"
        if response.status_code == 405:
            raise RetriableError(
                f"{where}: rate limited (Namecheap allows 20 calls a minute, 700 an hour and 8000 a day per user)",
                retry_after=RATE_LIMIT_RETRY_SECONDS,
            )
        if response.status_code != 200:
            raise NeedsActionError(
                f"{where} answered HTTP {response.status_code}: check MAILWRIGHT_NAMECHEAP_BASE_URL "
                f"(the API's URL is {DEFAULT_BASE_URL}, its sandbox's {SANDBOX_BASE_URL})"
            )
        try:
            root = _strip(fromstring(response.content))
        except (ET.ParseError, DefusedXmlException, ValueError) as exc:
            raise RetriableError(f"{where}: the answer is not the API's XML ({type(exc).__name__})") from exc
        if root.tag != "apiresponse":
            raise RetriableError(f"{where}: the answer is not the API's XML (no ApiResponse)")
        errors = tuple(
            ApiError(int(e.get("Number", "0")) if (e.get("Number") or "").isdigit() else 0, (e.text or "").strip())
            for e in root.iter("error")
        )
        if root.get("Status", "").upper() != "OK" or errors:
            raise self._error(full, errors)
        command_response = _child(root, "CommandResponse")
        if command_response is None:
            raise RetriableError(f"{where}: the answer has no CommandResponse")
        return command_response

    def _error(self, command: str, errors: tuple[ApiError, ...]) -> ProviderError:
        numbers = {e.number for e in errors}
        said = "; ".join(str(e) for e in errors) or "an error without a number"
        key = self._credentials["ApiKey"]
        if key:  # an error text echoing the request must not carry the key on
            said = said.replace(key, "[ApiKey]")
        where = f"Namecheap {command}"
        if numbers & WHITELIST_ERRORS:
            return NeedsActionError(
                f"{where} refused the client IP ({said}): whitelist {self.client_ip} for the API in the Namecheap "
                "account (Profile > Tools > API Access > Whitelisted IPs) and make MAILWRIGHT_NAMECHEAP_CLIENT_IP the "
                "public IPv4 address Mailwright calls from"
            )
        if numbers & CREDENTIAL_ERRORS:
            return NeedsActionError(
                f"{where} did not accept the credentials ({said}): enable API access for the account (Profile > Tools "
                "> API Access) and check MAILWRIGHT_NAMECHEAP_API_USER, MAILWRIGHT_NAMECHEAP_API_KEY and "
                "MAILWRIGHT_NAMECHEAP_USERNAME"
            )
        if numbers & ACCOUNT_ERRORS:
            return NeedsActionError(f"{where} refused the account ({said}): sort it out with Namecheap support")
        if numbers & FUNDS_ERRORS:
            return NeedsActionError(
                f"{where} could not create the order ({said}): add funds to the Namecheap account's balance "
                "(its available balance must cover the price)"
            )
        if numbers & SERVER_ERRORS and not numbers - SERVER_ERRORS:
            return RetriableError(f"{where} failed on Namecheap's side ({said})")
        return NamecheapRefusal(f"{where} refused: {said}", errors)

    # ------------------------------------------------------------------ commands

    def balance(self) -> tuple[Money | None, str]:
        """The available balance (None in a currency Mailwright does not know) and its text."""
        result = _child(self.call("users.getBalances"), "UserGetBalancesResult")
        if result is None:
            raise RetriableError(f"{PROVIDER} users.getBalances: no result in the answer")
        currency = (result.get("Currency") or "").upper()
        amount = result.get("AvailableBalance") or "0"
        money = Money(to_minor(amount, "balance"), currency) if currency in CURRENCIES else None
        return money, f"{Decimal(amount):.2f} {currency}".strip()

    def check_summary(self) -> str:
        _, shown = self.balance()
        return f"authenticated as {self.username}; available balance {shown}"

    def price(self, action: str, tld: str) -> Money | None:
        """One year's standard price of `action` (REGISTER, RENEW) for the TLD, in the account's
        currency, cached; None when Namecheap does not sell it."""
        key = (action, tld)
        now = time.monotonic()
        with self._prices_lock:
            cached = self._prices.get(key)
        if cached is None or now - cached[0] > PRICE_CACHE_SECONDS:
            result = self.call(
                "users.getPricing", {"ProductType": "DOMAIN", "ProductCategory": "DOMAINS", "ActionName": action, "ProductName": tld}
            )
            cached = (now, self._one_year(result, tld))
            with self._prices_lock:
                self._prices[key] = cached
        return cached[1]

    @staticmethod
    def _one_year(result: ET.Element, tld: str) -> Money | None:
        for product in result.iter("product"):
            if (product.get("Name") or "").lower() != tld.lower():
                continue
            for price in product.iter("price"):
                if price.get("Duration") == "1" and (price.get("DurationType") or "YEAR").upper() == "YEAR":
                    currency = (price.get("Currency") or "").upper()
                    amount = price.get("YourPrice") or price.get("Price") or ""
                    if currency not in CURRENCIES or not amount:
                        return None
                    return Money(to_minor(amount, "price"), currency)
        return None

    def check_names(self, domains: list[str]) -> dict[str, ET.Element]:
        answers: dict[str, ET.Element] = {}
        for start in range(0, len(domains), CHECK_BATCH):
            batch = domains[start : start + CHECK_BATCH]
            result = self.call("domains.check", {"DomainList": ",".join(batch)})
            for item in result.iter("domaincheckresult"):
                answers[(item.get("Domain") or "").lower()] = item
        return answers

    def listed(self, domain: str) -> ET.Element | None:
        """The domain's row in the account's domain list, or None: every page until it is found."""
        page = 1
        while True:
            result = self.call(
                "domains.getList", {"ListType": "ALL", "SearchTerm": domain, "Page": str(page), "PageSize": str(LIST_PAGE_SIZE)}
            )
            rows = list(result.iter("domain"))
            for row in rows:
                if (row.get("Name") or "").lower() == domain:
                    return row
            paging = _child(result, "Paging")
            total = int(_text(paging, "TotalItems") or 0) if _text(paging, "TotalItems").isdigit() else 0
            if not rows or page * LIST_PAGE_SIZE >= total:
                return None
            page += 1

    def hosts(self, domain: str) -> tuple[list[Host], str, bool]:
        """The domain's host records, its EmailType and whether it uses Namecheap's DNS."""
        sld, tld = split_domain(domain)
        result = _child(self.call("domains.dns.getHosts", {"SLD": sld, "TLD": tld}), "DomainDNSGetHostsResult")
        if result is None:
            raise RetriableError(f"{PROVIDER} domains.dns.getHosts: no result in the answer")
        hosts = []
        for row in result.iter("host"):
            kind = (row.get("Type") or "").upper()
            ttl = row.get("TTL") or "1800"
            pref = row.get("MXPref") or ""
            hosts.append(
                Host(
                    name=row.get("Name") or "@",
                    type=kind,
                    address=row.get("Address") or "",
                    ttl=int(ttl) if ttl.isdigit() else 1800,
                    mx_pref=int(pref) if kind == "MX" and pref.isdigit() else None,
                )
            )
        return hosts, (result.get("EmailType") or "").upper(), _true(result.get("IsUsingOurDNS"))

    def set_hosts(self, domain: str, hosts: list[Host], email_type: str) -> None:
        sld, tld = split_domain(domain)
        params = {"SLD": sld, "TLD": tld}
        if any(h.type == "MX" for h in hosts):
            email_type = "MX"
        elif email_type in ("MX", ""):
            email_type = "NONE"
        params["EmailType"] = email_type
        for i, host in enumerate(hosts, start=1):
            params[f"HostName{i}"] = host.name
            params[f"RecordType{i}"] = host.type
            params[f"Address{i}"] = host.address
            params[f"TTL{i}"] = str(min(max(host.ttl, MIN_TTL), MAX_TTL))
            if host.type == "MX":
                params[f"MXPref{i}"] = str(host.mx_pref or 0)
        result = _child(self.call("domains.dns.setHosts", params), "DomainDNSSetHostsResult")
        if result is None or not _true(result.get("IsSuccess")):
            raise RetriableError(f"{PROVIDER} domains.dns.setHosts: {domain} was not updated")

    def set_default_dns(self, domain: str) -> None:
        sld, tld = split_domain(domain)
        result = _child(self.call("domains.dns.setDefault", {"SLD": sld, "TLD": tld}), "DomainDNSSetDefaultResult")
        if result is None or not _true(result.get("Updated")):
            raise RetriableError(f"{PROVIDER} domains.dns.setDefault: {domain} was not updated")

    def dns_servers(self, domain: str) -> tuple[bool, tuple[str, ...]]:
        """Whether the domain uses Namecheap's DNS, and the nameservers it is delegated to."""
        sld, tld = split_domain(domain)
        result = _child(self.call("domains.dns.getList", {"SLD": sld, "TLD": tld}), "DomainDNSGetListResult")
        if result is None:
            raise RetriableError(f"{PROVIDER} domains.dns.getList: no result in the answer")
        servers = tuple((n.text or "").strip().lower().rstrip(".") for n in result.iter("nameserver") if (n.text or "").strip())
        return _true(result.get("IsUsingOurDNS")), servers


class NamecheapRegistrar:
    """Registers and renews domains in one Namecheap account, paid from its balance."""

    # Namecheap allows 20 calls a minute per user (and 700 an hour: module docstring); a step
    # makes up to four (look, check, create, read back): at most 5 steps a minute (provisioning/queues.py).
    STEP_RATE = (5, 60)
    SUPPORTS = frozenset(
        {Capability.PRICING, Capability.AVAILABILITY, Capability.REGISTRATION, Capability.RENEWAL, Capability.NAMESERVERS}
    )
    # The names suggested for a phrase, most popular first (each is priced by Namecheap when asked).
    TLDS = ("com", "net", "org", "io", "co", "ai")

    def __init__(self, api: NamecheapApi, tlds: tuple[str, ...] = TLDS) -> None:
        self.api = api
        self._tlds = tlds
        self._premium: dict[str, tuple[float, bool | None]] = {}

    @classmethod
    def from_settings(cls, settings: Settings, api: NamecheapApi | None = None) -> NamecheapRegistrar:
        return cls(api or NamecheapApi.from_settings(settings))

    def check(self, domains: list[str], currency: str) -> list[Availability]:
        """Availability (domains.check in batches of 50) and each name's cost (users.getPricing, or
        the premium price domains.check states), in the account's currency whatever `currency`."""
        wanted = [d.lower() for d in domains]
        answers = self.api.check_names(wanted)
        results = []
        for domain in wanted:
            item = answers.get(domain)
            available = item is not None and _true(item.get("Available"))
            price = self._registration_price(domain, item) if available and item is not None else None
            premium = available and item is not None and _true(item.get("IsPremiumName"))
            results.append(Availability(domain=domain, available=available, price=price, premium=premium))
        return results

    def probe(self) -> str:
        """The account check (base.AccountCheck): users.getBalances, the cheapest authenticated call."""
        return self.api.check_summary()

    def tlds(self) -> tuple[str, ...]:
        return self._tlds

    def close(self) -> None:
        self.api.close()

    def _registration_price(self, domain: str, item: ET.Element) -> Money | None:
        if _true(item.get("IsPremiumName")):
            # Premium names are priced by the registry, in USD as domains.check states them.
            amount = to_minor(item.get("PremiumRegistrationPrice") or "0", "premium price")
            fees = to_minor(item.get("EapFee") or "0", "EAP fee") + to_minor(item.get("IcannFee") or "0", "ICANN fee")
            return Money(amount + fees, "USD") if amount else None
        _, tld = split_domain(domain)
        return self.api.price("REGISTER", tld)

    def find_registration(self, domain: str) -> Registration | None:
        row = self.api.listed(domain.lower())
        if row is None:
            return None
        return Registration(domain=domain.lower(), registrar_ref=row.get("ID") or "", expires_at=parse_date(row.get("Expires") or ""))

    def register(self, domain: str, years: int, contact: Contact, idempotency_key: str) -> Registration:
        """Look before buying: a domain already in the account (an earlier run of this step that
        crashed after buying) is returned as it is; otherwise check, then domains.create."""
        domain = domain.lower()
        existing = self.find_registration(domain)
        if existing is not None:
            return existing
        item = self.api.check_names([domain]).get(domain)
        if item is None or not _true(item.get("Available")):
            raise TerminalError(f"{domain} is no longer available at Namecheap")
        params = {"DomainName": domain, "Years": str(years), "AddFreeWhoisguard": "yes", "WGEnabled": "yes"}
        if _true(item.get("IsPremiumName")):
            params |= {
                "IsPremiumDomain": "true",
                "PremiumPrice": item.get("PremiumRegistrationPrice") or "0",
                "EapFee": item.get("EapFee") or "0",
            }
        phone = namecheap_phone(contact.phone)
        for role in ("Registrant", "Tech", "Admin", "AuxBilling"):
            params |= {
                f"{role}FirstName": contact.first_name,
                f"{role}LastName": contact.last_name,
                f"{role}Address1": contact.address,
                f"{role}City": contact.city,
                f"{role}StateProvince": contact.state,
                f"{role}PostalCode": contact.zip_code,
                f"{role}Country": contact.country.upper(),
                f"{role}Phone": phone,
                f"{role}EmailAddress": contact.email,
            }
            if contact.company_name:
                params[f"{role}OrganizationName"] = contact.company_name
        try:
            result = _child(self.api.call("domains.create", params), "DomainCreateResult")
        except NamecheapRefusal as exc:
            if exc.numbers & UNAVAILABLE_ERRORS:
                raise TerminalError(f"{domain} was registered by someone else meanwhile: {exc}") from exc
            if exc.numbers & PREMIUM_MISMATCH_ERRORS:
                raise TerminalError(f"{domain} is priced as a premium name differently than checked: {exc}") from exc
            raise
        if result is None or not _true(result.get("Registered")):
            # Registries that do not register in real time: the next attempt finds it in the list.
            raise RetriableError(f"{PROVIDER} domains.create: {domain} is not registered yet", retry_after=60)
        return self._info(domain, result.get("DomainID") or "")

    def _info(self, domain: str, ref: str) -> Registration:
        result = _child(self.api.call("domains.getInfo", {"DomainName": domain}), "DomainGetInfoResult")
        if result is None:
            raise RetriableError(f"{PROVIDER} domains.getInfo: no result for {domain}")
        details = _child(result, "DomainDetails")
        dns = _child(result, "DnsDetails")
        servers = () if dns is None else tuple((n.text or "").strip().lower() for n in dns.iter("nameserver") if n.text)
        return Registration(
            domain=domain,
            registrar_ref=result.get("ID") or ref,
            expires_at=parse_date(_text(details, "ExpiredDate")),
            nameservers=servers,
        )

    def set_nameservers(self, domain: str, nameservers: tuple[str, ...]) -> None:
        """Namecheap's own nameservers mean BasicDNS (setDefault); any others, setCustom."""
        wanted = tuple(ns.strip().lower().rstrip(".") for ns in nameservers if ns.strip())
        sld, tld = split_domain(domain)
        if set(wanted) == set(DEFAULT_NAMESERVERS):
            self.api.set_default_dns(domain)
            return
        if len(wanted) < 2:
            raise TerminalError(f"Namecheap needs at least two nameservers for {domain}, not {', '.join(wanted) or 'none'}")
        result = _child(
            self.api.call("domains.dns.setCustom", {"SLD": sld, "TLD": tld, "Nameservers": ",".join(wanted)}),
            "DomainDNSSetCustomResult",
        )
        if result is None or not _true(result.get("Updated")):
            raise RetriableError(f"{PROVIDER} domains.dns.setCustom: {domain} was not updated")

    def renewal_price(self, domain: str, currency: str) -> Money | None:
        """The TLD's standard renewal price. None for a premium name (its registry sets its own
        renewal price, documented only in domains.check answers for names to buy; the standard
        price could sell it below cost) and for a domain not in the account."""
        domain = domain.lower()
        _, tld = split_domain(domain)
        if self._is_premium(domain) is not False:
            return None
        return self.api.price("RENEW", tld)

    def _is_premium(self, domain: str) -> bool | None:
        """Whether the account's domain is premium (the answer kept an hour); None when it is not held."""
        now = time.monotonic()
        cached = self._premium.get(domain)
        if cached is None or now - cached[0] > PRICE_CACHE_SECONDS:
            row = self.api.listed(domain)
            if row is None:
                return None
            cached = (now, _true(row.get("IsPremium")))
            self._premium[domain] = cached
        return cached[1]

    def renew(self, domain: str, years: int, expected_expires_at: dt.datetime, idempotency_key: str) -> Registration:
        """Namecheap renews from the current expiry and has no idempotency key: the expiry it
        shows tells whether this renewal was made already (expected + years) or the domain was
        renewed elsewhere (anything else), compared by date as Namecheap keeps them."""
        domain = domain.lower()
        current = self.find_registration(domain)
        if current is None:
            raise TerminalError(f"{domain} is not in the Namecheap account")
        expected = expected_expires_at.astimezone(dt.timezone.utc).date()
        target = _add_years(expected, years)
        shown = current.expires_at.date()
        if shown == target:
            return current
        if shown != expected:
            raise TerminalError(f"{domain} expires on {shown.isoformat()} at Namecheap, not on {expected.isoformat()} as expected")
        result = _child(self.api.call("domains.renew", {"DomainName": domain, "Years": str(years)}), "DomainRenewResult")
        if result is None or not _true(result.get("Renew")):
            raise RetriableError(f"{PROVIDER} domains.renew: {domain} was not renewed yet")
        expiry = _text(_child(result, "DomainDetails"), "ExpiredDate")
        expires_at = parse_date(expiry) if expiry else dt.datetime.combine(target, dt.time(), dt.timezone.utc)
        return Registration(domain=domain, registrar_ref=result.get("DomainID") or current.registrar_ref, expires_at=expires_at)


class NamecheapDnsHost:
    """Host records of domains in the Namecheap account, served by BasicDNS."""

    # Namecheap allows 20 calls a minute per user (and 700 an hour: module docstring); a step
    # makes up to four (look, check, create, read back): at most 5 steps a minute (provisioning/queues.py).
    STEP_RATE = (5, 60)
    SUPPORTS = frozenset({Capability.DNS_RECORDS, Capability.WEB_REDIRECT})

    def __init__(self, api: NamecheapApi, *, resolve: bool = True, resolve_timeout: float = 3.0) -> None:
        self.api = api
        self.resolve = resolve
        self.resolve_timeout = resolve_timeout
        self._lock = threading.Lock()  # read-merge-write of one process never interleaves
        self._servers: tuple[float, tuple[tuple[str, int], ...]] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, api: NamecheapApi | None = None) -> NamecheapDnsHost:
        if settings.registrar != "namecheap":
            raise SettingProblem(
                "dns_host",
                "namecheap hosts DNS only for domains registered in the same Namecheap account: "
                "set MAILWRIGHT_REGISTRAR=namecheap too, or choose another DNS host",
            )
        return cls(api or NamecheapApi.from_settings(settings), resolve_timeout=settings.dns_query_timeout_seconds)

    def probe(self) -> str:
        """The account check (base.AccountCheck): users.getBalances, the cheapest authenticated call."""
        return self.api.check_summary()

    def close(self) -> None:
        self.api.close()

    def ensure_zone(self, domain: str) -> tuple[str, ...]:
        """The zone exists for every domain in the account; its host records are served only
        while the domain uses Namecheap's DNS, so a domain delegated elsewhere is set back."""
        try:
            ours, _ = self.api.dns_servers(domain)
        except NamecheapRefusal as exc:
            if exc.numbers & NOT_IN_ACCOUNT_ERRORS:
                raise TerminalError(f"{domain} is not in the Namecheap account, so Namecheap cannot host its DNS: {exc}") from exc
            raise
        if not ours:
            self.api.set_default_dns(domain)
        return DEFAULT_NAMESERVERS

    def replace_records(self, domain: str, records: list[RecordSpec]) -> None:
        wanted = [self._host(domain, r) for r in records]
        keys = {h.key() for h in wanted}
        with self._lock:
            current, email_type, _ = self.api.hosts(domain)
            kept = [h for h in current if h.key() not in keys]
            merged = kept + wanted
            if sorted(merged, key=_order) == sorted(current, key=_order):
                return
            self.api.set_hosts(domain, merged, email_type)

    def remove_records(self, domain: str, name: str, type: str) -> None:
        key = (name.lower(), type.upper())
        with self._lock:
            current, email_type, _ = self.api.hosts(domain)
            kept = [h for h in current if h.key() != key]
            if len(kept) != len(current):
                self.api.set_hosts(domain, kept, email_type)

    def set_web_redirect(self, domain: str, url: str | None, *, masked: bool = False) -> None:
        """A URL redirect record at the apex: URL301 (a permanent redirect), or FRAME (masked)."""
        if url is not None and not re.match(r"^https?://", url):
            raise TerminalError(f"Namecheap redirects need a URL starting with http:// or https://, not {url}")
        with self._lock:
            current, email_type, _ = self.api.hosts(domain)
            kept = [h for h in current if not (h.name == "@" and h.type in REDIRECT_TYPES)]
            if url is not None:
                kept.append(Host("@", "FRAME" if masked else "URL301", url, 1800))
            if sorted(kept, key=_order) != sorted(current, key=_order):
                self.api.set_hosts(domain, kept, email_type)

    def nameservers(self, domain: str) -> tuple[str, ...]:
        return DEFAULT_NAMESERVERS

    def query_servers(self, domain: str) -> tuple[tuple[str, int], ...]:
        """BasicDNS's IPv4 addresses, port 53, looked up within the DNS query timeout and kept an
        hour; none when they cannot be resolved (verification then finds no record served)."""
        cached = self._servers
        if cached is not None and time.monotonic() - cached[0] < SERVER_CACHE_SECONDS:
            return cached[1]
        servers: list[tuple[str, int]] = []
        for name in DEFAULT_NAMESERVERS if self.resolve else ():
            try:
                answer = dns.resolver.resolve(name, "A", lifetime=self.resolve_timeout)
            except dns.exception.DNSException:
                continue
            servers += [(r.to_text(), 53) for r in answer if (r.to_text(), 53) not in servers]
        if servers:
            self._servers = (time.monotonic(), tuple(servers))
        return tuple(servers)

    @staticmethod
    def _host(domain: str, spec: RecordSpec) -> Host:
        kind = spec.type.upper()
        if kind not in HOST_RECORD_TYPES or kind in REDIRECT_TYPES or kind == "MXE":
            raise TerminalError(f"Namecheap host records cannot be of type {kind} ({spec.name}.{domain})")
        return Host(spec.name or "@", kind, spec.value, spec.ttl, spec.priority if kind == "MX" else None)


def _order(host: Host) -> tuple[str, str, str, int, int]:
    return (host.name.lower(), host.type, host.address, host.ttl, host.mx_pref or 0)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_NAMESERVERS",
    "SANDBOX_BASE_URL",
    "NamecheapApi",
    "NamecheapDnsHost",
    "NamecheapRegistrar",
    "namecheap_phone",
    "split_domain",
]
