"""A loopback emulator of Smartlead's email-account API (v1), written from Smartlead's public
documentation, not from Mailwright's adapter:

- https://api.smartlead.ai/authentication: the key is the `api_key` query parameter (POST
  bodies may carry it too); a missing or wrong key answers 401.
- https://api.smartlead.ai/api-reference/email-accounts/get-all: `GET /api/v1/email-accounts/`
  with `offset` (>= 0), `limit` (1..100, default 100) and the `username` filter ("partial
  match supported"); a JSON array of accounts in the documented shape; 401 `{"message":
  "Invalid API Key"}`; 422 `{"error": "limit must be less than or equal to 100"}`.
- https://api.smartlead.ai/api-reference/email-accounts/get-by-id: `GET
  /api/v1/email-accounts/{id}/` (with or without the final slash).
- https://api.smartlead.ai/api-reference/email-accounts/add-smtp and its earlier edition,
  https://api.smartlead.ai/reference/create-an-email-account: `POST
  /api/v1/email-accounts/save`; required from_name, from_email (a valid address), user_name,
  password, smtp_host, smtp_port (number), imap_host, imap_port (number), warmup_enabled
  (boolean); optional id (number or null: update or create), type (GMAIL, OUTLOOK, SMTP),
  max_email_per_day and the warm-up numbers (numbers). 422 for a missing or invalid field;
  Smartlead signs in to the mailbox first: 400 when it cannot (the earlier edition's
  ACCOUNT_VERIFICATION_FAILED body, whose `error` carries the mail server's words); 400
  ACCOUNT_ALREADY_EXIST with `emailAccountId` for an address already in use; 404
  ACCOUNT_NOT_FOUND for an id to update that is not there. Success answers the current
  reference's `{"ok": true, "message", "data": {"id", ...}}`, or, with `save_answer =
  "earlier"`, the earlier edition's `{"ok": true, "message", "emailAccountId", "warmupKey"}`.
- https://api.smartlead.ai/api-reference/email-accounts/delete: `DELETE
  /api/v1/email-accounts/{id}` → `{"ok": true, "message": "Email account deleted successfully!",
  "emailAccountId"}`; 404 when the account is not there.
- https://api.smartlead.ai/reference/rate-limits and https://api.smartlead.ai/guides/rate-limits:
  60 requests per 60 seconds per key, the x-ratelimit-limit / -remaining / -reset headers, and
  429 with Retry-After and `{"error": {"code": "RATE_LIMIT_EXCEEDED", "message", "retry_after"}}`.
- https://api.smartlead.ai/guides/error-handling: the status codes. An unknown path answers
  404 with an HTML page ("Cannot GET /path", an Express server's default), not JSON.

Where the documentation gives no wording (the exact 422 texts, a plan's limit on email
accounts), the emulator's message states the fact plainly; the adapter must depend on no more
than "a 4xx with Smartlead's message".

State, in plain attributes: `accounts` (id → EmulatedAccount, with the save body exactly as
received), `other_workspaces` (address → id of an account another Smartlead workspace holds),
`refuse_sign_in` (address → the mail server's refusal Smartlead reports), `account_limit` (a
plan's maximum, None for none), `username_filter` (False: a Smartlead that ignores the filter),
`save_answer` ("current" or "earlier"), `rate_limit` / `rate_window`, and `calls` (every request:
method, path below /api/v1, query, body).

Faults: `fail_next(status, retry_after=..., times=..., path=...)` (500, 503, 429 with
Retry-After, 404 on a path ...).

From an end-to-end test: `SmartleadEmulator(rate_limit=10_000).start()` (many exports in a
minute would otherwise meet the documented 60), register the platform with `emulator.api_key`
and `emulator.url` as its baseUrl (the server must allow private addresses:
MAILWRIGHT_OUTBOUND_ALLOW_PRIVATE), then read `emulator.accounts` / `account_by_email(...)`
(`.body` holds the credentials as sent) and `emulator.requests("POST", "/email-accounts/save")`.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support import loopback_http

BASE_PATH = "/api/v1"
MAX_LIMIT = 100
INVALID_KEY = {"message": "Invalid API Key"}
ALREADY_EXISTS = "Email account already exist. Please pass id to update it"
VERIFICATION_FAILED = "Email account verification failed. Please verify account details."
NOT_FOUND = "Email account not found!"
DELETED = "Email account deleted successfully!"
ADDED = "Email account added successfully"
ADDED_EARLIER = "Email account added/updated successfully!"
PLAN_LIMIT = "You have reached the maximum number of email accounts allowed on your plan."
REQUIRED = ("from_name", "from_email", "user_name", "password", "smtp_host", "smtp_port", "imap_host", "imap_port", "warmup_enabled")
STRINGS = ("from_name", "from_email", "user_name", "password", "smtp_host", "imap_host", "different_reply_to_address",
           "imap_user_name", "imap_password", "custom_tracking_url", "bcc", "signature", "type")
NUMBERS = ("smtp_port", "imap_port", "max_email_per_day", "time_to_wait_in_mins", "total_warmup_per_day", "daily_rampup",
           "reply_rate_percentage", "client_id")
BOOLEANS = ("warmup_enabled", "is_suspended")
TYPES = ("GMAIL", "OUTLOOK", "SMTP")
# Every body field the Add SMTP Email Account page documents.
DOCUMENTED_SAVE_FIELDS = frozenset(
    {"id", "type", "oauth_token", *REQUIRED, *STRINGS, *NUMBERS, *BOOLEANS}
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class EmulatedAccount:
    id: int
    body: dict[str, Any]  # the save body as received (update bodies replace it)
    created_at: str
    updated_at: str
    user_id: int = 456

    @property
    def email(self) -> str:
        return str(self.body.get("from_email", ""))

    def listing(self) -> dict[str, Any]:
        """The account as Get All Email Accounts answers it (passwords base64, as documented)."""
        b = self.body
        warmup = bool(b.get("warmup_enabled"))
        different_imap = bool(b.get("imap_user_name")) and b.get("imap_user_name") != b.get("user_name")
        return {
            "id": self.id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "user_id": self.user_id,
            "from_name": b.get("from_name"),
            "from_email": b.get("from_email"),
            "minTimeToWaitInMins": b.get("time_to_wait_in_mins") or 5,
            "username": b.get("user_name"),
            "password": _b64(b.get("password")),
            "smtp_host": b.get("smtp_host"),
            "smtp_port": b.get("smtp_port"),
            "smtp_port_type": "SSL" if b.get("smtp_port") == 465 else "TLS",
            "message_per_day": b.get("max_email_per_day") or 100,
            "different_reply_to_address": b.get("different_reply_to_address") or None,
            "is_different_imap_account": different_imap,
            "imap_username": b.get("imap_user_name") or b.get("user_name"),
            "imap_password": _b64(b.get("imap_password") or b.get("password")),
            "imap_host": b.get("imap_host"),
            "imap_port": b.get("imap_port"),
            "imap_port_type": "SSL" if b.get("imap_port") == 993 else "TLS",
            "signature": b.get("signature") or None,
            "custom_tracking_domain": b.get("custom_tracking_url") or None,
            "bcc_email": b.get("bcc") or None,
            "is_smtp_success": True,
            "is_imap_success": True,
            "smtp_failure_error": None,
            "imap_failure_error": None,
            "type": b.get("type") or "SMTP",
            "daily_sent_count": 0,
            "client_id": b.get("client_id"),
            "campaign_count": 0,
            "tags": [],
            "warmup_details": {
                "status": "ACTIVE",
                "total_sent_count": 0,
                "total_spam_count": 0,
                "warmup_reputation": "100%",
                "warmup_key_id": 700 + self.id,
                "warmup_created_at": self.created_at,
                "reply_rate": b.get("reply_rate_percentage") or 30,
                "blocked_reason": None,
            } if warmup else None,
        }


@dataclass
class Call:
    method: str
    path: str  # below /api/v1, e.g. "/email-accounts/save"
    query: dict[str, str]
    body: Any = None


@dataclass
class _Fault:
    status: int
    retry_after: float | None
    path: str | None


class SmartleadError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(str(body))
        self.status, self.body = status, body


class SmartleadEmulator(loopback_http.LoopbackEmulator):
    def __init__(self, api_key: str = "3f9c1e2a-5b7d-4c8e-9f10-emulated_0a1b2c3d", *, rate_limit: int = 60,
                 rate_window: float = 60.0) -> None:
        self.api_key = api_key
        self.lock = threading.RLock()
        self.accounts: dict[int, EmulatedAccount] = {}
        self.other_workspaces: dict[str, int] = {}
        self.refuse_sign_in: dict[str, str] = {}
        self.account_limit: int | None = None
        self.username_filter = True
        self.save_answer = "current"
        self.rate_limit, self.rate_window = rate_limit, rate_window
        self._made_with = (rate_limit, rate_window)
        self.calls: list[Call] = []
        self._hits: deque[float] = deque()
        self._faults: list[_Fault] = []
        self._ids = itertools.count(3021)
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ control

    @property
    def url(self) -> str:
        """The base URL to give the adapter (Smartlead's https://server.smartlead.ai/api/v1)."""
        return self.origin + BASE_PATH

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        self._handle(request, request.command)

    def reset(self) -> None:
        """Back to an empty workspace, with the rate limit it was made with, on the same port."""
        with self.lock:
            server, limit = self._server, self._made_with
            self.__init__(self.api_key, rate_limit=limit[0], rate_window=limit[1])  # type: ignore[misc]
            self._server = server

    def fail_next(self, status: int, *, retry_after: float | None = None, times: int = 1, path: str | None = None) -> None:
        """The next `times` calls (whose path below /api/v1 starts with `path`, if given) answer
        `status` without doing anything."""
        with self.lock:
            self._faults.extend([_Fault(status, retry_after, path)] * times)

    def add_account(self, email: str, *, username: str | None = None, from_name: str = "Added By Hand",
                    password: str = "hand-typed-password", warmup: bool = False) -> EmulatedAccount:
        """An account already in the workspace (added in Smartlead's app, or by an earlier export)."""
        with self.lock:
            return self._store(None, {
                "from_name": from_name, "from_email": email, "user_name": username or email, "password": password,
                "smtp_host": "smtp.example.net", "smtp_port": 465, "imap_host": "imap.example.net", "imap_port": 993,
                "max_email_per_day": 30, "warmup_enabled": warmup,
            })

    def account_by_email(self, email: str) -> EmulatedAccount | None:
        with self.lock:
            return next((a for a in self.accounts.values() if a.email.lower() == email.lower()), None)

    def requests(self, method: str | None = None, path: str | None = None) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if (method is None or c.method == method) and (path is None or c.path.startswith(path))]

    # ------------------------------------------------------------------ HTTP

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(request.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        path = parts.path
        with self.lock:
            self.calls.append(Call(method, path.removeprefix(BASE_PATH), query, body))
            fault = self._fault_for(path.removeprefix(BASE_PATH))
            limited = self._count_hit()
            headers = self._rate_headers()
        if fault is not None:
            extra = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            self._send(request, fault.status, self._fault_body(fault), {**headers, **extra})
            return
        if limited is not None:
            wait = limited
            self._send(request, 429, {"error": {"code": "RATE_LIMIT_EXCEEDED",
                                                "message": f"Too many requests. Please retry after {wait} seconds.",
                                                "retry_after": wait}},
                       {**headers, "Retry-After": str(wait)})
            return
        if not path.startswith(BASE_PATH + "/"):
            self._send_text(request, 404, f"Cannot {method} {path}")
            return
        given = query.get("api_key") or (body.get("api_key") if isinstance(body, dict) and method == "POST" else None)
        if given != self.api_key:
            self._send(request, 401, INVALID_KEY, headers)
            return
        route = path.removeprefix(BASE_PATH).rstrip("/") or "/"
        try:
            with self.lock:
                status, answer = self._route(method, route, query, body)
        except SmartleadError as exc:
            status, answer = exc.status, exc.body
        if status == 404 and answer is None:
            self._send_text(request, 404, f"Cannot {method} {path}")
            return
        self._send(request, status, answer, headers)

    def _route(self, method: str, route: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        if route == "/email-accounts" and method == "GET":
            return 200, self._list(query)
        if route == "/email-accounts/save" and method == "POST":
            return self._save(body)
        match = re.fullmatch(r"/email-accounts/([^/]+)", route)
        if match and method in ("GET", "DELETE"):
            if not match.group(1).isdigit():
                raise SmartleadError(422, {"error": "email_account_id must be a number"})
            account = self.accounts.get(int(match.group(1)))
            if account is None:
                raise SmartleadError(404, {"ok": False, "message": NOT_FOUND, "errorCode": "ACCOUNT_NOT_FOUND"})
            if method == "GET":
                extra = {"campaign_ids": []} if query.get("fetch_campaigns") == "true" else {}
                return 200, {**account.listing(), **extra}
            del self.accounts[account.id]
            return 200, {"ok": True, "message": DELETED, "emailAccountId": account.id}
        return 404, None

    def _list(self, query: dict[str, str]) -> list[dict[str, Any]]:
        offset = _number(query.get("offset", "0"), "offset")
        limit = _number(query.get("limit", str(MAX_LIMIT)), "limit")
        if offset < 0:
            raise SmartleadError(422, {"error": "offset must be greater than or equal to 0"})
        if limit < 1:
            raise SmartleadError(422, {"error": "limit must be greater than or equal to 1"})
        if limit > MAX_LIMIT:
            raise SmartleadError(422, {"error": f"limit must be less than or equal to {MAX_LIMIT}"})
        accounts = sorted(self.accounts.values(), key=lambda a: a.id)
        wanted = (query.get("username") or "").lower()
        if wanted and self.username_filter:
            accounts = [a for a in accounts if wanted in str(a.body.get("user_name", "")).lower()]
        return [a.listing() for a in accounts[offset:offset + limit]]

    def _save(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict):
            raise SmartleadError(400, {"ok": False, "message": "Request body must be a JSON object"})
        body = {k: v for k, v in body.items() if k != "api_key"}
        for name in REQUIRED:
            if body.get(name) is None or body.get(name) == "":
                raise SmartleadError(422, {"error": f"{name} is required"})
        for name in STRINGS:
            if body.get(name) is not None and not isinstance(body[name], str):
                raise SmartleadError(422, {"error": f"{name} must be a string"})
        for name in NUMBERS:
            value = body.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise SmartleadError(422, {"error": f"{name} must be a number"})
        for name in BOOLEANS:
            if body.get(name) is not None and not isinstance(body[name], bool):
                raise SmartleadError(422, {"error": f"{name} must be a boolean"})
        if not _EMAIL.match(body["from_email"]):
            raise SmartleadError(422, {"error": "from_email must be a valid email"})
        if body.get("type") is not None and body["type"] not in TYPES:
            raise SmartleadError(422, {"error": f"type must be one of {', '.join(TYPES)}"})
        for name in ("smtp_port", "imap_port"):
            if not 0 < body[name] < 65536:
                raise SmartleadError(422, {"error": f"{name} must be a valid port"})
        account_id = body.get("id")
        if account_id is not None and (isinstance(account_id, bool) or not isinstance(account_id, int)):
            raise SmartleadError(422, {"error": "id must be a number"})
        email = body["from_email"].strip().lower()
        if account_id is not None:
            if account_id not in self.accounts:
                raise SmartleadError(404, {"ok": False, "message": NOT_FOUND, "errorCode": "ACCOUNT_NOT_FOUND"})
        else:
            mine = self.account_by_email(email)
            theirs = self.other_workspaces.get(email)
            if mine is not None or theirs is not None:
                held = mine.id if mine is not None else theirs
                raise SmartleadError(400, {"ok": False, "message": ALREADY_EXISTS, "errorCode": "ACCOUNT_ALREADY_EXIST",
                                           "emailAccountId": held})
            if self.account_limit is not None and len(self.accounts) >= self.account_limit:
                raise SmartleadError(400, {"ok": False, "message": PLAN_LIMIT})
        refusal = self.refuse_sign_in.get(email)
        if refusal is not None:
            raise SmartleadError(400, {"ok": False, "message": VERIFICATION_FAILED, "errorCode": "ACCOUNT_VERIFICATION_FAILED",
                                       "error": refusal})
        account = self._store(account_id, body)
        if self.save_answer == "earlier":
            return 200, {"ok": True, "message": ADDED_EARLIER, "emailAccountId": account.id,
                         "warmupKey": f"emulated-key-{account.id}"}
        return 200, {"ok": True, "message": ADDED, "data": {
            "id": account.id, "from_email": account.email, "is_smtp_success": True, "is_imap_success": True,
            "warmup_details": {"status": "ACTIVE" if body.get("warmup_enabled") else "INACTIVE",
                               "total_warmup_per_day": body.get("total_warmup_per_day") or 20},
        }}

    # ------------------------------------------------------------------ helpers

    def _store(self, account_id: int | None, body: dict[str, Any]) -> EmulatedAccount:
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        if account_id is not None:
            account = self.accounts[account_id]
            account.body, account.updated_at = dict(body), now
            return account
        account = EmulatedAccount(next(self._ids), dict(body), now, now)
        self.accounts[account.id] = account
        return account

    def _fault_for(self, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.path is None or path.startswith(fault.path):
                self._faults.remove(fault)
                return fault
        return None

    def _count_hit(self) -> int | None:
        """Counts this request against the key's window; the seconds to wait when it is over."""
        now = time.monotonic()
        while self._hits and now - self._hits[0] >= self.rate_window:
            self._hits.popleft()
        if len(self._hits) >= self.rate_limit:
            return max(1, math.ceil(self.rate_window - (now - self._hits[0])))
        self._hits.append(now)
        return None

    def _rate_headers(self) -> dict[str, str]:
        now = time.monotonic()
        reset_in = self.rate_window - (now - self._hits[0]) if self._hits else self.rate_window
        return {
            "x-ratelimit-limit": str(self.rate_limit),
            "x-ratelimit-remaining": str(max(0, self.rate_limit - len(self._hits))),
            "x-ratelimit-reset": str(int(time.time() + max(0.0, reset_in))),
        }

    @staticmethod
    def _fault_body(fault: _Fault) -> Any:
        if fault.status == 429:
            wait = int(fault.retry_after or 30)
            return {"error": {"code": "RATE_LIMIT_EXCEEDED", "message": f"Too many requests. Please retry after {wait} seconds.",
                              "retry_after": wait}}
        if fault.status == 404:
            return {"ok": False, "message": NOT_FOUND, "errorCode": "ACCOUNT_NOT_FOUND"}
        if fault.status >= 500:
            return {"message": "Internal Server Error"}
        return {"message": f"HTTP {fault.status}"}

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(raw)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(raw)

    @staticmethod
    def _send_text(request: BaseHTTPRequestHandler, status: int, text: str) -> None:
        raw = (f"<!DOCTYPE html><html><head><title>Error</title></head><body><pre>{text}</pre></body></html>").encode()
        request.send_response(status)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        request.send_header("Content-Length", str(len(raw)))
        request.end_headers()
        request.wfile.write(raw)


Emulator = SmartleadEmulator


def _number(text: str, name: str) -> int:
    if not re.fullmatch(r"-?[0-9]+", text or ""):
        raise SmartleadError(422, {"error": f"{name} must be a number"})
    return int(text)


def _b64(value: Any) -> str | None:
    return base64.b64encode(str(value).encode()).decode() if value else None
