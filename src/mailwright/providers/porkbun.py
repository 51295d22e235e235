"""Porkbun as registrar (MAILWRIGHT_REGISTRAR=porkbun) and as DNS host (MAILWRIGHT_DNS_HOST=porkbun),
through its JSON API v3 (https://porkbun.com/api/json/v3/documentation, its Markdown edition
https://porkbun.com/llms-full.txt with the registration guide https://porkbun.com/llms/guides/register-a-domain,
and Porkbun's official MCP server linked from there, github.com/oborseth/Porkbun-MCP, for Domain
Renew and the Idempotency-Key header).

What the API is, as documented: every call is a POST of a JSON body carrying `apikey` and
`secretapikey` to `<base>/<path>`; the answer is `{"status": "SUCCESS", ...}` or, with an HTTP
status other than 200, `{"status": "ERROR", "message": "..."}`. The calls used here:

- `/ping` (the cheapest authenticated call: `check()`), `/pricing/get` (no authentication: the
  standard registration and renewal price of every TLD, USD strings such as "9.68");
- `/domain/checkDomain/{domain}`: availability and this name's price (`response.avail` "yes"/"no",
  `price`, `regularPrice`, `premium`, `additional.renewal.price`) and the caller's budget of checks
  (`limits`: `TTL` seconds, `limit`, `used`). Checks are rate limited (1 per 10 s at the time of
  writing). This adapter keeps each answer for CHECK_CACHE_SECONDS, checks at most what the budget
  it was last told allows, and otherwise raises ProviderUnavailable with the seconds to wait: an
  availability search answers 503 with Retry-After and makes progress on each retry, never a guess;
- `/domain/create/{domain}` with `cost` in pennies (it must equal the quoted price) and
  `agreeToTerms: "yes"`; an `Idempotency-Key` header makes a repeat within 24 hours answer the first
  order. The registrant of a domain bought this way is the Porkbun ACCOUNT's default contact: the
  API takes no contact, so Mailwright's registrant contact is not sent to Porkbun (README, "Porkbun");
- `/domain/renew/{domain}` with `cost` in pennies (the renewal price checkDomain quotes);
- `/domain/listAll` (1000 domains per page from `start`): look before buying, expiry dates;
- `/domain/updateNs/{domain}`, `/domain/getNs/{domain}`;
- `/dns/retrieve/{domain}`, `/dns/retrieveByNameType/{domain}/{type}/[{subdomain}]`,
  `/dns/create/{domain}`, `/dns/editByNameType/...`, `/dns/deleteByNameType/...`;
- `/domain/addUrlForward/{domain}`, `/domain/getUrlForwarding/{domain}`,
  `/domain/deleteUrlForward/{domain}/{id}` (web redirects; "temporary" or "permanent" only).

Choices:
- Answers are mapped to the typed errors of providers/base.py in one place (`_refusal`): wrong
  keys, a domain not opted in to API access and missing account credit need a person
  (NeedsActionError saying what to do); a name not available is terminal; 429/5xx/timeouts are
  retried (providers/http.py).
- Porkbun registers for one year (the TLD's minimum term); more years at once are refused.
- DNS: Porkbun serves zones only for domains in the account, on its own nameservers
  (PORKBUN_NAMESERVERS). `replace_records` makes each (name, type) it is given hold exactly the
  given records, comparing first, so a repeat changes nothing; records of other names and types
  (Porkbun's parking records included) are left alone. TTLs below Porkbun's minimum (600 s) are
  raised to it.
- Secrets go only in request bodies; errors name the path, never the body.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, overload
from urllib.parse import quote

import httpx

from mailwright.config import Settings, required
from mailwright.money import Money
from mailwright.providers.base import (
    Availability,
    Capability,
    Contact,
    NeedsActionError,
    ProviderError,
    ProviderUnavailable,
    RecordSpec,
    Registration,
    RetriableError,
    TerminalError,
)
from mailwright.providers.http import DEFAULT_TIMEOUT_SECONDS, ProviderHttp

PROVIDER = "Porkbun"
# The nameservers Porkbun's DNS hosting answers on (its documented defaults for a domain in the account).
PORKBUN_NAMESERVERS = (
    "curitiba.ns.porkbun.com",
    "fortaleza.ns.porkbun.com",
    "maceio.ns.porkbun.com",
    "salvador.ns.porkbun.com",
)
CHECK_CACHE_SECONDS = 300.0  # how old an availability answer may be when it is used again
PRICING_CACHE_SECONDS = 3600.0
LIST_PAGE_SIZE = 1000  # /domain/listAll answers this many per page
MIN_TTL = 600  # Porkbun's minimum (and default) record TTL
HOST_VALUED = {"MX", "CNAME", "NS", "ALIAS"}  # content is a host name; Porkbun keeps it without the final dot
KEYS_SETTINGS = "MAILWRIGHT_PORKBUN_API_KEY and MAILWRIGHT_PORKBUN_SECRET_API_KEY"
MONEY_CURRENCY = "USD"  # Porkbun prices and charges in US dollars


def _pennies(text: Any) -> int:
    """A Porkbun price ("9.68", "1,200.00") as integer cents."""
    try:
        return int((Decimal(str(text).replace(",", "")) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except (InvalidOperation, ValueError) as exc:
        raise RetriableError(f"{PROVIDER} answered a price that is not a number: {str(text)[:20]!r}") from exc


def _parse_time(text: str) -> dt.datetime:
    """listAll's "2023-08-20 17:52:51" (UTC)."""
    return dt.datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class _Budget:
    """Porkbun's budget of availability checks: `limit` per `ttl` seconds, `used` of it since `start`."""

    start: float
    ttl: float
    limit: int
    used: int


