"""A loopback emulator of the part of Woodpecker's public API that manages email accounts, written
from Woodpecker's documentation, not from Mailwright's adapter:

- https://developers.woodpecker.co/docs/getting-started/authentication (base URL
  https://api.woodpecker.co/rest, the `x-api-key` header on every request, `GET /v1/me` to check a
  key);
- https://developers.woodpecker.co/docs/mailboxes/post-mailboxes and the help-center article
  "Adding mailboxes" (docs.woodpecker.co/en/articles/9428731): `POST
  /v2/mailboxes/manual_connection/bulk`, its fields and their requirements (smtp_email and
  imap_email valid addresses; passwords and servers not blank; ports in <1; 65535>; smtp_login,
  smtp_from_name and footer not blank when given; bcc an address; tracking domains valid domains;
  sending_wait_time_from in <10, 9999> and smaller than sending_wait_time_to in <20, 9999>;
  daily_sending_limit in <1, 5500>; completion_notification_types MAIL or IN_APP; up to 200
  mailboxes), 202 `{"batch_id": integer}`, and 400/409/500 `{"code": string, "details": [string]}`;
- https://developers.woodpecker.co/docs/mailboxes/get-batch-summary: the batch summary while in
  progress and once finished (`processing_finished`, the counts, `conditionally_connected_mailboxes`,
  `failed_mailboxes`), 401 and 404;
- https://developers.woodpecker.co/docs/mailboxes/get-mailboxes and .../get-mailbox (and the
  help-center article "Listing mailboxes", docs.woodpecker.co/en/articles/6865346): one array of
  SMTP and IMAP objects, `details` with `email`, `provider`, `login`, `server`, `port`, and for
  SMTP `from_name`, `error`, `daily_limit`, `sent_today`, `frequency_from`/`frequency_to` (ms),
  `signature`, `in_slot`, `warmup_data`, `imap_id`; an IMAP has `private`;
- https://developers.woodpecker.co/docs/users/get-users: the paged form of Woodpecker's v2 lists
  (`content`, `pagination_data` with `total_elements`, `total_pages`, `current_page_number`
  counted from 1, `page_size`; the `page` parameter counted from 0), which this emulator answers
  for /v2/mailboxes only when `page_size` is set (the documentation shows that list unpaged);
- the v2 error body `{"title", "status", "details", "timestamp"}` as Woodpecker's v2 domain
  endpoints document it for 400/401/500/503; the API reference's rate limits
  (docs.woodpecker.co/en/articles/5388048): one request processed at a time, at most 6 waiting, each
  for at most 15 seconds, any more dropped at once (answered 429 here); the help-center articles on
  slots ("you can only add as many active email accounts ... as many empty slots you have": a
  mailbox past the slots is connected with `in_slot` false) and on campaign errors ("Authentication
  failed", "Couldn't connect to the host") for the words of a mailbox Woodpecker cannot connect.

Where the documentation gives no wording (the body of /v1/me, the `code` of a 400 or 409, the
entries of `failed_mailboxes` beyond Woodpecker's `error_message`), the emulator states the fact
plainly; the adapter must not depend on more than the documented shape. The API documents no
removal of an email account: DELETE on a mailbox is 405, like any method a path does not have.

State (plain attributes): `mailboxes` (by address), `batches`, `calls`, `taken` (addresses held by
another Woodpecker account: 409), `refuse` (address -> Woodpecker's error_message: the batch fails
it), `conditional` (addresses connected conditionally), `slots` (None: unlimited), `page_size`
(None: the documented array), `connect_polls` (summary calls that still answer "in progress").
Faults: `fail_next(status, retry_after=..., times=...)`; `processing` (the lock of the one request
processed at a time) with `queue_limit`/`queue_seconds`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support import loopback_http

BASE_PATH = "/rest"
MAX_BATCH = 200
DEFAULT_DAILY_LIMIT = 500
DEFAULT_FREQUENCY_MS = (300_000, 600_000)  # as the get-mailbox example shows
CONDITIONAL = "Connected conditionally."  # the `error` of such a mailbox in the listing example
DOCUMENTED_FIELDS = {
    "smtp_email", "smtp_login", "smtp_password", "smtp_server", "smtp_port", "smtp_from_name",
    "imap_email", "imap_password", "imap_server", "imap_port", "footer", "bcc",
    "open_tracking_domain", "click_tracking_domain", "unsubscribe_tracking_domain",
    "sending_wait_time_from", "sending_wait_time_to", "daily_sending_limit",
}
NOTIFICATION_TYPES = {"MAIL", "IN_APP"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.IGNORECASE)


@dataclass
class Mailbox:
    """One connected email account: its SMTP configuration and the IMAP beside it."""

    smtp_id: int
    imap_id: int
    email: str
    login: str
    password: str
    server: str
    port: int
    imap_email: str
    imap_password: str
    imap_server: str
    imap_port: int
    from_name: str | None = None
    daily_limit: int = DEFAULT_DAILY_LIMIT
    frequency_from: int = DEFAULT_FREQUENCY_MS[0]
    frequency_to: int = DEFAULT_FREQUENCY_MS[1]
    signature: str = ""
    bcc: str = ""
    open_url: str = ""
    click_url: str = ""
    unsubscribe_url: str = ""
    in_slot: bool = True
    error: str | None = None
    provider: str = "CUSTOM"
    warmup_status: str = "PAUSED"  # warm-up is not part of the API's manual connection

    def smtp(self) -> dict[str, Any]:
        return {"id": self.smtp_id, "type": "SMTP", "details": {
            "email": self.email, "provider": self.provider, "login": self.login, "server": self.server,
            "port": self.port, "from_name": self.from_name, "error": self.error, "daily_limit": self.daily_limit,
            "sent_today": 0, "frequency_from": self.frequency_from, "frequency_to": self.frequency_to,
            "bcc_crm": self.bcc, "signature": self.signature, "open_url": self.open_url, "click_url": self.click_url,
            "unsubscribe_url": self.unsubscribe_url, "freeze_account": [], "in_slot": self.in_slot,
            "warmup_data": {"status": self.warmup_status}, "imap_id": self.imap_id,
        }}

    def imap(self) -> dict[str, Any]:
        return {"id": self.imap_id, "type": "IMAP", "details": {
            "email": self.imap_email, "provider": self.provider, "login": self.imap_email,
            "server": self.imap_server, "port": self.imap_port, "private": False,
        }}


@dataclass
class Batch:
    id: int
    entries: list[dict[str, Any]]
    polls_left: int
    finished: bool = False
    connected: list[str] = field(default_factory=list)
    conditional: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        pending = 0 if self.finished else len(self.entries)
        return {
            "processing_finished": self.finished,
            "batch_size": len(self.entries),
            "pending_mailboxes_count": pending,
            "connected_mailboxes_count": len(self.connected),
            "conditionally_connected_mailboxes_count": len(self.conditional),
            "failed_mailboxes_count": len(self.failed),
            "conditionally_connected_mailboxes": list(self.conditional),
            "failed_mailboxes": list(self.failed),
        }


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # below /rest, e.g. /v2/mailboxes
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]


class WoodpeckerError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status, self.body = status, body


def problem(status: int, details: str) -> WoodpeckerError:
    """The v2 problem body {title, status, details, timestamp}."""
    return WoodpeckerError(status, {"title": HTTPStatus(status).phrase, "status": status, "details": details,
                                    "timestamp": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")})


def bulk_error(status: int, code: str, details: list[str]) -> WoodpeckerError:
    """The manual-connection endpoint's {code, details: [..]}."""
    return WoodpeckerError(status, {"code": code, "details": details})


