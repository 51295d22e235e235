"""A loopback emulator of the parts of Cloudflare's API v4 that a DNS host uses, written from
Cloudflare's public documentation (not from Mailwright's adapter):

- https://developers.cloudflare.com/fundamentals/api/how-to/make-api-calls/ — Bearer tokens, the
  envelope {"success", "errors": [{"code", "message"}], "messages", "result", "result_info":
  {"page", "per_page", "count", "total_count", "total_pages"}}
- https://developers.cloudflare.com/api/resources/user/subresources/tokens/methods/verify/ and
  https://developers.cloudflare.com/api/resources/accounts/subresources/tokens/methods/verify/ —
  GET /user/tokens/verify, GET /accounts/{account_id}/tokens/verify: result {id, status, ...};
  an unknown token: 401, code 1000 "Invalid API Token"
- https://developers.cloudflare.com/api/resources/zones/methods/list/ and .../create/ —
  GET /zones?name=&account.id=&page=&per_page= (per_page 5..50), POST /zones {name, account: {id},
  type}; the zone's `name_servers`; a name already added: 400, code 1061 "<name> already exists"
- https://developers.cloudflare.com/api/resources/dns/subresources/records/ (list, create,
  update (PUT), edit (PATCH), delete) — GET /zones/{zone_id}/dns_records?type=&name=&content=
  &page=&per_page=; full record names; MX `priority`; SRV and CAA as `data`; TXT content as
  quoted character strings of up to 255 bytes; TTL 1 (automatic) or 60..86400; an identical
  record: 400, code 81058 "An identical record already exists."; an unknown record: 404, code
  81044 "Record does not exist."
- https://developers.cloudflare.com/fundamentals/api/reference/limits/ — 1200 requests per five
  minutes per user; past that every call is answered 429 with Retry-After until the window frees
- Permissions (API token templates, "Edit zone DNS"): a token lacking one is answered 403,
  code 10000 "Authentication error"; an unknown token on other endpoints 403, code 9109
  "Invalid access token"

Bodies follow the documented examples kept as fixtures beside the tests (fixtures/*.json).

Fault switches for tests: `fail_next(status, times, retry_after)` answers the next calls with a
5xx or 429 envelope, `delay` holds every answer that many seconds, `rate_limit`/`rate_window`
shrink the documented limit, `max_per_page` caps page sizes to exercise pagination."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import secrets
import threading
import time
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.loopback_http import LoopbackServer

NAME_SERVER_POOL = ("ada", "bob", "cruz", "dana", "eli", "fay", "gus", "hana", "ivan", "june")
ZONE_EDIT, DNS_EDIT = "zone:edit", "dns:edit"
TTL_AUTO = 1


class Answer(Exception):
    def __init__(self, status: int, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


@dataclass
class Token:
    value: str
    owner: str = "user"  # "user" or an account id
    status: str = "active"
    permissions: frozenset[str] = frozenset({ZONE_EDIT, DNS_EDIT})
    expires_on: str | None = None
    id: str = field(default_factory=lambda: secrets.token_hex(16))


class CloudflareEmulator:
    def __init__(self, account_id: str | None = None) -> None:
        self.account_id = account_id or secrets.token_hex(16)
        self.accounts = {self.account_id: "Mailwright test account"}
        self.tokens: dict[str, Token] = {}
        self.zones: dict[str, dict[str, Any]] = {}  # id -> zone
        self.records: dict[str, dict[str, dict[str, Any]]] = {}  # zone id -> record id -> record
        self.calls: list[tuple[str, str]] = []  # (method, path with query)
        self.lock = threading.RLock()
        # faults and limits
        self.max_per_page = 50
        self.rate_limit = 1200
        self.rate_window = 300.0
        self.delay = 0.0
        # Runs once, inside the next zone creation, before the name is checked: another worker's
        # creation landing between a lookup and a create.
        self.before_next_zone_create: Any = None
        self._failures: deque[tuple[int, float | None]] = deque()
        self._seen: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}
        self.server = LoopbackServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # ------------------------------------------------------------------ test controls

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/client/v4"

    def start(self) -> CloudflareEmulator:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_token(self, **kwargs: Any) -> str:
        value = kwargs.pop("value", None) or secrets.token_urlsafe(30)
        self.tokens[value] = Token(value, **kwargs)
        return value

    def add_account(self) -> str:
        account = secrets.token_hex(16)
        self.accounts[account] = "Someone else's account"
        return account

    def fail_next(self, status: int, times: int = 1, retry_after: float | None = None) -> None:
        with self.lock:
            self._failures.extend([(status, retry_after)] * times)

    def reset_faults(self) -> None:
        with self.lock:
            self._failures.clear()
            self._seen.clear()
            self._blocked_until.clear()
            self.delay = 0.0
            self.rate_limit, self.rate_window = 1200, 300.0

    def zone_named(self, name: str, account_id: str | None = None) -> dict[str, Any] | None:
        account_id = account_id or self.account_id
        return next((z for z in self.zones.values() if z["name"] == name and z["account"]["id"] == account_id), None)

    def records_of(self, name: str) -> list[dict[str, Any]]:
        zone = self.zone_named(name)
        return [] if zone is None else sorted(self.records[zone["id"]].values(), key=lambda r: (r["name"], r["type"], r["content"]))

    # ------------------------------------------------------------------ dispatch

    def handle(self, method: str, raw_path: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
        if self.delay:
            time.sleep(self.delay)
        url = urllib.parse.urlsplit(raw_path)
        query = dict(urllib.parse.parse_qsl(url.query))
        with self.lock:
            self.calls.append((method, raw_path))
        try:
            if not url.path.startswith("/client/v4/"):
                raise Answer(404, 7000, "No route for that URI")
            path = url.path[len("/client/v4/"):].strip("/")
            token = self._authenticate(headers, path)
            self._count(token)
            with self.lock:
                if self._failures:
                    status, retry_after = self._failures.popleft()
                    extra = {} if retry_after is None else {"Retry-After": str(math.ceil(retry_after))}
                    if status == 429:
                        raise Answer(429, 971, "Please wait and consider throttling your request speed", extra)
                    raise Answer(status, 10001, "Service unavailable", extra)
            payload = json.loads(body) if body else None
            with self.lock:
                return self._route(method, path, query, payload, token)
        except Answer as answer:
            envelope = {"success": False, "errors": [{"code": answer.code, "message": answer.message}], "messages": [], "result": None}
            return answer.status, answer.headers, envelope
        except (ValueError, KeyError, TypeError, AttributeError):
            return 400, {}, {"success": False, "errors": [{"code": 9207, "message": "Request body is invalid."}], "messages": [], "result": None}

    def _authenticate(self, headers: Any, path: str) -> Token:
        auth = headers.get("Authorization") or ""
        if not auth:
            raise Answer(400, 9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            raise Answer(400, 6111, "Invalid format for Authorization header")
        token = self.tokens.get(auth[7:].strip())
        verifying = path == "user/tokens/verify" or re.fullmatch(r"accounts/[^/]+/tokens/verify", path)
        if token is None:
            if verifying:
                raise Answer(401, 1000, "Invalid API Token")
            raise Answer(403, 9109, "Invalid access token")
        if token.status != "active" and not verifying:
            raise Answer(403, 9109, "Invalid access token")
        return token

    def _count(self, token: Token) -> None:
        """The documented global limit, per user (here: per token): past it, every call is
        refused until the window has freed a place."""
        now = time.monotonic()
        with self.lock:
            blocked = self._blocked_until.get(token.id, 0.0)
            if now < blocked:
                raise Answer(429, 971, "Please wait and consider throttling your request speed", {"Retry-After": str(math.ceil(blocked - now))})
            seen = self._seen.setdefault(token.id, deque())
            while seen and seen[0] <= now - self.rate_window:
                seen.popleft()
            if len(seen) >= self.rate_limit:
                self._blocked_until[token.id] = seen[0] + self.rate_window
                wait = max(seen[0] + self.rate_window - now, 0.0)
                raise Answer(429, 971, "Please wait and consider throttling your request speed", {"Retry-After": str(max(math.ceil(wait), 1))})
            seen.append(now)

    def _route(self, method: str, path: str, query: dict[str, str], payload: Any, token: Token) -> tuple[int, dict[str, str], dict[str, Any]]:
        parts = path.split("/")
        if parts == ["user", "tokens", "verify"] and method == "GET":
            if token.owner != "user":
                raise Answer(401, 1000, "Invalid API Token")
            return self._verified(token)
        if len(parts) == 4 and parts[0] == "accounts" and parts[2:] == ["tokens", "verify"] and method == "GET":
            if token.owner != parts[1]:
                raise Answer(401, 1000, "Invalid API Token")
            return self._verified(token)
        if parts == ["zones"] and method == "GET":
            return self._list_zones(query, token)
        if parts == ["zones"] and method == "POST":
            return self._create_zone(payload, token)
        if len(parts) >= 3 and parts[0] == "zones" and parts[2] == "dns_records":
            zone = self.zones.get(parts[1])
            if zone is None or not self._can_see(token, zone):
                raise Answer(404, 7003, "Could not route to /zones/" + parts[1] + "/dns_records, perhaps your object identifier is invalid?")
            self._require(token, DNS_EDIT)
            if len(parts) == 3 and method == "GET":
                return self._list_records(zone, query)
            if len(parts) == 3 and method == "POST":
                return self._ok(self._write_record(zone, None, payload, replace=True))
            if len(parts) == 4:
                record = self.records[zone["id"]].get(parts[3])
                if record is None:
                    raise Answer(404, 81044, "Record does not exist.")
                if method == "GET":
                    return self._ok(record)
                if method == "PUT":
                    return self._ok(self._write_record(zone, record, payload, replace=True))
                if method == "PATCH":
                    return self._ok(self._write_record(zone, record, payload, replace=False))
                if method == "DELETE":
                    del self.records[zone["id"]][record["id"]]
                    return self._ok({"id": record["id"]})
        raise Answer(405 if parts[0] in ("zones", "user", "accounts") else 404, 10405, f"Method {method} not allowed for this endpoint")

    # ------------------------------------------------------------------ tokens

    def _verified(self, token: Token) -> tuple[int, dict[str, str], dict[str, Any]]:
        result: dict[str, Any] = {"id": token.id, "status": token.status}
        if token.expires_on:
            result["expires_on"] = token.expires_on
        message = "This API Token is valid and active" if token.status == "active" else f"This API Token is {token.status}"
        return 200, {}, {"success": True, "errors": [], "messages": [{"code": 10000, "message": message, "type": None}], "result": result}

    def _require(self, token: Token, permission: str) -> None:
        if permission not in token.permissions:
            raise Answer(403, 10000, "Authentication error")

    def _accounts_of(self, token: Token) -> set[str]:
        return {token.owner} if token.owner != "user" else {self.account_id}

    def _can_see(self, token: Token, zone: dict[str, Any]) -> bool:
        return zone["account"]["id"] in self._accounts_of(token)

    # ------------------------------------------------------------------ zones

    def _list_zones(self, query: dict[str, str], token: Token) -> tuple[int, dict[str, str], dict[str, Any]]:
        zones = [z for z in self.zones.values() if self._can_see(token, z)]
        if "name" in query:
            zones = [z for z in zones if z["name"] == query["name"].lower()]
        if "account.id" in query:
            zones = [z for z in zones if z["account"]["id"] == query["account.id"]]
        per_page = _int(query.get("per_page", "20"), "per_page")
        if not 5 <= per_page <= 50:
            raise Answer(400, 1001, "per_page must be between 5 and 50")
        return self._page(sorted(zones, key=lambda z: z["name"]), query, per_page)

    def _create_zone(self, payload: Any, token: Token) -> tuple[int, dict[str, str], dict[str, Any]]:
        name = str(payload["name"]).lower().rstrip(".")
        account_id = (payload.get("account") or {}).get("id")
        if not account_id:
            raise Answer(400, 1002, "account.id is required")
        if account_id not in self._accounts_of(token) or account_id not in self.accounts:
            raise Answer(403, 10000, "Authentication error")
        self._require(token, ZONE_EDIT)
        if payload.get("type", "full") not in ("full", "partial", "secondary", "internal"):
            raise Answer(400, 1002, "Invalid zone type")
        if not re.fullmatch(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", name):
            raise Answer(400, 1002, "Invalid domain name")
        hook, self.before_next_zone_create = self.before_next_zone_create, None
        if hook is not None:
            hook()
        if any(z["name"] == name for z in self.zones.values()):
            raise Answer(400, 1061, f"{name} already exists")
        zone = self._new_zone(name, account_id, payload.get("type", "full"))
        return self._ok(zone)

    def _new_zone(self, name: str, account_id: str, kind: str = "full") -> dict[str, Any]:
        zone_id = secrets.token_hex(16)
        digest = hashlib.sha256(name.encode()).digest()
        first = digest[0] % len(NAME_SERVER_POOL)
        second = (first + 1 + digest[1] % (len(NAME_SERVER_POOL) - 1)) % len(NAME_SERVER_POOL)
        now = _now()
        zone = {
            "id": zone_id,
            "name": name,
            "status": "pending",
            "paused": False,
            "type": kind,
            "development_mode": 0,
            "name_servers": [f"{NAME_SERVER_POOL[first]}.ns.cloudflare.com", f"{NAME_SERVER_POOL[second]}.ns.cloudflare.com"],
            "original_name_servers": None,
            "original_registrar": None,
            "original_dnshost": None,
            "modified_on": now,
            "created_on": now,
            "activated_on": None,
            "meta": {"step": 4, "custom_certificate_quota": 0, "page_rule_quota": 3, "phishing_detected": False},
            "owner": {"id": None, "type": "user", "email": None},
            "account": {"id": account_id, "name": self.accounts[account_id]},
            "permissions": ["#dns_records:edit", "#dns_records:read", "#zone:edit", "#zone:read"],
            "plan": {"id": "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "name": "Free Website", "price": 0, "currency": "USD", "frequency": "", "is_subscribed": False, "can_subscribe": False, "legacy_id": "free", "legacy_discount": False, "externally_managed": False},
        }
        self.zones[zone_id] = zone
        self.records[zone_id] = {}
        return zone

    def add_zone(self, name: str, account_id: str | None = None) -> dict[str, Any]:
        """A zone made outside Mailwright (in the dashboard, or in another account)."""
        with self.lock:
            return self._new_zone(name, account_id or self.account_id)

    # ------------------------------------------------------------------ records

    def _list_records(self, zone: dict[str, Any], query: dict[str, str]) -> tuple[int, dict[str, str], dict[str, Any]]:
        records = list(self.records[zone["id"]].values())
        if "type" in query:
            records = [r for r in records if r["type"] == query["type"].upper()]
        if "name" in query:
            records = [r for r in records if r["name"] == _full_name(query["name"], zone["name"])]
        if "content" in query:
            records = [r for r in records if r["content"] == query["content"]]
        per_page = _int(query.get("per_page", "100"), "per_page")
        if not 5 <= per_page <= 5_000_000:
            raise Answer(400, 1004, "per_page must be at least 5")
        return self._page(sorted(records, key=lambda r: (r["created_on"], r["id"])), query, per_page)

    def add_record(self, zone_name: str, body: dict[str, Any]) -> dict[str, Any]:
        """A record made outside Mailwright."""
        with self.lock:
            zone = self.zone_named(zone_name)
            assert zone is not None
            return self._write_record(zone, None, body, replace=True)

    def _write_record(self, zone: dict[str, Any], record: dict[str, Any] | None, payload: Any, *, replace: bool) -> dict[str, Any]:
        merged = dict(payload) if replace or record is None else {**_input_of(record), **payload}
        rtype = str(merged.get("type", "")).upper()
        if rtype not in ("A", "AAAA", "CNAME", "MX", "TXT", "NS", "SRV", "CAA"):
            raise Answer(400, 9000, "DNS record type is invalid.")
        name = _full_name(str(merged.get("name") or "@"), zone["name"])
        if name != zone["name"] and not name.endswith("." + zone["name"]):
            raise Answer(400, 9007, "Record name is outside the zone.")
        ttl = merged.get("ttl", TTL_AUTO)
        if not isinstance(ttl, int) or not (ttl == TTL_AUTO or 60 <= ttl <= 86400):
            raise Answer(400, 9021, "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.")
        data = merged.get("data")
        priority = merged.get("priority")
        if rtype == "SRV":
            if not isinstance(data, dict) or not all(isinstance(data.get(k), int) for k in ("priority", "weight", "port")) or not data.get("target"):
                raise Answer(400, 9101, "SRV records require data with priority, weight, port and target.")
            content = f"{data['weight']} {data['port']} {str(data['target']).rstrip('.')}"
            priority = data["priority"]
        elif rtype == "CAA":
            if not isinstance(data, dict) or not isinstance(data.get("flags"), int) or not data.get("tag") or data.get("value") is None:
                raise Answer(400, 9101, "CAA records require data with flags, tag and value.")
            content = f'{data["flags"]} {data["tag"]} "{data["value"]}"'
        else:
            content = merged.get("content")
            if not isinstance(content, str) or not content:
                raise Answer(400, 9005 if rtype in ("A", "AAAA") else 9009, f"Content for {rtype} record is invalid.")
            if rtype == "A" and not re.fullmatch(r"(\d{1,3}\.){3}\d{1,3}", content):
                raise Answer(400, 9005, "Content for A record must be a valid IPv4 address.")
            if rtype == "AAAA" and ":" not in content:
                raise Answer(400, 9006, "Content for AAAA record must be a valid IPv6 address.")
            if rtype in ("CNAME", "MX", "NS"):
                content = content.rstrip(".").lower()
            if rtype == "TXT":
                _check_txt(content)
            if rtype == "MX" and not (isinstance(priority, int) and 0 <= priority <= 65535):
                raise Answer(400, 9105, "MX records require a priority between 0 and 65535.")
        proxied = bool(merged.get("proxied", False))
        if proxied and rtype not in ("A", "AAAA", "CNAME"):
            raise Answer(400, 9004, "This record type cannot be proxied.")
        for other in self.records[zone["id"]].values():
            if record is not None and other["id"] == record["id"]:
                continue
            if other["name"] == name and other["type"] == rtype and _same_content(rtype, other["content"], content) and other.get("priority") == (priority if rtype in ("MX", "SRV") else None):
                raise Answer(400, 81058, "An identical record already exists.")
            if other["name"] == name and (rtype == "CNAME") != (other["type"] == "CNAME"):
                raise Answer(400, 81053, "An A, AAAA, or CNAME record with that host already exists.")
        now = _now()
        written = {
            "id": record["id"] if record else secrets.token_hex(16),
            "zone_id": zone["id"],
            "zone_name": zone["name"],
            "name": name,
            "type": rtype,
            "content": content,
            "proxiable": rtype in ("A", "AAAA", "CNAME"),
            "proxied": proxied,
            "ttl": ttl,
            "locked": False,
            "meta": {"auto_added": False, "managed_by_apps": False, "managed_by_argo_tunnel": False, "source": "primary"},
            "comment": merged.get("comment"),
            "tags": list(merged.get("tags") or []),
            "created_on": record["created_on"] if record else now,
            "modified_on": now,
        }
        if rtype in ("MX", "SRV"):
            written["priority"] = priority
        if rtype in ("SRV", "CAA"):
            written["data"] = dict(data)
        self.records[zone["id"]][written["id"]] = written
        return written

    # ------------------------------------------------------------------ envelope

    def _ok(self, result: Any) -> tuple[int, dict[str, str], dict[str, Any]]:
        return 200, {}, {"success": True, "errors": [], "messages": [], "result": result}

    def _page(self, items: list[dict[str, Any]], query: dict[str, str], per_page: int) -> tuple[int, dict[str, str], dict[str, Any]]:
        per_page = min(per_page, self.max_per_page)
        page = max(_int(query.get("page", "1"), "page"), 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        info = {"page": page, "per_page": per_page, "count": len(chunk), "total_count": len(items), "total_pages": max(math.ceil(len(items) / per_page), 1)}
        return 200, {}, {"success": True, "errors": [], "messages": [], "result": chunk, "result_info": info}


# ------------------------------------------------------------------ helpers


def _handler(emulator: CloudflareEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body leave at once, without a delayed-ACK pause

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, envelope = emulator.handle(self.command, self.path, self.headers, body)
            data = json.dumps(envelope).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    return Handler


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise Answer(400, 1001, f"{name} must be a number") from None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _full_name(name: str, zone: str) -> str:
    name = name.rstrip(".").lower()
    if name in ("@", ""):
        return zone
    return name if name == zone or name.endswith("." + zone) else f"{name}.{zone}"


def _input_of(record: dict[str, Any]) -> dict[str, Any]:
    keys = ("type", "name", "content", "ttl", "proxied", "priority", "data", "comment", "tags")
    return {k: record[k] for k in keys if k in record}


def txt_strings_of(content: str) -> list[str]:
    """The character-strings of TXT content as Cloudflare reads it: quoted strings, or the
    whole text when it is not quoted."""
    if not content.startswith('"'):
        return [content]
    strings, i = [], 0
    while i < len(content):
        if content[i] == " ":
            i += 1
            continue
        if content[i] != '"':
            raise Answer(400, 9009, "Content for TXT record is invalid: text outside quotes.")
        i += 1
        current = []
        while i < len(content) and content[i] != '"':
            if content[i] == "\\":
                i += 1
            if i < len(content):
                current.append(content[i])
            i += 1
        if i >= len(content):
            raise Answer(400, 9009, "Content for TXT record is invalid: unterminated quoted string.")
        i += 1
        strings.append("".join(current))
    return strings


def _check_txt(content: str) -> None:
    strings = txt_strings_of(content)
    if content.startswith('"') and any(len(s.encode()) > 255 for s in strings):
        raise Answer(400, 9009, "Content for TXT record is invalid: a character-string is longer than 255 bytes.")
    if len(content) > 4096:
        raise Answer(400, 9009, "Content for TXT record is too long.")


def _same_content(rtype: str, a: str, b: str) -> bool:
    if rtype == "TXT":
        return "".join(txt_strings_of(a)) == "".join(txt_strings_of(b))
    return a == b