@dataclass(frozen=True)
class _Check:
    available: bool
    price: int  # pennies, first year
    regular_price: int
    premium: bool
    renewal: int | None
    at: float


class PorkbunApi:
    """The calls and the one mapping of Porkbun's answers to typed errors, shared by both roles."""

    def __init__(
        self,
        api_key: str,
        secret_api_key: str,
        base_url: str = "https://api.porkbun.com/api/json/v3",
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keys = {"apikey": api_key, "secretapikey": secret_api_key}
        self.http = ProviderHttp(PROVIDER, base_url, timeout=timeout, transport=transport)
        self.clock = clock
        self._lock = threading.Lock()
        self._checks: dict[str, _Check] = {}
        self._budget: _Budget | None = None
        self._pricing: tuple[float, dict[str, Any]] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, role: str) -> PorkbunApi:
        why = f"{role}=porkbun"
        return cls(
            required(settings, "porkbun_api_key", why),
            required(settings, "porkbun_secret_api_key", why),
            required(settings, "porkbun_base_url", why),
        )

    # ------------------------------------------------------------------ wire

    def call(self, path: str, body: dict[str, Any] | None = None, *, auth: bool = True,
             idempotency_key: str | None = None, domain: str | None = None) -> dict[str, Any]:
        """The SUCCESS answer of `path`, or the typed error its ERROR answer means."""
        payload = dict(body or {})
        if auth:
            payload |= self._keys
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        response = self.http.request("POST", path, json=payload, headers=headers)
        where = f"{PROVIDER} /{path.lstrip('/')}"
        try:
            answer = response.json()
        except ValueError as exc:
            if 400 <= response.status_code < 500:  # e.g. 403 from a host that no longer serves the API
                raise NeedsActionError(
                    f"{where}: HTTP {response.status_code} without Porkbun's JSON answer: check MAILWRIGHT_PORKBUN_BASE_URL "
                    "(https://api.porkbun.com/api/json/v3 unless you use another)"
                ) from exc
            raise RetriableError(f"{where}: an answer that is not JSON ({response.status_code})") from exc
        if not isinstance(answer, dict):
            raise RetriableError(f"{where}: an answer that is not a JSON object ({response.status_code})")
        if answer.get("status") == "SUCCESS" and response.status_code == 200:
            return answer
        message = str(answer.get("message") or f"HTTP {response.status_code}")
        for secret in self._keys.values():  # Porkbun's words only, never our keys, whatever it echoes
            if secret:
                message = message.replace(secret, "[key]")
        raise _refusal(where, message[:300], answer, domain)

    # ------------------------------------------------------------------ shared calls

    def ping(self) -> str:
        answer = self.call("ping")
        ip = answer.get("yourIp")
        return f"authenticated; your IP seen by Porkbun: {ip}" if ip else "authenticated"

    def pricing(self) -> dict[str, Any]:
        with self._lock:
            if self._pricing is not None and self.clock() - self._pricing[0] < PRICING_CACHE_SECONDS:
                return self._pricing[1]
        prices = self.call("pricing/get", auth=False).get("pricing") or {}
        with self._lock:
            self._pricing = (self.clock(), prices)
        return prices

    def check_domain(self, domain: str, *, max_age: float = CHECK_CACHE_SECONDS) -> _Check:
        """Porkbun's answer for `domain`, from the cache when younger than `max_age`; otherwise a
        check within the budget Porkbun last stated, or ProviderUnavailable with the wait (which a
        request answers as 503 with Retry-After and a workflow step retries after)."""
        now = self.clock()
        with self._lock:
            cached = self._checks.get(domain)
            if cached is not None and now - cached.at < max_age:
                return cached
            budget = self._budget
            if budget is not None and now - budget.start < budget.ttl:
                if budget.used >= budget.limit:
                    wait = budget.ttl - (now - budget.start)
                    raise ProviderUnavailable(
                        f"{PROVIDER} allows {budget.limit} availability check(s) per {budget.ttl:g} s; try again in {wait:.0f} s",
                        retry_after=max(wait, 0.5),
                    )
                self._budget = _Budget(budget.start, budget.ttl, budget.limit, budget.used + 1)
        try:
            answer = self.call(f"domain/checkDomain/{quote(domain)}", domain=domain)
        except ProviderUnavailable:
            raise
        except RetriableError as exc:  # 429, 5xx, or Porkbun's own "limit reached"
            wait = exc.retry_after if exc.retry_after is not None else (self._budget.ttl if self._budget else 10.0)
            with self._lock:
                self._budget = _Budget(self.clock(), wait, 1, 1)
            raise ProviderUnavailable(str(exc), retry_after=wait) from exc
        self._note_limits(answer.get("limits"))
        response = answer.get("response") or {}
        price = response.get("price")
        renewal = ((response.get("additional") or {}).get("renewal") or {}).get("price")
        result = _Check(
            available=response.get("avail") == "yes",
            price=_pennies(price) if price not in (None, "") else 0,
            regular_price=_pennies(response.get("regularPrice") or price or 0),
            premium=response.get("premium") == "yes",
            renewal=_pennies(renewal) if renewal not in (None, "") else None,
            at=self.clock(),
        )
        with self._lock:
            self._checks[domain] = result
        return result

    def _note_limits(self, limits: Any) -> None:
        """Remember the budget of checks Porkbun states (`TTL` seconds, `limit`, `used`)."""
        if not isinstance(limits, dict):
            return
        try:
            ttl, limit, used = float(limits["TTL"]), int(limits["limit"]), int(limits["used"])
        except (KeyError, TypeError, ValueError):
            return
        with self._lock:
            self._budget = _Budget(self.clock(), ttl, limit, used)

    def forget_check(self, domain: str) -> None:
        with self._lock:
            self._checks.pop(domain, None)

    def account_domains(self) -> dict[str, dict[str, Any]]:
        """Every domain in the account (listAll, page by page), by name."""
        found: dict[str, dict[str, Any]] = {}
        start = 0
        while True:
            page = self.call("domain/listAll", {"start": str(start)}).get("domains") or []
            for entry in page:
                if isinstance(entry, dict) and entry.get("domain"):
                    found[str(entry["domain"]).lower()] = entry
            if len(page) < LIST_PAGE_SIZE:
                return found
            start += LIST_PAGE_SIZE

    def close(self) -> None:
        self.http.close()