class Emulator(loopback_http.LoopbackEmulator):
    protocol_version = "HTTP/1.1"

    def __init__(self, api_key: str = "wp-emulated-key-7f3a9c") -> None:
        self.api_key = api_key
        self.lock = threading.RLock()
        self.processing = threading.Lock()  # Woodpecker processes one request at a time
        self.queue_limit = 6
        self.queue_seconds = 15.0
        self._waiting = 0
        self._server: ThreadingHTTPServer | None = None
        self._clear()

    def _clear(self) -> None:
        self.mailboxes: dict[str, Mailbox] = {}  # by address, lower case
        self.batches: dict[int, Batch] = {}
        self.calls: list[Call] = []
        self.taken: set[str] = set()
        self.refuse: dict[str, str] = {}
        self.conditional: set[str] = set()
        self.slots: int | None = None
        self.page_size: int | None = None
        self.connect_polls = 0
        self.me = {"id": 51234, "email": "owner@piedpiper.com", "company": "Pied Piper"}
        self._faults: list[tuple[int, float | None, Any]] = []
        self._ids = itertools.count(456789, 2)
        self._batch_ids = itertools.count(90001)

    # ------------------------------------------------------------------ control

    @property
    def url(self) -> str:
        return self.origin + BASE_PATH

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        self._handle(request, request.command)

    def reset(self) -> None:
        """A fresh account, on the same port."""
        with self.lock:
            self._clear()
            self.queue_limit, self.queue_seconds = 6, 15.0

    def fail_next(self, status: int, retry_after: float | None = None, times: int = 1, body: Any = None) -> None:
        """The next `times` calls answer `status` (429, 500, 503 ...) with the v2 problem body, or
        with `body` (204: none)."""
        with self.lock:
            self._faults.extend([(status, retry_after, body)] * times)

    def add_mailbox(self, email: str, *, smtp_id: int | None = None, password: str = "existing-secret", **fields: Any) -> Mailbox:
        """An email account already in the account (connected before, in the app); `fields` are
        Mailbox's (server, port, from_name, in_slot ...)."""
        with self.lock:
            smtp_id = smtp_id if smtp_id is not None else next(self._ids)
            domain = email.split("@")[-1]
            values: dict[str, Any] = {"login": email, "server": f"smtp.{domain}", "port": 465, "imap_email": email,
                                      "imap_password": password, "imap_server": f"imap.{domain}", "imap_port": 993,
                                      "imap_id": smtp_id + 1, **fields}
            mailbox = Mailbox(smtp_id=smtp_id, email=email, password=password, **values)
            self.mailboxes[email.lower()] = mailbox
            return mailbox

    def finish_batches(self) -> None:
        """Woodpecker's background connection ends for every batch still in progress."""
        with self.lock:
            for batch in self.batches.values():
                self._finish(batch)

    def paths(self, method: str | None = None) -> list[str]:
        with self.lock:
            return [call.path for call in self.calls if method is None or call.method == method]

    def listing(self) -> list[dict[str, Any]]:
        """GET /v2/mailboxes as documented: every SMTP with its IMAP after it, by id."""
        with self.lock:
            entries: list[dict[str, Any]] = []
            for mailbox in sorted(self.mailboxes.values(), key=lambda m: m.smtp_id):
                entries += [mailbox.smtp(), mailbox.imap()]
            return entries

    # ------------------------------------------------------------------ HTTP

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        parts = urlsplit(request.path)
        with self.lock:
            fault = self._faults.pop(0) if self._faults else None
            dropped = self._waiting >= self.queue_limit
            if not dropped:
                self._waiting += 1
        if dropped:
            self._send(request, problem(429, "Too many requests: one request is processed at a time and at most "
                                             f"{self.queue_limit} may wait").body, 429)
            return
        acquired = self.processing.acquire(timeout=self.queue_seconds)
        with self.lock:
            self._waiting -= 1
        if not acquired:
            self._send(request, problem(429, f"The request waited {self.queue_seconds:g} s and was dropped").body, 429)
            return
        try:
            path = parts.path[len(BASE_PATH):] if parts.path.startswith(BASE_PATH + "/") else parts.path
            try:
                body = json.loads(raw) if raw.strip() else None
            except ValueError:
                body = ValueError
            with self.lock:
                self.calls.append(Call(method, path, parse_qs(parts.query), None if body is ValueError else body,
                                       {k.lower(): v for k, v in request.headers.items()}))
            if fault is not None:
                status, retry_after, answer = fault
                headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
                if answer is None and status != 204:
                    answer = problem(status, "Injected failure").body
                self._send(request, answer, status, headers)
                return
            try:
                if not parts.path.startswith(BASE_PATH + "/"):
                    raise problem(404, f"No endpoint {parts.path}")
                if request.headers.get("x-api-key") != self.api_key:
                    raise problem(401, "Invalid or missing API key")
                if body is ValueError:
                    raise problem(400, "Malformed JSON request body")
                status, answer = self._route(method, path, parse_qs(parts.query), body)
            except WoodpeckerError as exc:
                self._send(request, exc.body, exc.status)
                return
            self._send(request, answer, status)
        finally:
            self.processing.release()

    def _send(self, request: BaseHTTPRequestHandler, body: Any, status: int, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        request.send_response(status)
        if data:
            request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        with self.lock:
            if path == "/v1/me" and method == "GET":
                return 200, dict(self.me)
            if path == "/v2/mailboxes" and method == "GET":
                return 200, self._list(query)
            if path == "/v2/mailboxes/manual_connection/bulk" and method == "POST":
                return 202, {"batch_id": self._submit(body)}
            summary = re.fullmatch(r"/v2/mailboxes/manual_connection/bulk/([^/]+)/summary", path)
            if summary and method == "GET":
                return 200, self._summary(summary.group(1))
            one = re.fullmatch(r"/v2/mailboxes/([^/]+)", path)
            if one and method == "GET":
                return 200, self._one(one.group(1))
            if one and method == "PATCH":
                return 200, self._patch(one.group(1), body)
            if one or path in ("/v2/mailboxes", "/v2/mailboxes/manual_connection/bulk"):
                raise problem(405, f"Request method '{method}' is not supported")
            raise problem(404, f"No endpoint {method} {path}")

    # ------------------------------------------------------------------ endpoints

    def _list(self, query: dict[str, list[str]]) -> Any:
        entries = self.listing()
        if self.page_size is None:
            return entries
        raw = (query.get("page") or ["0"])[0]
        if not raw.isdigit():
            raise problem(400, "page must be a number counted from 0")
        page, size = int(raw), self.page_size
        total_pages = max(1, -(-len(entries) // size))
        return {"content": entries[page * size:(page + 1) * size], "pagination_data": {
            "total_elements": len(entries), "total_pages": total_pages, "current_page_number": page + 1, "page_size": size}}

    def _one(self, raw_id: str) -> dict[str, Any]:
        for mailbox in self.mailboxes.values():
            if str(mailbox.smtp_id) == raw_id:
                return mailbox.smtp()
            if str(mailbox.imap_id) == raw_id:
                return mailbox.imap()
        raise problem(404, f"Mailbox {raw_id} not found")

    def _patch(self, raw_id: str, body: Any) -> None:
        """update-mailbox: only the footer of an SMTP account can be changed."""
        if not isinstance(body, dict) or "footer" not in body or not isinstance(body["footer"], (str, type(None))):
            raise problem(400, "footer must be provided: HTML, or null or an empty string to remove it")
        for mailbox in self.mailboxes.values():
            if str(mailbox.smtp_id) == raw_id:
                mailbox.signature = body["footer"] or ""
                return None
        raise problem(404, f"SMTP mailbox {raw_id} not found")

    def _submit(self, body: Any) -> int:
        if not isinstance(body, dict):
            raise bulk_error(400, "BAD_REQUEST", ["The request body must be an object with mailboxes"])
        problems: list[str] = []
        for key in set(body) - {"mailboxes", "completion_notification_types"}:
            problems.append(f"{key}: unknown field")
        mailboxes = body.get("mailboxes")
        if not isinstance(mailboxes, list) or not mailboxes:
            problems.append("mailboxes: must be provided and contain at least one mailbox")
            mailboxes = []
        elif len(mailboxes) > MAX_BATCH:
            problems.append(f"mailboxes: up to {MAX_BATCH} mailboxes can be connected in a single request")
        notifications = body.get("completion_notification_types")
        if notifications is not None and (not isinstance(notifications, list) or not set(notifications) <= NOTIFICATION_TYPES):
            problems.append("completion_notification_types: possible values are MAIL and IN_APP")
        seen: set[str] = set()
        for index, entry in enumerate(mailboxes):
            problems += _mailbox_problems(f"mailboxes[{index}]", entry)
            email = str(entry.get("smtp_email") or "").lower() if isinstance(entry, dict) else ""
            if email and email in seen:
                problems.append(f"mailboxes[{index}].smtp_email: {email} appears more than once in the batch")
            seen.add(email)
        if problems:
            raise bulk_error(400, "BAD_REQUEST", sorted(problems))
        conflicts = []
        pending = {str(e.get("smtp_email")).lower() for b in self.batches.values() if not b.finished for e in b.entries}
        for entry in mailboxes:
            email = str(entry["smtp_email"]).lower()
            if email in self.taken:
                conflicts.append(f"Mailbox {entry['smtp_email']} is already connected to another Woodpecker account")
            elif email in self.mailboxes or email in pending:
                conflicts.append(f"Mailbox {entry['smtp_email']} is already connected to this account")
        if conflicts:
            raise bulk_error(409, "CONFLICT", conflicts)
        batch = Batch(id=next(self._batch_ids), entries=[dict(entry) for entry in mailboxes], polls_left=self.connect_polls)
        self.batches[batch.id] = batch
        return batch.id

    def _summary(self, raw_id: str) -> dict[str, Any]:
        batch = self.batches.get(int(raw_id)) if raw_id.isdigit() else None
        if batch is None:
            raise problem(404, f"Batch {raw_id} not found")
        if not batch.finished:
            if batch.polls_left > 0:
                batch.polls_left -= 1
            else:
                self._finish(batch)
        return batch.summary()

    def _finish(self, batch: Batch) -> None:
        if batch.finished:
            return
        for entry in batch.entries:
            email = str(entry["smtp_email"])
            if email.lower() in self.refuse:
                batch.failed.append({"email": email, "error_message": self.refuse[email.lower()]})
                continue
            smtp_id = next(self._ids)
            in_use = sum(1 for m in self.mailboxes.values() if m.in_slot)
            wait_from, wait_to = entry.get("sending_wait_time_from"), entry.get("sending_wait_time_to")
            mailbox = Mailbox(
                smtp_id=smtp_id, imap_id=smtp_id + 1, email=email, login=entry.get("smtp_login") or email,
                password=entry["smtp_password"], server=entry["smtp_server"], port=entry["smtp_port"],
                imap_email=entry["imap_email"], imap_password=entry["imap_password"], imap_server=entry["imap_server"],
                imap_port=entry["imap_port"], from_name=entry.get("smtp_from_name"),
                daily_limit=entry.get("daily_sending_limit", DEFAULT_DAILY_LIMIT),
                frequency_from=wait_from * 1000 if wait_from else DEFAULT_FREQUENCY_MS[0],
                frequency_to=wait_to * 1000 if wait_to else DEFAULT_FREQUENCY_MS[1],
                signature=entry.get("footer") or "", bcc=entry.get("bcc") or "",
                open_url=entry.get("open_tracking_domain") or "", click_url=entry.get("click_tracking_domain") or "",
                unsubscribe_url=entry.get("unsubscribe_tracking_domain") or "",
                in_slot=self.slots is None or in_use < self.slots,
                error=CONDITIONAL if email.lower() in self.conditional else None,
            )
            self.mailboxes[email.lower()] = mailbox
            if mailbox.error:
                batch.conditional.append({"email": email, "error_message": mailbox.error})
            else:
                batch.connected.append(email)
        batch.finished = True


def _mailbox_problems(where: str, entry: Any) -> list[str]:
    """The documented requirements of one mailbox of a manual connection."""
    if not isinstance(entry, dict):
        return [f"{where}: must be an object"]
    found: list[str] = [f"{where}.{key}: unknown field" for key in set(entry) - DOCUMENTED_FIELDS]

    def string(key: str, *, required: bool) -> str | None:
        value = entry.get(key)
        if value is None:
            if required:
                found.append(f"{where}.{key}: must be provided and not blank")
            return None
        if not isinstance(value, str) or not value.strip():
            found.append(f"{where}.{key}: must not be blank" if not required else f"{where}.{key}: must be provided and not blank")
            return None
        return value

    def integer(key: str, low: int, high: int, *, required: bool) -> int | None:
        value = entry.get(key)
        if value is None:
            if required:
                found.append(f"{where}.{key}: must be provided and in range <{low}; {high}>")
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            found.append(f"{where}.{key}: must be {'provided and ' if required else ''}in range <{low}; {high}>")
            return None
        return value

    for key in ("smtp_email", "imap_email"):
        value = entry.get(key)
        if not isinstance(value, str) or not EMAIL.match(value):
            found.append(f"{where}.{key}: must be provided and a valid email address")
    string("smtp_login", required=False)
    string("smtp_password", required=True)
    string("smtp_server", required=True)
    integer("smtp_port", 1, 65535, required=True)
    string("smtp_from_name", required=False)
    string("imap_password", required=True)
    string("imap_server", required=True)
    integer("imap_port", 1, 65535, required=True)
    string("footer", required=False)
    bcc = entry.get("bcc")
    if bcc is not None and (not isinstance(bcc, str) or not EMAIL.match(bcc)):
        found.append(f"{where}.bcc: must be a valid email address")
    for key in ("open_tracking_domain", "click_tracking_domain", "unsubscribe_tracking_domain"):
        value = entry.get(key)
        if value is not None and (not isinstance(value, str) or not DOMAIN.match(value)):
            found.append(f"{where}.{key}: must be a valid domain")
    wait_from = integer("sending_wait_time_from", 10, 9999, required=False)
    wait_to = integer("sending_wait_time_to", 20, 9999, required=False)
    if wait_from is not None and wait_to is not None and not wait_from < wait_to:
        found.append(f"{where}.sending_wait_time_from: must be smaller than sending_wait_time_to")
    integer("daily_sending_limit", 1, 5500, required=False)
    return found
