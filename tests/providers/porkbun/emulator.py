"""A loopback emulator of Porkbun's JSON API v3, written from Porkbun's public documentation, not
from Mailwright's adapter:

- https://porkbun.com/api/json/v3/documentation (Overview, Domain Pricing, Authentication,
  Errors, Domain Update/Get Name Servers, Domain List All, Domain Add/Get/Delete URL Forward,
  DNS Create Record, DNS Edit/Delete/Retrieve Records by Domain, Subdomain and Type, DNS Retrieve
  Records by Domain);
- https://porkbun.com/llms-full.txt and https://porkbun.com/llms/guides/register-a-domain
  (Domain Check answering `avail` and `price` in USD, Domain Create with `cost` in pennies and
  `agreeToTerms`), and Porkbun's official MCP server that page links to (github.com/oborseth/
  Porkbun-MCP, src/tools.ts and src/api.ts: Domain Renew with `cost`, the `Idempotency-Key`
  header on orders, listAll's `start` in pages of 1000); Domain Check's `limits` (`TTL`,
  `limit`, `used`, `naturalLanguage`) as client libraries read them (porkbun-php/client);
- answers recorded from the live API in dns-lexicon's cassettes (tests/fixtures/cassettes/porkbun:
  record names as full names, TTL and priority as strings, `Invalid domain.` for a domain not in
  the account) and error bodies quoted in public issue trackers (`Invalid API key. (002)`,
  `Domain is not opted in to API access.`), all with HTTP 400.

Every call is a POST with a JSON body carrying `apikey` and `secretapikey` (except
/pricing/get); answers are `{"status": "SUCCESS", ...}` with 200 or `{"status": "ERROR",
"message": ...}` with 400. Where the documentation gives no wording (a spent budget of domain
checks, a cost that does not match, missing credit, a name that is not available), the
emulator's message says the fact plainly; the adapter must not depend on more than that.

State: the account's domains (with API access on or off, nameservers, records, URL forwards),
its credit in pennies, names held elsewhere, prices per TLD, premium names. New domains get the
parking records Porkbun puts on a fresh domain (an ALIAS at the apex and a wildcard CNAME to
pixie.porkbun.com). Domain checks are limited to `check_limit` per `check_ttl` seconds.

Faults: `fail_next(status, retry_after=...)` (500, 429 with Retry-After ...), `slow_next(seconds, path)`,
`balance = 0`, `take_on_create.add(name)` (taken by someone else between the check and the create).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support import loopback_http

BASE_PATH = "/api/json/v3"
NAMESERVERS = ["curitiba.ns.porkbun.com", "fortaleza.ns.porkbun.com", "maceio.ns.porkbun.com", "salvador.ns.porkbun.com"]
PARKING = "pixie.porkbun.com"
PAGE = 1000
MIN_TTL = 600

INVALID_KEY = "Invalid API key. (002)"
INVALID_DOMAIN = "Invalid domain."
NOT_OPTED_IN = "Domain is not opted in to API access."


@dataclass
class Record:
    id: str
    name: str  # full name, as Porkbun answers it
    type: str
    content: str
    ttl: int
    prio: int
    notes: str | None = None  # null unless notes were given, as live answers show

    def answer(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "type": self.type, "content": self.content,
                "ttl": str(self.ttl), "prio": str(self.prio), "notes": self.notes}


@dataclass
class AccountDomain:
    name: str
    created: dt.datetime
    expires: dt.datetime
    api_access: bool = True
    ns: list[str] = field(default_factory=lambda: list(NAMESERVERS))
    records: list[Record] = field(default_factory=list)
    forwards: list[dict[str, str]] = field(default_factory=list)

    def listing(self) -> dict[str, Any]:
        stamp = "%Y-%m-%d %H:%M:%S"
        return {"domain": self.name, "status": "ACTIVE", "tld": self.name.rsplit(".", 1)[-1],
                "createDate": self.created.strftime(stamp), "expireDate": self.expires.strftime(stamp),
                "securityLock": "1", "whoisPrivacy": "1", "autoRenew": 0, "notLocal": 0}


class PorkbunError(Exception):
    def __init__(self, message: str, status: int = 400, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.extra = status, extra


class PorkbunEmulator:
    def __init__(self, api_key: str = "pk1_emulated", secret_api_key: str = "sk1_emulated") -> None:
        self.api_key, self.secret_api_key = api_key, secret_api_key
        self.lock = threading.RLock()
        self.prices: dict[str, tuple[str, str, str]] = {
            "com": ("11.08", "11.08", "11.08"), "net": ("12.52", "12.52", "12.52"),
            "org": ("10.74", "10.74", "10.74"), "io": ("28.12", "45.12", "45.12"),
        }
        self.premium: dict[str, str] = {}
        self.taken: set[str] = set()
        self.take_on_create: set[str] = set()
        self.domains: dict[str, AccountDomain] = {}
        self.balance = 100_000  # pennies
        self.check_ttl, self.check_limit = 10.0, 1
        self.checks: list[float] = []
        self.orders: dict[str, dict[str, Any]] = {}  # Idempotency-Key -> first answer
        self.charges: list[tuple[str, str, int]] = []  # (kind, domain, pennies)
        self.calls: list[tuple[str, dict[str, Any], dict[str, str]]] = []  # path, body, headers
        self._faults: list[tuple[int, float | None]] = []
        self._slow: list[tuple[float, str]] = []
        self._ids = itertools.count(432480875)
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ control

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}{BASE_PATH}"

    def start(self) -> PorkbunEmulator:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                emulator._handle(self)

            def do_GET(self) -> None:  # noqa: N802
                emulator._send(self, 405, {"status": "ERROR", "message": "Use POST."})

            def log_message(self, *args: Any) -> None:
                pass

        self._server = loopback_http.serve(Handler)
        return self

    def stop(self) -> None:
        loopback_http.close(self._server)
        self._server = None

    def reset(self) -> None:
        """Back to a fresh account, on the same port."""
        with self.lock:
            server = self._server
            self.__init__(self.api_key, self.secret_api_key)  # type: ignore[misc]
            self._server = server

    def fail_next(self, status: int, retry_after: float | None = None, times: int = 1) -> None:
        with self.lock:
            self._faults.extend([(status, retry_after)] * times)

    def slow_next(self, seconds: float, path: str = "/") -> None:
        """The next call whose path starts with `path` answers `seconds` late (after doing its work)."""
        with self.lock:
            self._slow.append((seconds, path))

    def add_domain(self, name: str, *, api_access: bool = True, years: int = 1, records: bool = True) -> AccountDomain:
        """A domain already in the account (registered before, by hand)."""
        with self.lock:
            now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
            domain = AccountDomain(name, now, now.replace(year=now.year + years), api_access=api_access)
            if records:
                domain.records += [self._record(name, "", "ALIAS", PARKING, MIN_TTL, 0),
                                   self._record(name, "*", "CNAME", PARKING, MIN_TTL, 0)]
            self.domains[name] = domain
            return domain

    def paths(self) -> list[str]:
        with self.lock:
            return [path for path, _, _ in self.calls]

    # ------------------------------------------------------------------ HTTP

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        path = request.path.split("?")[0]
        with self.lock:
            fault = self._faults.pop(0) if self._faults else None
            slow = next((s for s in self._slow if path.startswith(BASE_PATH + s[1].rstrip("/")) or s[1] == "/"), None)
            if slow is not None:
                self._slow.remove(slow)
        if fault is not None:
            status, retry_after = fault
            headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
            self._send(request, status, {"status": "ERROR", "message": "Service temporarily unavailable."}, headers)
            return
        try:
            body = json.loads(raw or b"{}")
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            self._send(request, 400, {"status": "ERROR", "message": "Invalid JSON."})
            return
        if not path.startswith(BASE_PATH + "/"):
            self._send(request, 404, {"status": "ERROR", "message": "Not found."})
            return
        parts = [p for p in path[len(BASE_PATH) + 1:].split("/")]
        with self.lock:
            shown = {k: v for k, v in body.items() if k not in ("apikey", "secretapikey")}
            self.calls.append(("/" + "/".join(parts), shown, {k.lower(): v for k, v in request.headers.items()}))
            try:
                answer: dict[str, Any] | PorkbunError = self._route(parts, body, request)
            except PorkbunError as exc:
                answer = exc
        if slow is not None:  # the work is done; only the answer is late (a client may give up first)
            time.sleep(slow[0])
        if isinstance(answer, PorkbunError):
            self._send(request, answer.status, {"status": "ERROR", "message": str(answer)} | answer.extra)
            return
        self._send(request, 200, {"status": "SUCCESS"} | answer)

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)

    # ------------------------------------------------------------------ endpoints

    def _route(self, parts: list[str], body: dict[str, Any], request: BaseHTTPRequestHandler) -> dict[str, Any]:
        head = "/".join(parts[:2])
        if parts == ["pricing", "get"]:
            return {"pricing": {tld: {"registration": r, "renewal": n, "transfer": t} for tld, (r, n, t) in self.prices.items()}}
        if body.get("apikey") != self.api_key or body.get("secretapikey") != self.secret_api_key:
            raise PorkbunError(INVALID_KEY)
        if parts == ["ping"]:
            return {"yourIp": request.client_address[0]}
        if head == "domain/listAll":
            start = int(body.get("start") or 0)
            names = sorted(self.domains)[start:start + PAGE]
            return {"domains": [self.domains[n].listing() for n in names]}
        if head == "domain/checkDomain" and len(parts) == 3:
            return self._check(parts[2].lower())
        if head == "domain/create" and len(parts) == 3:
            return self._create(parts[2].lower(), body, request.headers.get("Idempotency-Key"))
        if len(parts) < 3:
            raise PorkbunError("Invalid command.")
        domain = self._own(parts[2].lower())
        rest = parts[3:]
        if head == "domain/renew":
            return self._renew(domain, body, request.headers.get("Idempotency-Key"))
        if head == "domain/getNs":
            return {"ns": list(domain.ns)}
        if head == "domain/updateNs":
            ns = body.get("ns")
            if not isinstance(ns, list) or not ns:
                raise PorkbunError("Name servers are required.")
            domain.ns = [str(n) for n in ns]
            return {}
        if head == "domain/addUrlForward":
            if body.get("type") not in ("temporary", "permanent") or not body.get("location"):
                raise PorkbunError("A location and a type of temporary or permanent are required.")
            domain.forwards.append({"id": str(next(self._ids)), "subdomain": str(body.get("subdomain") or ""),
                                    "location": str(body["location"]), "type": str(body["type"]),
                                    "includePath": str(body.get("includePath") or "no"), "wildcard": str(body.get("wildcard") or "yes")})
            return {}
        if head == "domain/getUrlForwarding":
            return {"forwards": [dict(f) for f in domain.forwards]}
        if head == "domain/deleteUrlForward" and len(rest) == 1:
            domain.forwards = [f for f in domain.forwards if f["id"] != rest[0]]
            return {}
        if head == "dns/create":
            return {"id": self._create_record(domain, body)}
        if head == "dns/retrieve":
            records = domain.records if not rest else [r for r in domain.records if r.id == rest[0]]
            return {"cloudflare": "enabled", "records": [r.answer() for r in records]}
        if head in ("dns/retrieveByNameType", "dns/editByNameType", "dns/deleteByNameType") and 1 <= len(rest) <= 2:
            rtype, sub = rest[0].upper(), rest[1].lower() if len(rest) == 2 else ""
            matching = [r for r in domain.records if r.type == rtype and r.name == _full(domain.name, sub)]
            if head == "dns/retrieveByNameType":
                return {"records": [r.answer() for r in matching]}
            if head == "dns/deleteByNameType":
                domain.records = [r for r in domain.records if r not in matching]
                return {}
            if not body.get("content"):
                raise PorkbunError("Content is required.")
            for r in matching:
                r.content = str(body["content"])
                r.ttl = max(int(body.get("ttl") or MIN_TTL), MIN_TTL)
                r.prio = int(body.get("prio") or 0)
            return {}
        raise PorkbunError("Invalid command.")

    def _own(self, name: str) -> AccountDomain:
        domain = self.domains.get(name)
        if domain is None:
            raise PorkbunError(INVALID_DOMAIN)
        if not domain.api_access:
            raise PorkbunError(NOT_OPTED_IN)
        return domain

    def _price(self, name: str) -> tuple[str, str]:
        tld = name.rsplit(".", 1)[-1]
        if tld not in self.prices:
            raise PorkbunError(INVALID_DOMAIN)
        registration, renewal, _ = self.prices[tld]
        return self.premium.get(name, registration), renewal

    def _check(self, name: str) -> dict[str, Any]:
        now = time.monotonic()
        self.checks = [t for t in self.checks if now - t < self.check_ttl]
        limits = {"TTL": f"{self.check_ttl:g}", "limit": str(self.check_limit), "used": len(self.checks)}
        if len(self.checks) >= self.check_limit:
            limits["naturalLanguage"] = f"{len(self.checks)} out of {self.check_limit} checks within {self.check_ttl:g} seconds used."
            raise PorkbunError(f"Domain check limit reached: {limits['naturalLanguage']}", limits=limits)
        price, renewal = self._price(name)
        self.checks.append(now)
        limits["used"] = len(self.checks)
        limits["naturalLanguage"] = f"{len(self.checks)} out of {self.check_limit} checks within {self.check_ttl:g} seconds used."
        avail = "no" if name in self.taken or name in self.domains else "yes"
        regular = self.prices[name.rsplit(".", 1)[-1]][0]
        return {
            "response": {
                "avail": avail, "type": "registration", "price": price, "firstYearPromo": "no",
                "regularPrice": regular, "premium": "yes" if name in self.premium else "no",
                "additional": {"renewal": {"type": "renewal", "price": renewal, "regularPrice": renewal},
                               "transfer": {"type": "transfer", "price": renewal, "regularPrice": renewal}},
            },
            "limits": limits,
        }

    def _create(self, name: str, body: dict[str, Any], key: str | None) -> dict[str, Any]:
        if key and key in self.orders:
            return self.orders[key]
        if body.get("agreeToTerms") not in ("yes", True):
            raise PorkbunError("You must agree to the terms of service (agreeToTerms: yes).")
        price, _ = self._price(name)
        if name in self.take_on_create:
            self.take_on_create.discard(name)
            self.taken.add(name)
        if name in self.taken or name in self.domains:
            raise PorkbunError(f"{name} is not available.")
        cost = body.get("cost")
        if not isinstance(cost, int) or cost != _pennies(price):
            raise PorkbunError(f"The cost does not match the price of {name}.")
        if self.balance < cost:
            raise PorkbunError("Insufficient funds: add account credit to complete this order.")
        self.balance -= cost
        self.charges.append(("registration", name, cost))
        self.add_domain(name)
        answer = {"domain": name, "cost": cost, "orderId": next(self._ids), "balance": self.balance,
                  "limits": {"attempts": {"limit": 1, "used": 1}, "success": {"limit": 50, "used": 1}}}
        if key:
            self.orders[key] = answer
        return answer

    def _renew(self, domain: AccountDomain, body: dict[str, Any], key: str | None) -> dict[str, Any]:
        if key and key in self.orders:
            return self.orders[key]
        _, renewal = self._price(domain.name)
        cost = body.get("cost")
        if not isinstance(cost, int) or cost != _pennies(renewal):
            raise PorkbunError(f"The cost does not match the renewal price of {domain.name}.")
        if self.balance < cost:
            raise PorkbunError("Insufficient funds: add account credit to complete this order.")
        self.balance -= cost
        self.charges.append(("renewal", domain.name, cost))
        domain.expires = domain.expires.replace(year=domain.expires.year + 1)
        answer = {"domain": domain.name, "cost": cost, "orderId": next(self._ids), "balance": self.balance}
        if key:
            self.orders[key] = answer
        return answer

    def _create_record(self, domain: AccountDomain, body: dict[str, Any]) -> str:
        rtype = str(body.get("type") or "").upper()
        if rtype not in ("A", "MX", "CNAME", "ALIAS", "TXT", "NS", "AAAA", "SRV", "TLSA", "CAA", "HTTPS", "SVCB") or not body.get("content"):
            raise PorkbunError("A valid type and content are required.")
        sub = str(body.get("name") or "").lower()
        record = self._record(domain.name, sub, rtype, str(body["content"]), int(body.get("ttl") or MIN_TTL), int(body.get("prio") or 0))
        domain.records.append(record)
        return record.id

    def _record(self, domain: str, sub: str, rtype: str, content: str, ttl: int, prio: int) -> Record:
        return Record(str(next(self._ids)), _full(domain, sub), rtype, content, max(ttl, MIN_TTL), prio)


def _full(domain: str, sub: str) -> str:
    return f"{sub}.{domain}" if sub else domain


def _pennies(price: str) -> int:
    whole, _, cents = price.partition(".")
    return int(whole) * 100 + int((cents + "00")[:2])