def _refusal(where: str, message: str, answer: dict[str, Any], domain: str | None) -> Exception:
    """The typed error a Porkbun ERROR answer means; the message is Porkbun's, never our request."""
    text = message.lower()
    code = str(answer.get("code") or "").upper()
    subject = domain or "the domain"
    if "api key" in text or "secret" in text or code in ("INVALID_API_KEY", "AUTH_FAILED"):
        return NeedsActionError(
            f"{where}: Porkbun refused Mailwright's API keys ({message}): create a key pair at "
            f"porkbun.com/account/api and set {KEYS_SETTINGS}"
        )
    if "opted in" in text or "api access" in text:
        return NeedsActionError(
            f"{where}: {subject} is not opted in to API access at Porkbun ({message}): turn on API ACCESS for it "
            "in Porkbun's Domain Management (or for every domain in the account's API settings)"
        )
    if "fund" in text or "credit" in text or "balance" in text or code in ("INSUFFICIENT_FUNDS",):
        return NeedsActionError(
            f"{where}: the Porkbun account has not enough credit ({message}): add account credit at Porkbun "
            "(Billing, Account Credit)"
        )
    if "limit" in text or "too many" in text or code in ("RATE_LIMITED",):
        return RetriableError(f"{where}: rate limited ({message})", retry_after=_limit_ttl(answer))
    if "not available" in text or "unavailable" in text or "already registered" in text or code == "DOMAIN_NOT_AVAILABLE":
        return TerminalError(f"{subject} is not available at Porkbun ({message})")
    return TerminalError(f"{where}: {message}")


