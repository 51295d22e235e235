"""A loopback emulator of Namecheap's XML API, written from its public documentation:

- https://www.namecheap.com/support/api/intro/ (one endpoint, `/xml.response`, GET or POST;
  the sandbox at api.sandbox.namecheap.com; API access and the IP whitelist)
- https://www.namecheap.com/support/api/global-parameters/ (ApiUser, ApiKey, UserName,
  ClientIp, Command; the global error codes 1010101 ... 1017103)
- https://www.namecheap.com/support/api/methods/domains/check/ (DomainList of at most 50,
  DomainCheckResult with IsPremiumName and PremiumRegistrationPrice; 2011169)
- https://www.namecheap.com/support/api/methods/domains/get-list/ (Page, PageSize 10-100,
  SearchTerm, ListType; Domain rows and Paging)
- https://www.namecheap.com/support/api/methods/domains/get-info/ (DomainDetails, DnsDetails)
- https://www.namecheap.com/support/api/methods/domains/create/ (Registrant, Tech, Admin and
  AuxBilling contacts, phone +NNN.NNNNNNNNNN; DomainCreateResult; 2015182, 2528166, 3019166,
  2515623 ...)
- https://www.namecheap.com/support/api/methods/domains/renew/ (DomainRenewResult)
- https://www.namecheap.com/support/api/methods/domains-dns/set-default/, set-custom/,
  get-list/, get-hosts/, set-hosts/ (setHosts replaces the whole host list; EmailType MX for MX
  records; URL, URL301 and FRAME redirect records; 2019166, 2016166, 2030288)
- https://www.namecheap.com/support/api/methods/users/get-pricing/ and get-balances/

The global error numbers follow the global-parameters page; the per-method numbers follow the
method pages' error tables (see docs/decisions/1102-namecheap.md on checking them again).

Rate limits: Namecheap limits each user to 20 calls a minute, 700 an hour and 8000 a day and
answers calls past a limit with HTTP 405 (as its own Go SDK reads it); so does this emulator.

State: one account (its credentials, whitelisted IPs, balance), its domains (contacts, expiry,
nameservers, host records), names registered elsewhere, premium names and prices. Switches for
faults: `fail_next` (HTTP statuses to answer next, e.g. 500), `slow_seconds`, the balance,
`take_on_create` (a name taken between check and create), `whitelisted_ips`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape, quoteattr

from tests.support import loopback_http

NAMESPACE = "http://api.namecheap.com/xml.response"
BASIC_DNS = ["dns1.registrar-servers.com", "dns2.registrar-servers.com"]
HOST_TYPES = {"A", "AAAA", "ALIAS", "CAA", "CNAME", "MX", "MXE", "NS", "TXT", "URL", "URL301", "FRAME"}
EMAIL_TYPES = {"NONE", "MXE", "MX", "FWD", "OX", "GMAIL"}
CONTACT_ROLES = ("Registrant", "Tech", "Admin", "AuxBilling")
CONTACT_FIELDS = ("FirstName", "LastName", "Address1", "City", "StateProvince", "PostalCode", "Country", "Phone", "EmailAddress")
OPTIONAL_CONTACT_FIELDS = ("OrganizationName", "JobTitle", "Address2", "PhoneExt", "Fax")
DOCUMENTED_LIMITS = (20, 700, 8000)  # per minute, hour, day
SUFFIXES = ("co.uk", "org.uk", "com.au")  # multi-label public suffixes the emulator sells


class ApiFailure(Exception):
    def __init__(self, number: int, text: str) -> None:
        super().__init__(text)
        self.number = number
        self.text = text


@dataclass
class EmulatedDomain:
    name: str
    id: int
    created: dt.date
    expires: dt.date
    contacts: dict[str, dict[str, str]]
    years: int
    premium: bool = False
    whoisguard: bool = False
    uses_our_dns: bool = True
    nameservers: list[str] = field(default_factory=lambda: list(BASIC_DNS))
    hosts: list[dict[str, Any]] = field(default_factory=list)
    email_type: str = "NONE"


@dataclass
class Call:
    command: str
    method: str
    target: str  # the request line's path and query, as a log would show it
    params: dict[str, str]  # without ApiKey


class NamecheapEmulator:
    def __init__(
        self,
        *,
        api_user: str = "mwtest",
        api_key: str = "8a9e2c1b5f6d4e7a9b0c3d2e1f4a5b6c",
        username: str = "mwtest",
        client_ip: str = "203.0.113.7",
        balance: str = "500.00",
        rate_limits: tuple[int, int, int] = DOCUMENTED_LIMITS,
        today: Callable[[], dt.date] = lambda: dt.datetime.now(dt.timezone.utc).date(),
    ) -> None:
        self.api_user, self.api_key, self.username = api_user, api_key, username
        self.whitelisted_ips = {client_ip}
        self.balance = Decimal(balance)
        self.currency = "USD"
        self.rate_limits = rate_limits
        self.today = today
        # users.getPricing: TLD -> action -> one year's price.
        self.prices: dict[str, dict[str, str]] = {
            "com": {"REGISTER": "10.98", "RENEW": "14.98", "REACTIVATE": "14.98", "TRANSFER": "10.98"},
            "net": {"REGISTER": "12.98", "RENEW": "15.98"},
            "org": {"REGISTER": "9.98", "RENEW": "13.98"},
            "io": {"REGISTER": "34.98", "RENEW": "49.98"},
            "co.uk": {"REGISTER": "8.28", "RENEW": "9.48"},
        }
        self.premium: dict[str, str] = {}  # name -> PremiumRegistrationPrice
        self.taken: set[str] = set()  # registered elsewhere
        self.take_on_create: set[str] = set()  # fault: taken by someone else just before create
        self.fail_next: deque[int] = deque()
        self.slow_seconds = 0.0
        self.domains: dict[str, EmulatedDomain] = {}
        self.calls: list[Call] = []
        self._ids = itertools.count(100001)
        self._stamps: deque[float] = deque()
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ server

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/xml.response"

    def start(self) -> NamecheapEmulator:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                emulator._handle(self, dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True)))

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace")
                params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
                params.update(parse_qsl(body, keep_blank_values=True))
                emulator._handle(self, params)

            def log_message(self, *args: object) -> None:
                pass

        self._server = loopback_http.serve(Handler)
        return self

    def stop(self) -> None:
        loopback_http.close(self._server)
        self._server = None

    def reset(self) -> None:
        """Faults off, counters cleared (state of domains kept)."""
        with self._lock:
            self.fail_next.clear()
            self.slow_seconds = 0.0
            self.take_on_create.clear()
            self._stamps.clear()

    def commands(self) -> list[str]:
        return [c.command for c in self.calls]

    # ------------------------------------------------------------------ state helpers

    def add_domain(self, name: str, *, years: int = 1, hosts: list[dict[str, Any]] | None = None, email_type: str = "NONE") -> EmulatedDomain:
        with self._lock:
            today = self.today()
            domain = EmulatedDomain(name, next(self._ids), today, _add_years(today, years), {}, years, hosts=hosts or [], email_type=email_type)
            self.domains[name] = domain
            return domain

    # ------------------------------------------------------------------ dispatch

    def _handle(self, handler: BaseHTTPRequestHandler, params: dict[str, str]) -> None:
        if urlsplit(handler.path).path.rstrip("/").lower() != "/xml.response":
            self._send(handler, 404, b"Not Found", "text/plain")
            return
        command = params.get("Command", "")
        with self._lock:
            self.calls.append(
                Call(command, handler.command, handler.path, {k: v for k, v in params.items() if k.lower() != "apikey"})
            )
            fault = self.fail_next.popleft() if self.fail_next else None
            slow = self.slow_seconds
        if slow:
            time.sleep(slow)
        if fault is not None:
            self._send(handler, fault, b"<html><body>Internal Server Error</body></html>", "text/html")
            return
        if not self._within_limits():
            self._send(handler, 405, b"<html><body>Method Not Allowed</body></html>", "text/html")
            return
        try:
            self._authenticate(params)
            body = self._command(command, params)
            xml = envelope(command, body)
        except ApiFailure as failure:
            xml = error_envelope(command, failure.number, failure.text)
        self._send(handler, 200, xml.encode(), "text/xml; charset=utf-8")

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _within_limits(self) -> bool:
        now = time.monotonic()
        with self._lock:
            while self._stamps and now - self._stamps[0] > 86400:
                self._stamps.popleft()
            per_minute, per_hour, per_day = self.rate_limits
            in_minute = sum(1 for s in self._stamps if now - s <= 60)
            in_hour = sum(1 for s in self._stamps if now - s <= 3600)
            if in_minute >= per_minute or in_hour >= per_hour or len(self._stamps) >= per_day:
                return False
            self._stamps.append(now)
            return True

    def _authenticate(self, params: dict[str, str]) -> None:
        lower = {k.lower(): v for k, v in params.items()}
        if not lower.get("apiuser"):
            raise ApiFailure(1010101, "Parameter APIUser is missing")
        if not lower.get("apikey"):
            raise ApiFailure(1010102, "Parameter APIKey is missing")
        if not lower.get("command"):
            raise ApiFailure(1010104, "Parameter Command is missing")
        if not lower.get("clientip"):
            raise ApiFailure(1010105, "Parameter ClientIP is missing")
        if lower["apiuser"] != self.api_user or lower["apikey"] != self.api_key:
            raise ApiFailure(1011102, "API Key is invalid or API access has not been enabled")
        if lower["clientip"] not in self.whitelisted_ips:
            raise ApiFailure(1011150, f"Invalid request IP: {lower['clientip']}")
        if lower.get("username") != self.username:
            raise ApiFailure(1016103, "Parameter UserName is unauthorized")

    def _command(self, command: str, params: dict[str, str]) -> str:
        handlers: dict[str, Callable[[dict[str, str]], str]] = {
            "namecheap.users.getbalances": self._get_balances,
            "namecheap.users.getpricing": self._get_pricing,
            "namecheap.domains.check": self._check,
            "namecheap.domains.getlist": self._get_list,
            "namecheap.domains.getinfo": self._get_info,
            "namecheap.domains.create": self._create,
            "namecheap.domains.renew": self._renew,
            "namecheap.domains.dns.setdefault": self._set_default,
            "namecheap.domains.dns.setcustom": self._set_custom,
            "namecheap.domains.dns.getlist": self._dns_get_list,
            "namecheap.domains.dns.gethosts": self._get_hosts,
            "namecheap.domains.dns.sethosts": self._set_hosts,
        }
        handler = handlers.get(command.lower())
        if handler is None:
            raise ApiFailure(1010104, f"Command {command} is not supported")  # a missing or unknown command
        with self._lock:
            return handler(params)

    # ------------------------------------------------------------------ users

    def _get_balances(self, params: dict[str, str]) -> str:
        b = f"{self.balance:.2f}"
        return (
            f'<UserGetBalancesResult Currency="{self.currency}" AvailableBalance="{b}" AccountBalance="{b}" '
            f'EarnedAmount="0.00" WithdrawableAmount="0.00" FundsRequiredForAutoRenew="0.00" />'
        )

    def _get_pricing(self, params: dict[str, str]) -> str:
        if params.get("ProductType", "").upper() != "DOMAIN":
            raise ApiFailure(2011277, "ProductType is invalid")
        action = params.get("ActionName", "").upper()
        product = params.get("ProductName", "").lower()
        categories = []
        for name in ("REGISTER", "RENEW", "REACTIVATE", "TRANSFER"):
            if action and name != action:
                continue
            products = []
            for tld, prices in self.prices.items():
                if (product and tld != product) or name not in prices:
                    continue
                price = prices[name]
                products.append(
                    f"<Product Name={quoteattr(tld)}>"
                    f'<Price Duration="1" DurationType="YEAR" Price="{price}" RegularPrice="{price}" YourPrice="{price}" '
                    f'CouponPrice="" Currency="{self.currency}" />'
                    "</Product>"
                )
            categories.append(f'<ProductCategory Name="{name}">{"".join(products)}</ProductCategory>')
        return f'<UserGetPricingResult><ProductType Name="DOMAIN">{"".join(categories)}</ProductType></UserGetPricingResult>'

    # ------------------------------------------------------------------ domains

    def _available(self, name: str) -> bool:
        return name not in self.taken and name not in self.domains

    def _check(self, params: dict[str, str]) -> str:
        names = [n.strip().lower() for n in params.get("DomainList", "").split(",") if n.strip()]
        if not names:
            raise ApiFailure(2010324, "DomainList is missing")
        if len(names) > 50:
            raise ApiFailure(2011169, "Only 50 domains are allowed in a single check command")
        rows = []
        for name in names:
            premium = name in self.premium
            price = self.premium.get(name, "0")
            rows.append(
                f'<DomainCheckResult Domain={quoteattr(name)} Available="{str(self._available(name)).lower()}" ErrorNo="0" '
                f'Description="" IsPremiumName="{str(premium).lower()}" PremiumRegistrationPrice="{price}" '
                f'PremiumRenewalPrice="{price}" PremiumRestorePrice="0" PremiumTransferPrice="0" IcannFee="0" EapFee="0"/>'
            )
        return "".join(rows)

    def _get_list(self, params: dict[str, str]) -> str:
        page = _number(params.get("Page", "1"), "Page")
        size = _number(params.get("PageSize", "20"), "PageSize")
        if not 10 <= size <= 100:
            raise ApiFailure(2011333, "PageSize must be between 10 and 100")
        term = params.get("SearchTerm", "").lower()
        names = sorted(n for n in self.domains if term in n)
        chosen = names[(page - 1) * size : page * size]
        rows = "".join(
            f'<Domain ID="{d.id}" Name={quoteattr(d.name)} User="{self.username}" Created="{_us(d.created)}" '
            f'Expires="{_us(d.expires)}" IsExpired="false" IsLocked="false" AutoRenew="false" '
            f'WhoisGuard="{"ENABLED" if d.whoisguard else "NOTPRESENT"}" IsPremium="{str(d.premium).lower()}" '
            f'IsOurDNS="{str(d.uses_our_dns).lower()}"/>'
            for d in (self.domains[n] for n in chosen)
        )
        return (
            f'<DomainGetListResult>{rows}</DomainGetListResult>'
            f"<Paging><TotalItems>{len(names)}</TotalItems><CurrentPage>{page}</CurrentPage><PageSize>{size}</PageSize></Paging>"
        )

    def _owned(self, name: str) -> EmulatedDomain:
        domain = self.domains.get(name.lower())
        if domain is None:
            raise ApiFailure(2019166, "Domain not found")
        return domain

    def _get_info(self, params: dict[str, str]) -> str:
        name = params.get("DomainName", "").lower()
        domain = self.domains.get(name)
        if domain is None:
            raise ApiFailure(4011103, f"DomainName {name} not available or access denied")
        servers = "".join(f"<Nameserver>{escape(n)}</Nameserver>" for n in domain.nameservers)
        provider = "FreeDNS" if domain.uses_our_dns else "CUSTOM"
        return (
            f'<DomainGetInfoResult Status="Ok" ID="{domain.id}" DomainName={quoteattr(domain.name)} OwnerName="{self.username}" '
            f'IsOwner="true" IsPremium="{str(domain.premium).lower()}">'
            f"<DomainDetails><CreatedDate>{_us(domain.created)}</CreatedDate><ExpiredDate>{_us(domain.expires)}</ExpiredDate>"
            "<NumYears>0</NumYears></DomainDetails><LockDetails />"
            f'<Whoisguard Enabled="{"True" if domain.whoisguard else "NotAlloted"}"><ID>0</ID></Whoisguard>'
            f'<DnsDetails ProviderType="{provider}" IsUsingOurDNS="{str(domain.uses_our_dns).lower()}" HostCount="{len(domain.hosts)}" '
            f'EmailType="{domain.email_type}" DynamicDNSStatus="false" IsFailover="false">{servers}</DnsDetails>'
            "<Modificationrights All=\"true\" /></DomainGetInfoResult>"
        )

    def _create(self, params: dict[str, str]) -> str:
        name = params.get("DomainName", "").strip().lower()
        if not name:
            raise ApiFailure(2010324, "DomainName is missing")
        years = _number(params.get("Years", "2"), "Years")
        if not 1 <= years <= 10:
            raise ApiFailure(2015167, "Validation error from Years")
        contacts: dict[str, dict[str, str]] = {}
        for role in CONTACT_ROLES:
            contact = {}
            for fld in CONTACT_FIELDS + OPTIONAL_CONTACT_FIELDS:
                value = params.get(role + fld, "").strip()
                if not value and fld in CONTACT_FIELDS:
                    raise ApiFailure(2010323, f"{role}{fld} is missing: check the required fields of the domain's contacts")
                if value:
                    contact[fld] = value
            if not _phone_ok(contact["Phone"]):
                raise ApiFailure(2015182, "Contact phone is invalid. The phone number format is +NNN.NNNNNNNNNN")
            contacts[role] = contact
        tld = _tld(name)
        if tld not in self.prices or "REGISTER" not in self.prices[tld]:
            raise ApiFailure(2030280, "TLD is not supported in API")
        if name in self.take_on_create:
            self.take_on_create.discard(name)
            self.taken.add(name)
        if not self._available(name):
            raise ApiFailure(3019166, "Domain not available")
        premium = name in self.premium
        if premium != (params.get("IsPremiumDomain", "false").lower() == "true"):
            raise ApiFailure(2515623, "Domain is premium while considered regular or is regular while considered premium")
        if premium and Decimal(params.get("PremiumPrice") or "0") != Decimal(self.premium[name]):
            raise ApiFailure(2515610, "Prices do not match")
        price = Decimal(self.premium[name]) if premium else Decimal(self.prices[tld]["REGISTER"]) * years
        if price > self.balance:
            raise ApiFailure(2528166, "Order creation failed: the account's available balance does not cover the order")
        self.balance -= price
        domain = self.add_domain(name, years=years)
        domain.contacts = contacts
        domain.premium = premium
        domain.whoisguard = params.get("AddFreeWhoisguard", "yes").lower() == "yes" and params.get("WGEnabled", "no").lower() == "yes"
        order, transaction = next(self._ids), next(self._ids)
        return (
            f'<DomainCreateResult Domain={quoteattr(name)} Registered="true" ChargedAmount="{price:.2f}" DomainID="{domain.id}" '
            f'OrderID="{order}" TransactionID="{transaction}" WhoisguardEnable="{str(domain.whoisguard).lower()}" '
            'NonRealTimeDomain="false" />'
        )

    def _renew(self, params: dict[str, str]) -> str:
        name = params.get("DomainName", "").lower()
        domain = self.domains.get(name)
        if domain is None:
            raise ApiFailure(2016166, "Domain is not associated with your account")
        years = _number(params.get("Years", "1"), "Years")
        price = Decimal(self.prices[_tld(name)]["RENEW"]) * years
        if price > self.balance:
            raise ApiFailure(2528166, "Order creation failed: the account's available balance does not cover the order")
        self.balance -= price
        domain.expires = _add_years(domain.expires, years)
        order, transaction = next(self._ids), next(self._ids)
        return (
            f'<DomainRenewResult DomainName={quoteattr(name)} DomainID="{domain.id}" Renew="true" OrderID="{order}" '
            f'TransactionID="{transaction}" ChargedAmount="{price:.4f}">'
            f"<DomainDetails><ExpiredDate>{_us(domain.expires)} 11:51:49 AM</ExpiredDate><NumYears>0</NumYears></DomainDetails>"
            "</DomainRenewResult>"
        )

    # ------------------------------------------------------------------ domains.dns

    def _sld_tld(self, params: dict[str, str]) -> EmulatedDomain:
        sld, tld = params.get("SLD", "").lower(), params.get("TLD", "").lower()
        if not sld or not tld:
            raise ApiFailure(2010324, "SLD and TLD are required")
        return self._owned(f"{sld}.{tld}")

    def _set_default(self, params: dict[str, str]) -> str:
        domain = self._sld_tld(params)
        domain.uses_our_dns = True
        domain.nameservers = list(BASIC_DNS)
        return f'<DomainDNSSetDefaultResult Domain={quoteattr(domain.name)} Updated="true" />'

    def _set_custom(self, params: dict[str, str]) -> str:
        domain = self._sld_tld(params)
        servers = [n.strip().lower() for n in params.get("Nameservers", "").split(",") if n.strip()]
        if len(servers) < 2:
            raise ApiFailure(2011168, "Nameservers are not valid: at least two are needed")
        domain.uses_our_dns = False
        domain.nameservers = servers
        return f'<DomainDNSSetCustomResult Domain={quoteattr(domain.name)} Updated="true" />'

    def _dns_get_list(self, params: dict[str, str]) -> str:
        domain = self._sld_tld(params)
        servers = "".join(f"<Nameserver>{escape(n)}</Nameserver>" for n in domain.nameservers)
        return f'<DomainDNSGetListResult Domain={quoteattr(domain.name)} IsUsingOurDNS="{str(domain.uses_our_dns).lower()}">{servers}</DomainDNSGetListResult>'

    def _get_hosts(self, params: dict[str, str]) -> str:
        domain = self._sld_tld(params)
        rows = "".join(
            f'<Host HostId="{h["HostId"]}" Name={quoteattr(h["Name"])} Type="{h["Type"]}" Address={quoteattr(h["Address"])} '
            f'MXPref="{h.get("MXPref", 10)}" TTL="{h.get("TTL", 1800)}" />'
            for h in domain.hosts
        )
        return (
            f'<DomainDNSGetHostsResult Domain={quoteattr(domain.name)} EmailType="{domain.email_type}" '
            f'IsUsingOurDNS="{str(domain.uses_our_dns).lower()}">{rows}</DomainDNSGetHostsResult>'
        )

    def _set_hosts(self, params: dict[str, str]) -> str:
        domain = self._sld_tld(params)
        if not domain.uses_our_dns:
            raise ApiFailure(2030288, "Cannot complete this command as this domain is not using proper DNS servers")
        email_type = params.get("EmailType", "").upper() or "NONE"
        if email_type not in EMAIL_TYPES:
            raise ApiFailure(2011280, f"EmailType {email_type} is invalid")
        indexes = sorted({int(k[len("HostName"):]) for k in params if k.startswith("HostName") and k[len("HostName"):].isdigit()})
        hosts = []
        for i in indexes:
            kind = params.get(f"RecordType{i}", "").upper()
            address = params.get(f"Address{i}", "")
            if kind not in HOST_TYPES:
                raise ApiFailure(2050900, f"RecordType{i} {kind} is invalid")
            if not address:
                raise ApiFailure(2050900, f"Address{i} is missing")
            if kind in ("URL", "URL301", "FRAME") and "://" not in address:
                raise ApiFailure(2050900, f"Address{i} must be a URL with its protocol")
            if kind == "MX" and email_type != "MX":
                raise ApiFailure(2050900, "MX records need EmailType MX")
            ttl = _number(params.get(f"TTL{i}", "1800"), f"TTL{i}")
            if not 60 <= ttl <= 60000:
                raise ApiFailure(2050900, f"TTL{i} must be between 60 and 60000")
            host = {"HostId": next(self._ids), "Name": params[f"HostName{i}"], "Type": kind, "Address": address, "TTL": ttl}
            if kind == "MX":
                host["MXPref"] = _number(params.get(f"MXPref{i}", "10"), f"MXPref{i}")
            hosts.append(host)
        if email_type == "MX" and not any(h["Type"] == "MX" for h in hosts):
            raise ApiFailure(2050900, "EmailType MX needs at least one MX record")
        domain.hosts = hosts  # the whole list is replaced, as documented
        domain.email_type = email_type
        return f'<DomainDNSSetHostsResult Domain={quoteattr(domain.name)} IsSuccess="true" />'


# ---------------------------------------------------------------------- XML


def envelope(command: str, body: str) -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<ApiResponse Status="OK" xmlns="{NAMESPACE}">'
        f"<Errors /><Warnings /><RequestedCommand>{escape(command.lower())}</RequestedCommand>"
        f"<CommandResponse Type={quoteattr(command)}>{body}</CommandResponse>"
        "<Server>EMULATOR</Server><GMTTimeDifference>--5:00</GMTTimeDifference><ExecutionTime>0.01</ExecutionTime></ApiResponse>"
    )


def error_envelope(command: str, number: int, text: str) -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<ApiResponse Status="ERROR" xmlns="{NAMESPACE}">'
        f'<Errors><Error Number="{number}">{escape(text)}</Error></Errors><Warnings />'
        f"<RequestedCommand>{escape(command.lower())}</RequestedCommand>"
        "<Server>EMULATOR</Server><GMTTimeDifference>--5:00</GMTTimeDifference><ExecutionTime>0.01</ExecutionTime></ApiResponse>"
    )


def _number(value: str, name: str) -> int:
    if not value.strip().isdigit():
        raise ApiFailure(2011280, f"{name} must be a number")
    return int(value)


def _phone_ok(phone: str) -> bool:
    cc, dot, rest = phone.partition(".")
    return bool(dot) and cc.startswith("+") and cc[1:].isdigit() and 1 <= len(cc) - 1 <= 3 and rest.isdigit()


def _tld(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith("." + suffix):
            return suffix
    return name.rsplit(".", 1)[-1]


def _us(day: dt.date) -> str:
    return day.strftime("%m/%d/%Y")


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
