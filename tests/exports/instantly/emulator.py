"""A loopback emulator of the Instantly API v2 calls a sending-platform export makes, written from
Instantly's public documentation (not from Mailwright's adapter):

- https://developer.instantly.ai/api-reference/introduction — base https://api.instantly.ai, every
  call authenticated by an API key sent as `Authorization: Bearer <key>`; keys belong to a
  workspace (several keys may share one).
- The API reference pages of the Account resource and the OpenAPI document they render
  (https://api.instantly.ai/openapi/api_v2.json, the bodies kept as fixtures beside the tests,
  fixtures/SOURCES.md):
  - "Create account", POST /api/v2/accounts: the `CreateAccount` body (below, CREATE_SCHEMA):
    required email, first_name, last_name, provider_code (1 Custom IMAP/SMTP, 2 Google,
    3 Microsoft, 4 AWS, 8 AirMail, 11 Airmail Instant), imap_username, imap_password, imap_host,
    imap_port (number), smtp_username, smtp_password, smtp_host, smtp_port (number); optional
    warmup {limit, advanced {...}, warmup_custom_ftag, increment, reply_rate}, daily_limit
    (number or null), tracking_domain_name, tracking_domain_status, enable_slow_ramp,
    inbox_placement_test_limit (>= 0), sending_gap (0 to 1440), signature, reply_to,
    warmup_custom_ftag, skip_cname_check; `additionalProperties: false`. Answer 200: the Account.
  - "Get account", GET /api/v2/accounts/{email}: 200 the Account, 404.
  - "List account", GET /api/v2/accounts: `limit` (integer 1 to 100), `starting_after` (the
    `next_starting_after` of the previous page, "in `timestamp_created&email` format"),
    `search`; answer {"items": [Account], "next_starting_after"}.
  - "Delete account", DELETE /api/v2/accounts/{email}: 200 the deleted Account, 404.
  - "Enable warmup" / "Disable warmup", POST /api/v2/accounts/warmup/enable|disable
    {"emails": [... up to 100]}: 200 a Background Job (processed later; here at once).
  - "Get current workspace", GET /api/v2/workspaces/current: the key's Workspace.
  - The `Account` schema: no credentials are ever answered; `warmup_status` 0 paused, 1 active.
  - Errors, on every call: {"statusCode", "error", "message"} — 400 "Bad Request" (the documented
    example "body must have required property 'name'": Fastify's schema-validation wording,
    which the emulator follows: "body/imap_port must be number", "body must NOT have additional
    properties", "querystring/limit must be <= 100"), 401 "Unauthorized" ("Missing Authorization
    header"), 402 "Payment Required" ("Workspace does not have an active paid plan"), 404 "Not
    Found" ("Resource not found"), 429 "Too Many Requests" ("Rate limit exceeded").
- https://developer.instantly.ai/getting-started/rate-limit — shared by API v1 and v2 and applied
  to the whole workspace even across several keys: no more than 100 requests per second and
  6,000 per minute; beyond, 429. Enforced here (per_second, per_minute).

Not in the documentation, so decided here (the adapter must rely on no more than the status and
Instantly's message): the wording for a key that is not Instantly's ("Invalid API key") or a
header that is not a Bearer one ("Invalid authorization header"); the 400 answered for an address
already in the workspace, for an address another workspace holds, and for IMAP/SMTP credentials
Instantly's connection test rejects (`refuse_logins`). The rate-limit page names no response
headers: a 429 here carries Retry-After (HTTP's header for it) with the seconds until the window
has room, and `throttle_next(retry_after=None)` answers one without it. The validation is
stricter than Fastify's defaults (which coerce "993" to 993 and drop unknown fields): a wrong
type or an unknown field is refused, so a client that depends on coercion is caught here.

State, in plain attributes (under `lock`): `workspace` (the main one: id, name, accounts —
lowercased address → the stored account, the Account fields plus the credentials sent —,
paid_plan), `workspaces` and `keys` (API key → workspace id), `api_key` (valid for the main
workspace), `calls` (every request: method, path, query, body, authorization, user agent), `warmup_jobs`,
`new_account_warmup_status` (the warmup_status a new account starts with), `per_second`,
`per_minute`. Faults, each for the next call or the next call to one "METHOD /path":
throttle_next(times, retry_after, status, call) — 429 or a 5xx; answer_next(status, body, call) —
a given (e.g. documented) body. And refuse_logins[email] = message; slow_creates[email] = seconds
(the account is added at once, the answer sent that much later); add_workspace() for an address
another workspace holds; concurrent_create(email) — the account appears just before the next
create of that address (a second export racing this one); revoke(key)."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import threading
import time
import urllib.parse
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support import loopback_http

PROVIDER_CODES = (1, 2, 3, 4, 8, 11)
WARMUP_INCREMENTS = ("disabled", "0", "1", "2", "3", "4")
MAX_LIMIT = 100
DEFAULT_LIMIT = 100  # the reference states the range (1 to 100), not the default
MAX_WARMUP_EMAILS = 100

# The CreateAccount request schema (a JSON schema subset: type, enum, minimum, maximum, format,
# properties, required, additionalProperties), in the document's order of properties.
WARMUP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "limit": {"type": "number"},
        "advanced": {
            "type": "object",
            "properties": {
                "warm_ctd": {"type": "boolean"},
                "open_rate": {"type": "number"},
                "important_rate": {"type": "number"},
                "read_emulation": {"type": "boolean"},
                "spam_save_rate": {"type": "number"},
                "weekday_only": {"type": "boolean"},
            },
        },
        "warmup_custom_ftag": {"type": "string"},
        "increment": {"type": "string", "enum": list(WARMUP_INCREMENTS)},
        "reply_rate": {"type": "number"},
    },
}
CREATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "email": {"type": "string", "format": "email"},
        "first_name": {"type": "string"},
        "last_name": {"type": "string"},
        "warmup": WARMUP_SCHEMA,
        "daily_limit": {"type": ["number", "null"]},
        "tracking_domain_name": {"type": ["string", "null"]},
        "tracking_domain_status": {"type": ["string", "null"]},
        "enable_slow_ramp": {"type": ["boolean", "null"]},
        "inbox_placement_test_limit": {"type": ["number", "null"], "minimum": 0},
        "provider_code": {"type": "number", "enum": list(PROVIDER_CODES)},
        "sending_gap": {"type": "number", "minimum": 0, "maximum": 1440},
        "signature": {"type": ["string", "null"]},
        "reply_to": {"type": "string"},
        "imap_username": {"type": "string"},
        "imap_password": {"type": "string"},
        "imap_host": {"type": "string"},
        "imap_port": {"type": "number"},
        "smtp_username": {"type": "string"},
        "smtp_password": {"type": "string"},
        "smtp_host": {"type": "string"},
        "smtp_port": {"type": "number"},
        "warmup_custom_ftag": {"type": "string"},
        "skip_cname_check": {"type": "boolean"},
    },
    "required": [
        "email", "first_name", "last_name", "provider_code", "imap_username", "imap_password",
        "imap_host", "imap_port", "smtp_username", "smtp_password", "smtp_host", "smtp_port",
    ],
    "additionalProperties": False,
}
WARMUP_SWITCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "emails": {"type": "array", "items": {"type": "string"}, "maxItems": MAX_WARMUP_EMAILS},
        "include_all_emails": {"type": "boolean"},
        "excluded_emails": {"type": "array", "items": {"type": "string"}, "maxItems": MAX_WARMUP_EMAILS},
        "filter": {"type": ["object", "null"]},
        "search": {"type": "string"},
    },
}
# The fields of the `Account` schema: what an answer may carry (never a credential).
ACCOUNT_FIELDS = (
    "email", "timestamp_created", "timestamp_updated", "first_name", "last_name", "warmup", "added_by",
    "daily_limit", "daily_limit_max", "warmup_limit_max", "modified_by", "tracking_domain_name",
    "tracking_domain_status", "status", "enable_slow_ramp", "inbox_placement_test_limit", "organization",
    "warmup_status", "status_message", "timestamp_warmup_start", "provider_code", "setup_pending",
    "is_managed_account", "stat_warmup_score", "sending_gap", "signature", "reply_to", "autofix_failed",
)
CREDENTIAL_FIELDS = (
    "imap_username", "imap_password", "imap_host", "imap_port",
    "smtp_username", "smtp_password", "smtp_host", "smtp_port",
)
# Instantly's defaults for a new account's warm-up settings (the schema's example values).
DEFAULT_WARMUP = {
    "limit": 100,
    "advanced": {"warm_ctd": False, "open_rate": 0.95, "important_rate": 0.8, "read_emulation": True, "spam_save_rate": 0.02, "weekday_only": True},
    "warmup_custom_ftag": "warmup",
    "increment": "disabled",
    "reply_rate": 0.1,
}
EMAIL = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")
REASONS = {
    400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 404: "Not Found",
    429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
}


class Answer(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, {"statusCode": status, "error": REASONS.get(status, "Error"), "message": message}, headers)


@dataclass
class Workspace:
    id: str
    name: str
    owner: str
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    paid_plan: bool = True
    timestamp_created: str = ""
    hits: deque[float] = field(default_factory=deque)  # monotonic times of its recent requests


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str
    user_agent: str


class InstantlyEmulator(loopback_http.LoopbackEmulator):
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._last_ms = 0
        self.reset()

    # ------------------------------------------------------------------ test controls

    @property
    def url(self) -> str:
        """The base URL (as https://api.instantly.ai): paths start with /api/v2."""
        return self.origin

    def reset(self) -> None:
        """A fresh main workspace with one key, no other workspace, no faults, the documented limits."""
        with self.lock:
            self.workspaces: dict[str, Workspace] = {}
            self.keys: dict[str, str] = {}
            self.workspace = self._new_workspace("My Workspace")
            self.api_key = self.add_key()
            self.calls: list[Call] = []
            self.warmup_jobs: list[dict[str, Any]] = []
            self.refuse_logins: dict[str, str] = {}
            self.slow_creates: dict[str, float] = {}
            self.new_account_warmup_status = 0
            self.per_second = 100
            self.per_minute = 6000
            self._faults: list[tuple[str | None, int, Any, dict[str, str]]] = []
            self._racing: set[str] = set()

    @property
    def accounts(self) -> dict[str, dict[str, Any]]:
        """The main workspace's accounts: lowercased address → Account fields and credentials."""
        return self.workspace.accounts

    def add_key(self, workspace: Workspace | None = None) -> str:
        """Another API key (of the main workspace unless given); keys of a workspace share its limits."""
        key = secrets.token_urlsafe(36)  # Instantly's v2 keys are long base64 strings
        with self.lock:
            self.keys[key] = (workspace or self.workspace).id
        return key

    def add_workspace(self, name: str = "Another Workspace") -> tuple[Workspace, str]:
        """Another workspace (another Instantly customer) and its key."""
        with self.lock:
            workspace = self._new_workspace(name)
            return workspace, self.add_key(workspace)

    def revoke(self, key: str) -> None:
        with self.lock:
            self.keys.pop(key, None)

    def add_account(self, email: str, workspace: Workspace | None = None, **fields: Any) -> dict[str, Any]:
        """An account added outside Mailwright (in Instantly's app)."""
        body = {
            "email": email, "first_name": "Outside", "last_name": "Person", "provider_code": 1,
            "imap_username": email, "imap_password": "outside-secret", "imap_host": "imap.example.net", "imap_port": 993,
            "smtp_username": email, "smtp_password": "outside-secret", "smtp_host": "smtp.example.net", "smtp_port": 587,
            **fields,
        }
        with self.lock:
            return self._store(workspace or self.workspace, body)

    def throttle_next(self, times: int = 1, retry_after: float | None = 7, status: int = 429, *, call: str | None = None) -> None:
        """The next `times` API calls (or calls to `call`, e.g. "POST /api/v2/accounts") are
        answered `status` (429, 500, 503 ...), with Retry-After unless None."""
        headers = {} if retry_after is None else {"Retry-After": str(int(retry_after))}
        message = "Rate limit exceeded" if status == 429 else REASONS.get(status, "Error")
        body = {"statusCode": status, "error": REASONS.get(status, "Error"), "message": message}
        with self.lock:
            self._faults.extend([(call, status, body, headers)] * times)

    def answer_next(self, status: int, body: Any, headers: dict[str, str] | None = None, *, call: str | None = None) -> None:
        """The next API call (or call to `call`), once authenticated, is answered with exactly
        this body (a documented one, say)."""
        with self.lock:
            self._faults.append((call, status, body, headers or {}))

    def concurrent_create(self, email: str) -> None:
        """The next create of `email` meets the account already added (by a racing export)."""
        with self.lock:
            self._racing.add(email.lower())

    def calls_to(self, method: str, path: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method and c.path == path]

    # ------------------------------------------------------------------ dispatch

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(request.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        method = request.command
        path = url.path
        try:
            body = self._parse(raw, str(request.headers.get("Content-Type") or ""))
            with self.lock:
                self.calls.append(Call(method, path, query, body, str(request.headers.get("Authorization") or ""), str(request.headers.get("User-Agent") or "")))
            status, headers, answer = self._route(method, path, query, body, request.headers)
        except Answer as exc:
            status, headers, answer = exc.status, exc.headers, exc.body
        except Exception as exc:  # the emulator's own bug: answered as Fastify answers an unhandled error
            status, headers, answer = 500, {}, {"statusCode": 500, "error": "Internal Server Error", "message": f"emulator failure: {type(exc).__name__}: {exc}"}
        payload = json.dumps(answer).encode()
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name, value)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    @staticmethod
    def _parse(raw: bytes, content_type: str) -> Any:
        if not raw:
            if "application/json" in content_type:
                raise Answer(400, {"statusCode": 400, "code": "FST_ERR_CTP_EMPTY_JSON_BODY", "error": "Bad Request",
                                   "message": "Body cannot be empty when content-type is set to 'application/json'"})
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise error(400, f"Body is not valid JSON: {exc.msg}") from exc

    def _route(self, method: str, path: str, query: dict[str, str], body: Any, headers: Any) -> tuple[int, dict[str, str], Any]:
        parts = [urllib.parse.unquote(p) for p in path.split("/") if p]
        if parts[:2] != ["api", "v2"]:
            raise error(404, f"Route {method}:{path} not found")
        route = parts[2:]
        handlers = {
            ("GET", ("workspaces", "current")): lambda ws: self._current_workspace(ws),
            ("GET", ("accounts",)): lambda ws: self._list(ws, query),
            ("POST", ("accounts",)): lambda ws: self._create(ws, body),
            ("POST", ("accounts", "warmup", "enable")): lambda ws: self._warmup(ws, body, 1),
            ("POST", ("accounts", "warmup", "disable")): lambda ws: self._warmup(ws, body, 0),
        }
        handler = handlers.get((method, tuple(route)))
        if handler is None and len(route) == 2 and route[0] == "accounts" and method in ("GET", "DELETE"):
            email = route[1]
            handler = (lambda ws: self._get(ws, email)) if method == "GET" else (lambda ws: self._delete(ws, email))
        if handler is None:
            raise error(404, f"Route {method}:{path} not found")
        workspace = self._authenticate(headers)
        self._admit(workspace, f"{method} {path}")
        return 200, {}, handler(workspace)

    def _authenticate(self, headers: Any) -> Workspace:
        auth = str(headers.get("Authorization") or "")
        if not auth:
            raise error(401, "Missing Authorization header")
        scheme, _, key = auth.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise error(401, "Invalid authorization header")
        with self.lock:
            workspace_id = self.keys.get(key.strip())
            if workspace_id is None:
                raise error(401, "Invalid API key")
            return self.workspaces[workspace_id]

    def _admit(self, workspace: Workspace, call: str) -> None:
        """Faults first, then the workspace's documented rate limits, then its plan."""
        with self.lock:
            for index, (only, status, body, headers) in enumerate(self._faults):
                if only is None or only == call:
                    del self._faults[index]
                    raise Answer(status, body, headers)
            now = time.monotonic()
            hits = workspace.hits
            while hits and now - hits[0] >= 60.0:
                hits.popleft()
            last_second = sum(1 for t in hits if now - t < 1.0)
            if last_second >= self.per_second:
                oldest = next(t for t in hits if now - t < 1.0)
                raise error(429, "Rate limit exceeded", {"Retry-After": str(max(1, int(oldest + 1.0 - now + 0.999)))})
            if len(hits) >= self.per_minute:
                raise error(429, "Rate limit exceeded", {"Retry-After": str(max(1, int(hits[0] + 60.0 - now + 0.999)))})
            hits.append(now)
            if not workspace.paid_plan:
                raise error(402, "Workspace does not have an active paid plan")

    # ------------------------------------------------------------------ calls

    def _current_workspace(self, workspace: Workspace) -> dict[str, Any]:
        return {
            "id": workspace.id, "timestamp_created": workspace.timestamp_created, "timestamp_updated": workspace.timestamp_created,
            "owner": workspace.owner, "name": workspace.name, "plan_id": "pid_hg_v1" if workspace.paid_plan else None,
        }

    def _list(self, workspace: Workspace, query: dict[str, str]) -> dict[str, Any]:
        limit = DEFAULT_LIMIT
        if "limit" in query:
            text = query["limit"].strip()
            if not re.fullmatch(r"-?\d+", text):
                raise error(400, "querystring/limit must be integer")
            limit = int(text)
            if limit < 1:
                raise error(400, "querystring/limit must be >= 1")
            if limit > MAX_LIMIT:
                raise error(400, f"querystring/limit must be <= {MAX_LIMIT}")
        with self.lock:
            items = sorted(workspace.accounts.values(), key=lambda a: (a["timestamp_created"], a["email"]))
            search = query.get("search", "").strip().lower()
            if search:
                items = [a for a in items if search in a["email"].lower()]
            cursor = query.get("starting_after")
            if cursor:
                created, _, email = cursor.partition("&")
                items = [a for a in items if (a["timestamp_created"], a["email"]) > (created, email)]
            page = items[:limit]
            answer: dict[str, Any] = {"items": [_public(a) for a in page]}
            if len(items) > limit:
                answer["next_starting_after"] = f"{page[-1]['timestamp_created']}&{page[-1]['email']}"
            return answer

    def _get(self, workspace: Workspace, email: str) -> dict[str, Any]:
        with self.lock:
            account = workspace.accounts.get(email.lower())
            if account is None:
                raise error(404, "Resource not found")
            return _public(account)

    def _delete(self, workspace: Workspace, email: str) -> dict[str, Any]:
        with self.lock:
            account = workspace.accounts.pop(email.lower(), None)
            if account is None:
                raise error(404, "Resource not found")
            return _public(account)

    def _create(self, workspace: Workspace, body: Any) -> dict[str, Any]:
        validate(body, CREATE_SCHEMA, "body")
        email = str(body["email"]).lower()
        with self.lock:
            if email in self._racing:
                self._racing.discard(email)
                self._store(workspace, body)
            if email in workspace.accounts:
                raise error(400, f"Email account {body['email']} already exists in this workspace")
            if any(email in other.accounts for other in self.workspaces.values() if other is not workspace):
                raise error(400, f"Email account {body['email']} is already connected to another workspace")
            refusal = self.refuse_logins.get(email)
            if refusal is not None:
                raise error(400, refusal)
            created = _public(self._store(workspace, body))
            delay = self.slow_creates.pop(email, 0.0)
        time.sleep(delay)  # added already; the answer comes late (a caller killed meanwhile never hears it)
        return created

    def _warmup(self, workspace: Workspace, body: Any, status: int) -> dict[str, Any]:
        validate(body if body is not None else {}, WARMUP_SWITCH_SCHEMA, "body")
        body = body or {}
        with self.lock:
            if body.get("include_all_emails"):
                excluded = {e.lower() for e in body.get("excluded_emails") or []}
                chosen = [e for e in workspace.accounts if e not in excluded]
            else:
                chosen = [e.lower() for e in body.get("emails") or [] if e.lower() in workspace.accounts]
            stamp = self._now()
            for email in chosen:
                account = workspace.accounts[email]
                account["warmup_status"] = status
                account["timestamp_updated"] = stamp
                if status == 1 and not account.get("timestamp_warmup_start"):
                    account["timestamp_warmup_start"] = stamp
            job = {
                "id": secrets.token_hex(12), "workspace_id": workspace.id, "user_id": workspace.owner,
                "type": "update-warmup-accounts", "entity_id": workspace.id, "entity_type": "workspace",
                "data": {"emails": chosen, "warmup": "enable" if status else "disable"},
                "progress": 0, "status": "pending", "created_at": stamp, "updated_at": stamp,
            }
            self.warmup_jobs.append(job)
            return job

    # ------------------------------------------------------------------ state

    def _new_workspace(self, name: str) -> Workspace:
        workspace = Workspace(id=str(uuid.uuid4()), name=name, owner=str(uuid.uuid4()), timestamp_created=self._now())
        self.workspaces[workspace.id] = workspace
        return workspace

    def _now(self) -> str:
        """The time in Instantly's form ("2026-04-17T16:56:43.383Z"), a millisecond later at least
        than the last one given, so `timestamp_created&email` cursors are strict."""
        with self.lock:
            now_ms = int(time.time() * 1000)
            self._last_ms = max(now_ms, self._last_ms + 1)
            moment = dt.datetime.fromtimestamp(self._last_ms / 1000, dt.timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self._last_ms % 1000:03d}Z"

    def _store(self, workspace: Workspace, body: dict[str, Any]) -> dict[str, Any]:
        stamp = self._now()
        account: dict[str, Any] = {
            "email": str(body["email"]).lower(),
            "timestamp_created": stamp,
            "timestamp_updated": stamp,
            "first_name": body["first_name"],
            "last_name": body["last_name"],
            "warmup": {**DEFAULT_WARMUP, **(body.get("warmup") or {})},
            "added_by": workspace.owner,
            "daily_limit": body.get("daily_limit"),
            "modified_by": workspace.owner,
            "tracking_domain_name": body.get("tracking_domain_name"),
            "tracking_domain_status": body.get("tracking_domain_status"),
            "status": 1,
            "enable_slow_ramp": body.get("enable_slow_ramp", False),
            "inbox_placement_test_limit": body.get("inbox_placement_test_limit"),
            "organization": workspace.id,
            "warmup_status": self.new_account_warmup_status,
            "timestamp_warmup_start": stamp if self.new_account_warmup_status == 1 else None,
            "provider_code": body["provider_code"],
            "setup_pending": False,
            "is_managed_account": False,
            "stat_warmup_score": None,
            "sending_gap": body.get("sending_gap", 10),
            "signature": body.get("signature"),
            "reply_to": body.get("reply_to"),
            **{name: body[name] for name in CREDENTIAL_FIELDS},
        }
        workspace.accounts[account["email"]] = account
        return account


def _public(account: dict[str, Any]) -> dict[str, Any]:
    """An account as the API answers it: the Account schema's fields, never a credential."""
    return {name: account[name] for name in ACCOUNT_FIELDS if name in account}


def validate(value: Any, schema: dict[str, Any], where: str) -> None:
    """The first schema violation, in Fastify's (Ajv's) words, as a 400; Ajv checks `required`
    before `additionalProperties` before each property."""
    types = schema.get("type")
    if types is not None:
        allowed = types if isinstance(types, list) else [types]
        if not any(_is(value, t) for t in allowed):
            raise error(400, f"{where} must be {','.join(allowed)}")
    if value is None:
        return
    if "enum" in schema and value not in schema["enum"]:
        raise error(400, f"{where} must be equal to one of the allowed values")
    if schema.get("format") == "email" and not EMAIL.match(value):
        raise error(400, f'{where} must match format "email"')
    if "minimum" in schema and value < schema["minimum"]:
        raise error(400, f"{where} must be >= {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        raise error(400, f"{where} must be <= {schema['maximum']}")
    if isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            raise error(400, f"{where} must NOT have more than {schema['maxItems']} items")
        for index, item in enumerate(value):
            validate(item, schema.get("items", {}), f"{where}/{index}")
    if isinstance(value, dict):
        for name in schema.get("required", ()):
            if name not in value:
                raise error(400, f"{where} must have required property '{name}'")
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is False and any(name not in properties for name in value):
            raise error(400, f"{where} must NOT have additional properties")
        for name, subschema in properties.items():
            if name in value:
                validate(value[name], subschema, f"{where}/{name}")


def _is(value: Any, json_type: str) -> bool:
    if json_type == "null":
        return value is None
    if json_type == "boolean":
        return isinstance(value, bool)
    if json_type == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if json_type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if json_type == "string":
        return isinstance(value, str)
    if json_type == "array":
        return isinstance(value, list)
    if json_type == "object":
        return isinstance(value, dict)
    return False