def _limit_ttl(answer: dict[str, Any]) -> float | None:
    limits = answer.get("limits")
    try:
        return float(limits["TTL"]) if isinstance(limits, dict) else None
    except (KeyError, TypeError, ValueError):
        return None


# ====================================================================== registrar


class PorkbunRegistrar:
    # Renewal: /domain/renew/{domain} (API v3.3 and later).
    SUPPORTS = frozenset({
        Capability.PRICING, Capability.AVAILABILITY, Capability.REGISTRATION, Capability.RENEWAL, Capability.NAMESERVERS,
    })

    def __init__(self, api: PorkbunApi) -> None:
        self.api = api

    @classmethod
    def from_settings(cls, settings: Settings) -> PorkbunRegistrar:
        return cls(PorkbunApi.from_settings(settings, "MAILWRIGHT_REGISTRAR"))

    @overload
    def check(self) -> str: ...

    @overload
    def check(self, domains: list[str], currency: str) -> list[Availability]: ...

    def check(self, domains: list[str] | None = None, currency: str = MONEY_CURRENCY) -> str | list[Availability]:
        """check() -> str, for `mailwright providers check`: /ping, the cheapest authenticated call
        (NeedsActionError for wrong keys, ProviderUnavailable/RetriableError when Porkbun cannot be
        reached). check(domains, currency): the Registrar protocol's availability check."""
        if domains is None:
            return self.api.ping()
        return self.check_availability(domains, currency)

    def tlds(self) -> tuple[str, ...]:
        popular = ("com", "net", "org", "io", "co", "ai")
        try:
            offered = self.api.pricing()
        except ProviderError:  # suggestions then use the popular ones
            return popular
        return tuple(t for t in popular if t in offered) + tuple(sorted(t for t in offered if t not in popular))

    def check_availability(self, domains: list[str], currency: str) -> list[Availability]:
        """Prices are Porkbun's, in USD: another currency gets no price (not sold here). A name
        Porkbun refuses to check (a TLD it does not sell) is unavailable; wrong keys or a spent
        budget of checks answer ProviderUnavailable, which a request answers 503."""
        results = []
        for domain in domains:
            try:
                answer = self.api.check_domain(domain)
            except NeedsActionError as exc:
                raise ProviderUnavailable(str(exc)) from exc
            except TerminalError:
                results.append(Availability(domain=domain, available=False, price=None))
                continue
            sold = answer.available and answer.price > 0 and currency == MONEY_CURRENCY
            price = Money(answer.price, currency) if sold else None
            results.append(Availability(domain=domain, available=answer.available, price=price))
        return results

    def find_registration(self, domain: str) -> Registration | None:
        entry = self.api.account_domains().get(domain.lower())
        return None if entry is None else _registration(domain, entry)

    def register(self, domain: str, years: int, contact: Contact, idempotency_key: str) -> Registration:
        """Look before buying (listAll), then buy one year at the quoted price. `contact` is not sent:
        Porkbun registers every domain to the account's default contact (module docstring).

        A domain found in the account is taken as bought by an earlier attempt of this step:
        Porkbun keeps no order key to compare, and a name already in the account is unavailable
        at the check, so no order can name one the operator held before."""
        existing = self.find_registration(domain)
        if existing is not None:
            return existing
        if years != 1:
            raise TerminalError(f"Porkbun's API registers {domain} for one year at a time, not {years}")
        answer = self.api.check_domain(domain)
        if not answer.available:
            raise TerminalError(f"{domain} is not available at Porkbun")
        if answer.price <= 0:
            raise TerminalError(f"Porkbun quotes no price for {domain}")
        try:
            self.api.call(
                f"domain/create/{quote(domain)}",
                {"cost": answer.price, "agreeToTerms": "yes"},
                idempotency_key=idempotency_key,
                domain=domain,
            )
        finally:
            self.api.forget_check(domain)  # its price or availability may have changed either way
        registration = self.find_registration(domain)
        if registration is None:
            raise RetriableError(f"Porkbun accepted the order for {domain} but does not list it yet", retry_after=5)
        return registration

    def set_nameservers(self, domain: str, nameservers: tuple[str, ...]) -> None:
        wanted = [ns.rstrip(".").lower() for ns in nameservers]
        current = self.api.call(f"domain/getNs/{quote(domain)}", domain=domain).get("ns") or []
        if sorted(str(ns).rstrip(".").lower() for ns in current) == sorted(wanted):
            return
        self.api.call(f"domain/updateNs/{quote(domain)}", {"ns": wanted}, domain=domain)

    def renewal_price(self, domain: str, currency: str) -> Money | None:
        if currency != MONEY_CURRENCY:
            return None
        entry = self.api.pricing().get(domain.rsplit(".", 1)[-1].lower())
        if not isinstance(entry, dict) or not entry.get("renewal"):
            return None
        return Money(_pennies(entry["renewal"]), currency)

    def renew(self, domain: str, years: int, expected_expires_at: dt.datetime, idempotency_key: str) -> Registration:
        """One year from `expected_expires_at`; the account's expiry tells a repeat (already one year
        later: answered as done) from a renewal made elsewhere (refused)."""
        current = self.find_registration(domain)
        if current is None:
            raise TerminalError(f"{domain} is not in the Porkbun account")
        if years != 1:
            raise TerminalError(f"Porkbun's API renews {domain} one year at a time, not {years}")
        renewed = _add_years(expected_expires_at, years)
        if _same_second(current.expires_at, renewed):
            return current
        if not _same_second(current.expires_at, expected_expires_at):
            raise TerminalError(
                f"{domain} expires at {current.expires_at.isoformat()} at Porkbun, not at {expected_expires_at.isoformat()} as expected"
            )
        answer = self.api.check_domain(domain, max_age=0)
        if answer.renewal is None:
            raise TerminalError(f"Porkbun quotes no renewal price for {domain}")
        self.api.call(f"domain/renew/{quote(domain)}", {"cost": answer.renewal}, idempotency_key=idempotency_key, domain=domain)
        after = self.find_registration(domain)
        if after is None or not _same_second(after.expires_at, renewed):
            raise RetriableError(f"Porkbun accepted the renewal of {domain} but does not show the new expiry yet", retry_after=5)
        return after

    def close(self) -> None:
        self.api.close()


def _registration(domain: str, entry: dict[str, Any]) -> Registration:
    try:
        expires = _parse_time(str(entry.get("expireDate") or ""))
    except ValueError as exc:
        raise RetriableError(f"Porkbun listed {domain} without a readable expiry") from exc
    return Registration(domain=domain, registrar_ref=f"porkbun:{domain}", expires_at=expires)


def _add_years(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def _same_second(a: dt.datetime, b: dt.datetime) -> bool:
    """Porkbun shows expiries to the second, in UTC."""
    if a.tzinfo is None:
        a = a.replace(tzinfo=dt.timezone.utc)
    if b.tzinfo is None:
        b = b.replace(tzinfo=dt.timezone.utc)
    return abs((a - b).total_seconds()) < 1


# ====================================================================== DNS host


@dataclass(frozen=True)
class _Record:
    id: str
    content: str
    ttl: int
    prio: int


class PorkbunDnsHost:
    # Porkbun creates the zone itself when a domain enters the account; it cannot host others.
    SUPPORTS = frozenset({Capability.DNS_RECORDS, Capability.WEB_REDIRECT})

    def __init__(self, api: PorkbunApi, *, verify_server: str = "", resolve: Callable[[str], list[str]] | None = None) -> None:
        self.api = api
        self.verify_server = verify_server
        self._resolve = resolve or _ipv4_addresses
        self._servers: tuple[tuple[str, int], ...] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> PorkbunDnsHost:
        # MAILWRIGHT_DNS_VERIFY_SERVER (host:port), where the readiness checks' queries go instead
        # of Porkbun's nameservers, once Settings has it (dns/verify.py).
        return cls(PorkbunApi.from_settings(settings, "MAILWRIGHT_DNS_HOST"), verify_server=getattr(settings, "dns_verify_server", "") or "")

    def check(self) -> str:
        """`mailwright providers check`: /ping, the cheapest authenticated call."""
        return self.api.ping()

    def ensure_zone(self, domain: str) -> tuple[str, ...]:
        """Porkbun hosts DNS for a domain once it is in the account; it cannot create a zone for any other."""
        try:
            self.api.call(f"dns/retrieve/{quote(domain)}", domain=domain)
        except TerminalError as exc:
            if "invalid domain" in str(exc).lower():
                raise NeedsActionError(
                    f"{domain} is not in the Porkbun account, and Porkbun hosts DNS only for domains in it: register or "
                    "transfer it there, or choose another MAILWRIGHT_DNS_HOST"
                ) from exc
            raise
        return PORKBUN_NAMESERVERS

    def replace_records(self, domain: str, records: list[RecordSpec]) -> None:
        groups: dict[tuple[str, str], list[RecordSpec]] = {}
        for spec in records:
            groups.setdefault((_subdomain(spec.name), spec.type.upper()), []).append(spec)
        for (sub, rtype), specs in groups.items():
            self._replace_set(domain, sub, rtype, specs)

    def _replace_set(self, domain: str, sub: str, rtype: str, specs: list[RecordSpec]) -> None:
        wanted = [_Record("", _content(rtype, s.value), max(s.ttl, MIN_TTL), s.priority or 0) for s in specs]
        existing = self._retrieve(domain, rtype, sub)
        key = lambda r: (_norm(rtype, r.content), r.ttl, r.prio if rtype in ("MX", "SRV") else 0)  # noqa: E731
        if Counter(map(key, existing)) == Counter(map(key, wanted)):
            return
        missing = Counter(map(key, wanted)) - Counter(map(key, existing))
        extra = Counter(map(key, existing)) - Counter(map(key, wanted))
        if not extra:  # a set left half made (a crash between creates): make the rest
            for record in wanted:
                if missing[key(record)] > 0:
                    missing[key(record)] -= 1
                    self._create(domain, sub, rtype, record)
            return
        if len(existing) == 1 and len(wanted) == 1:  # one record changes: edited in place, never absent
            self.api.call(f"dns/editByNameType/{quote(domain)}/{rtype}{_path_sub(sub)}", _body(rtype, wanted[0]), domain=domain)
            return
        self.api.call(f"dns/deleteByNameType/{quote(domain)}/{rtype}{_path_sub(sub)}", domain=domain)
        for record in wanted:
            self._create(domain, sub, rtype, record)

    def _create(self, domain: str, sub: str, rtype: str, record: _Record) -> None:
        self.api.call(f"dns/create/{quote(domain)}", {"name": sub, "type": rtype} | _body(rtype, record), domain=domain)

    def _retrieve(self, domain: str, rtype: str, sub: str) -> list[_Record]:
        answer = self.api.call(f"dns/retrieveByNameType/{quote(domain)}/{rtype}{_path_sub(sub)}", domain=domain)
        records = []
        for row in answer.get("records") or []:
            try:
                records.append(_Record(str(row.get("id")), str(row.get("content") or ""), int(row.get("ttl") or MIN_TTL), int(row.get("prio") or 0)))
            except (TypeError, ValueError, AttributeError):
                continue
        return records

    def remove_records(self, domain: str, name: str, type: str) -> None:
        """deleteByNameType; when nothing is there Porkbun has nothing to delete, which is not an error."""
        sub, rtype = _subdomain(name), type.upper()
        if not self._retrieve(domain, rtype, sub):
            return
        self.api.call(f"dns/deleteByNameType/{quote(domain)}/{rtype}{_path_sub(sub)}", domain=domain)

    def set_web_redirect(self, domain: str, url: str | None, *, masked: bool = False) -> None:
        """Porkbun's URL forwarding for the apex (and www through its wildcard): a 302 redirect."""
        if url and masked:
            raise TerminalError(
                "Porkbun's API forwards a domain with an HTTP redirect only (temporary or permanent); it has no masked forwarding"
            )
        forwards = self.api.call(f"domain/getUrlForwarding/{quote(domain)}", domain=domain).get("forwards") or []
        apex = [f for f in forwards if isinstance(f, dict) and not f.get("subdomain")]
        if url and len(apex) == 1 and apex[0].get("location") == url and apex[0].get("type") == "temporary":
            return
        for forward in apex:
            self.api.call(f"domain/deleteUrlForward/{quote(domain)}/{quote(str(forward.get('id')))}", domain=domain)
        if url:
            self.api.call(
                f"domain/addUrlForward/{quote(domain)}",
                {"subdomain": "", "location": url, "type": "temporary", "includePath": "no", "wildcard": "yes"},
                domain=domain,
            )

    def nameservers(self, domain: str) -> tuple[str, ...]:
        return PORKBUN_NAMESERVERS

    def query_servers(self, domain: str) -> tuple[tuple[str, int], ...]:
        if self.verify_server:
            host, _, port = self.verify_server.rpartition(":")
            return ((host.strip("[]") or "127.0.0.1", int(port or 53)),)
        if self._servers is None:
            addresses = [(address, 53) for ns in PORKBUN_NAMESERVERS for address in self._resolve(ns)]
            if not addresses:
                raise ProviderUnavailable("Porkbun's nameservers cannot be resolved from here")
            self._servers = tuple(addresses)
        return self._servers

    def close(self) -> None:
        self.api.close()


def _ipv4_addresses(host: str) -> list[str]:
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(host, 53, socket.AF_INET, socket.SOCK_DGRAM)})  # type: ignore[misc]
    except OSError:
        return []


def _subdomain(name: str) -> str:
    return "" if name in ("@", "") else name.rstrip(".").lower()


def _path_sub(sub: str) -> str:
    return f"/{quote(sub)}" if sub else ""


def _content(rtype: str, value: str) -> str:
    return value.rstrip(".") if rtype in HOST_VALUED else value


def _norm(rtype: str, content: str) -> str:
    return content.rstrip(".").lower() if rtype in HOST_VALUED else content


def _body(rtype: str, record: _Record) -> dict[str, str]:
    body = {"content": record.content, "ttl": str(record.ttl)}
    if rtype in ("MX", "SRV"):
        body["prio"] = str(record.prio)
    return body
