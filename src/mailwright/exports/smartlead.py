"""Smartlead as a sending platform (platform "SMARTLEAD"), through its public API v1
(https://api.smartlead.ai/reference; the reference pages followed, at
https://api.smartlead.ai/api-reference/...):

- Authentication (https://api.smartlead.ai/authentication): the API key is the `api_key` QUERY
  parameter of every call to https://server.smartlead.ai/api/v1; a missing or wrong key answers
  401 (`{"message": "Invalid API Key"}` in the Get All Email Accounts page's example; the
  authentication page shows `{"success": false, "error": {"code": "UNAUTHORIZED", "message":
  ...}}`).
- Get All Email Accounts (email-accounts/get-all): `GET /email-accounts/` with `offset` (from 0)
  and `limit` (1 to 100), and the filter `username` ("partial match supported"); the answer is a
  JSON array of accounts (`id`, `from_email`, `from_name`, `username`, ...). 422 with `{"error":
  ...}` for parameters out of range.
- Get Email Account by ID (email-accounts/get-by-id): `GET /email-accounts/{id}/`.
- Add SMTP Email Account (email-accounts/add-smtp, and its earlier edition "Create an Email
  Account", api.smartlead.ai/reference/create-an-email-account): `POST /email-accounts/save`
  creates (with `"id": null`) or updates an account. Required: from_name, from_email, user_name,
  password, smtp_host, smtp_port (number), imap_host, imap_port (number), warmup_enabled
  (boolean); optional among others max_email_per_day (number) and type (GMAIL, OUTLOOK, SMTP).
  Smartlead signs in over SMTP and IMAP before it keeps the account: 400 when it cannot, 422 for
  missing or invalid fields. Success is `{"ok": true, "message", "data": {"id", ...}}` in the
  current reference and `{"ok": true, "message", "emailAccountId", "warmupKey"}` in the earlier
  one; an address already in use is 400 `{"ok": false, "message": "Email account already exist.
  Please pass id to update it", "errorCode": "ACCOUNT_ALREADY_EXIST", "emailAccountId"}`; a
  failed sign-in `errorCode` ACCOUNT_VERIFICATION_FAILED with the server's words in `error`.
- Delete Email Account (email-accounts/delete): `DELETE /email-accounts/{id}` answers `{"ok":
  true, "message": "Email account deleted successfully!", "emailAccountId"}`, 404 for an account
  that is not (or no longer) there.
- Rate limits (https://api.smartlead.ai/reference/rate-limits and /guides/rate-limits): 60
  requests per 60 seconds per API key (bursts of 10 a second), x-ratelimit-limit /
  -remaining / -reset headers, and 429 with Retry-After and `{"error": {"code":
  "RATE_LIMIT_EXCEEDED", "message", "retry_after"}}`.
- Errors (https://api.smartlead.ai/guides/error-handling): 400, 401, 403, 404, 409, 422, 429,
  500, 503; bodies carry `message` and/or `error` (a string, or an object with `message`), as
  client libraries read them (bcharleson/smartlead-cli src/core/client.ts: `message || error ||
  err`).

Choices (docs/decisions/1111-export-smartlead.md says why):
- Every call goes through PlatformHttp (the outbound guard; 429/5xx → RetriableError with
  Retry-After; no answer → ProviderUnavailable). The key travels only in the query string:
  errors name the method and the path, never the URL; anything Smartlead echoes is scrubbed of
  the key and the mailbox password; and httpx's request log lines have the key's value
  replaced, so no log carries it either.
- One place maps answers to typed errors (`_refusal`): 401/403 → NeedsActionError (the
  customer's key); another 4xx → TerminalError with Smartlead's own message; a 4xx that is not
  Smartlead's JSON, a redirect, or a 2xx of the wrong shape → NeedsActionError (the base URL is
  not Smartlead's API).
- Look before create: accounts are looked up by `from_email` (exact, case-insensitive) over
  the pages of Get All Email Accounts, narrowed with the documented `username` filter (Mailwright
  sets user_name to the address); a Smartlead that ignores the filter is read page after page
  just the same. An ACCOUNT_ALREADY_EXIST answer (an account whose username differs, or a race)
  is read back by its `emailAccountId` and returned when it is the same address; an id this
  workspace cannot read means another workspace holds the address: refused for good.
- Fields sent are the documented ones Mailwright has values for: from_name, from_email,
  user_name and password (the mailbox's address and password), smtp_host, smtp_port, imap_host,
  imap_port, max_email_per_day (the operator's daily limit), warmup_enabled, type "SMTP" and
  id null (a new account). Warm-up volumes are left to Smartlead's defaults.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

from mailwright.exports.platforms import AccountToExport, Method, PlatformAnswer, PlatformHttp, RemoteAccount
from mailwright.net.outbound import OutboundPolicy
from mailwright.providers.base import NeedsActionError, ProviderError, RetriableError, TerminalError

PLATFORM = "Smartlead"
DEFAULT_BASE_URL = "https://server.smartlead.ai/api/v1"
PAGE_SIZE = 100  # Get All Email Accounts: limit is at most 100
MAX_PAGES = 1000  # 100,000 accounts: beyond that a lookup is refused rather than run forever
ALREADY_EXISTS = "ACCOUNT_ALREADY_EXIST"
KEY_PLACE = "Smartlead's Settings → API"

# The header row of the CSV file Smartlead's bulk import of SMTP/IMAP email accounts takes
# (the import is described in Smartlead's help center, https://helpcenter.smartlead.ai). Its
# columns are the field names of POST /email-accounts/save; the same 19 columns in this order
# are reproduced verbatim by public integrations that write or read Smartlead's import file.
# docs/decisions/1111-export-smartlead.md says what could and could not be checked.
CSV_HEADER: tuple[str, ...] = (
    "from_name",
    "from_email",
    "user_name",
    "password",
    "smtp_host",
    "smtp_port",
    "imap_host",
    "imap_port",
    "max_email_per_day",
    "custom_tracking_url",
    "warmup_enabled",
    "total_warmup_per_day",
    "daily_rampup",
    "reply_rate_percentage",
    "bcc",
    "signature",
    "different_reply_to_address",
    "imap_user_name",
    "imap_password",
)


def csv_row(account: AccountToExport) -> list[str]:
    """One mailbox as a row under CSV_HEADER. Columns Mailwright has no value for (tracking
    domain, warm-up volumes, BCC, signature, reply-to) are left empty for Smartlead's defaults;
    IMAP signs in with the same username and password as SMTP."""
    values = {
        "from_name": _from_name(account),
        "from_email": account.email,
        "user_name": account.email,
        "password": account.password,
        "smtp_host": account.smtp_host,
        "smtp_port": str(account.smtp_port),
        "imap_host": account.imap_host,
        "imap_port": str(account.imap_port),
        "max_email_per_day": str(account.daily_limit),
        "warmup_enabled": "TRUE" if account.warmup else "FALSE",
        "imap_user_name": account.email,
        "imap_password": account.password,
    }
    return [values.get(column, "") for column in CSV_HEADER]


def save_body(account: AccountToExport) -> dict[str, Any]:
    """The body of POST /email-accounts/save that adds `account` as a new SMTP/IMAP account."""
    return {
        "id": None,
        "from_name": _from_name(account),
        "from_email": account.email,
        "user_name": account.email,
        "password": account.password,
        "smtp_host": account.smtp_host,
        "smtp_port": int(account.smtp_port),
        "imap_host": account.imap_host,
        "imap_port": int(account.imap_port),
        "max_email_per_day": int(account.daily_limit),
        "warmup_enabled": bool(account.warmup),
        "type": "SMTP",
    }


def _from_name(account: AccountToExport) -> str:
    return account.from_name or account.email.split("@", 1)[0]


class SmartleadPlatform:
    """A customer's Smartlead workspace, reached with its API key."""

    platform = "SMARTLEAD"

    def __init__(self, api_key: str, base_url: str | None, policy: OutboundPolicy) -> None:
        self._api_key = api_key
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.http = PlatformHttp(PLATFORM, self.base_url, policy)
        _hide_api_keys_in_http_logs()

    # ------------------------------------------------------------------ SendingPlatform

    def probe(self) -> str:
        self._accounts_page(offset=0, limit=1)
        return "API key accepted by Smartlead; its email accounts can be read"

    def find_account(self, email: str) -> RemoteAccount | None:
        wanted = _normal(email)
        seen: set[str] = set()
        for page in range(MAX_PAGES):
            accounts = self._accounts_page(offset=page * PAGE_SIZE, limit=PAGE_SIZE, username=email.strip())
            fresh = 0
            for entry in accounts:
                remote_id = str(entry.get("id", ""))
                if remote_id and remote_id not in seen:
                    seen.add(remote_id)
                    fresh += 1
                if remote_id and _normal(entry.get("from_email")) == wanted:
                    return RemoteAccount(remote_id, str(entry.get("from_email")))
            if len(accounts) < PAGE_SIZE or fresh == 0:  # the last page, or one that repeats itself
                return None
        raise TerminalError(
            f"{PLATFORM}: more than {MAX_PAGES * PAGE_SIZE} email accounts match {email}; "
            "look it up in Smartlead's app"
        )

    def create_account(self, account: AccountToExport) -> RemoteAccount:
        existing = self.find_account(account.email)
        if existing is not None:
            return existing
        where = f"{PLATFORM} POST /email-accounts/save"
        answer = self._call("POST", "email-accounts/save", json_body=save_body(account), secrets=(account.password,))
        body = answer.body
        if 200 <= answer.status_code < 300:
            remote_id = saved_id(body)
            if remote_id is None:
                found = self.find_account(account.email)
                if found is None:
                    raise NeedsActionError(f"{where}: a success answer without the account's id: check the base URL")
                return found
            return RemoteAccount(remote_id, account.email)
        if isinstance(body, dict) and (body.get("errorCode") == ALREADY_EXISTS or "already exist" in _message(body).lower()):
            return self._the_duplicate(account, body, where)
        raise self._refusal(where, answer, secrets=(account.password,))

    def delete_account(self, email: str) -> None:
        found = self.find_account(email)
        if found is None:
            return
        path = f"email-accounts/{quote(found.remote_id, safe='')}"
        answer = self._call("DELETE", path)
        if 200 <= answer.status_code < 300 or answer.status_code == 404:  # 404: gone meanwhile
            return
        raise self._refusal(f"{PLATFORM} DELETE /email-accounts/{{id}}", answer)

    # ------------------------------------------------------------------ calls

    def _accounts_page(self, *, offset: int, limit: int, username: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if username:
            params["username"] = username
        answer = self._call("GET", "email-accounts/", params=params)
        where = f"{PLATFORM} GET /email-accounts/"
        if answer.status_code == 404:  # the list always exists at Smartlead's API
            raise NeedsActionError(f"{where}: HTTP 404: check the base URL ({DEFAULT_BASE_URL} unless you use another)")
        if not 200 <= answer.status_code < 300:
            raise self._refusal(where, answer)
        accounts = accounts_of(answer.body)
        if accounts is None:
            raise NeedsActionError(
                f"{where}: an answer that is not Smartlead's list of email accounts: check the base URL "
                f"({DEFAULT_BASE_URL} unless you use another)"
            )
        return accounts

    def _the_duplicate(self, account: AccountToExport, body: dict[str, Any], where: str) -> RemoteAccount:
        """Smartlead says the address is already an email account: the one it names, if this
        workspace can read it and it is the same address; refused otherwise."""
        said = self._scrub(_message(body), (account.password,))
        named = body.get("emailAccountId")
        if named is None:
            found = self.find_account(account.email)
            if found is not None:
                return found
            raise TerminalError(f"{where}: Smartlead refused: {said}; no email account of this workspace has that address")
        remote_id = str(named)
        answer = self._call("GET", f"email-accounts/{quote(remote_id, safe='')}/")
        if answer.status_code == 404:
            raise TerminalError(
                f"{where}: Smartlead refused: {said}; the account it names is not in this workspace "
                "(another Smartlead workspace holds the address)"
            )
        if not 200 <= answer.status_code < 300:
            raise self._refusal(f"{PLATFORM} GET /email-accounts/{{id}}/", answer)
        held = answer.body.get("from_email") if isinstance(answer.body, dict) else None
        if _normal(held) != _normal(account.email):
            raise TerminalError(f"{where}: Smartlead refused: {said}; the account it names has another address")
        return RemoteAccount(remote_id, str(held))

    def _call(
        self, method: Method, path: str, *, params: dict[str, Any] | None = None, json_body: Any = None,
        secrets: tuple[str, ...] = (),
    ) -> PlatformAnswer:
        try:
            return self.http.request(method, path, params={"api_key": self._api_key, **(params or {})}, json_body=json_body)
        except ProviderError as exc:
            text = str(exc)
            clean = self._scrub(text, secrets)
            if clean == text:
                raise
            retry_after = exc.retry_after if isinstance(exc, RetriableError) else None
            replacement = type(exc)(clean, retry_after) if isinstance(exc, RetriableError) else type(exc)(clean)
            raise replacement from None

    # ------------------------------------------------------------------ the one mapping of refusals

    def _refusal(self, where: str, answer: PlatformAnswer, *, secrets: tuple[str, ...] = ()) -> ProviderError:
        status = answer.status_code
        said = self._scrub(_message(answer.body), secrets)
        if status in (401, 403):
            return NeedsActionError(
                f"{where}: Smartlead refused the API key (HTTP {status}: {said or 'no reason given'}); "
                f"check the key in {KEY_PLACE}"
            )
        if 400 <= status < 500 and not isinstance(answer.body, (dict, list)):
            return NeedsActionError(
                f"{where}: HTTP {status} without Smartlead's JSON answer: check the base URL "
                f"({DEFAULT_BASE_URL} unless you use another)"
            )
        if 400 <= status < 500:
            return TerminalError(f"{where}: Smartlead refused (HTTP {status}): {said or 'no reason given'}")
        return NeedsActionError(
            f"{where}: unexpected HTTP {status} from the platform: check the base URL ({DEFAULT_BASE_URL} unless you use another)"
        )

    def _scrub(self, text: str, secrets: tuple[str, ...] = ()) -> str:
        for secret in (self._api_key, *secrets):
            if secret:
                text = text.replace(secret, "[redacted]")
        return text[:400]


# ------------------------------------------------------------------ reading Smartlead's bodies


def accounts_of(body: Any) -> list[dict[str, Any]] | None:
    """The accounts of a Get All Email Accounts answer: the documented array (or an object
    holding it under `data`, as some client libraries also accept); None for anything else."""
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        body = body["data"]
    if not isinstance(body, list):
        return None
    return [entry for entry in body if isinstance(entry, dict)]


def saved_id(body: Any) -> str | None:
    """The account id in a save answer: `data.id` (current reference) or `emailAccountId`
    (the earlier edition)."""
    if not isinstance(body, dict):
        return None
    data = body.get("data")
    for value in ((data or {}).get("id") if isinstance(data, dict) else None, body.get("emailAccountId"), body.get("id")):
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


def _message(body: Any) -> str:
    """Smartlead's own words in an answer: `message`, then `error` (a string, or an object with
    `message` and `code`), then `err`, and the `errorCode`."""
    if isinstance(body, str):
        return " ".join(body.split())[:200]
    if not isinstance(body, dict):
        return ""
    parts: list[str] = []
    codes: list[str] = []
    for key in ("message", "error", "err"):
        value = body.get(key)
        if isinstance(value, dict):
            if isinstance(value.get("code"), str):
                codes.append(value["code"])
            value = value.get("message")
        if isinstance(value, str) and value.strip() and value.strip() not in parts:
            parts.append(value.strip())
    if isinstance(body.get("errorCode"), str):
        codes.insert(0, body["errorCode"])
    text = ": ".join(parts)
    code = next((c for c in codes if c and c not in text), None)
    return f"{text} ({code})" if text and code else (text or code or "")


def _normal(email: Any) -> str:
    return str(email or "").strip().lower()


# ------------------------------------------------------------------ logs

_KEY_IN_URL = re.compile(r"(api_key=)[^&#\s\"'>]*", re.IGNORECASE)


class _HideApiKeys(logging.Filter):
    """httpx logs each request's URL at INFO ("HTTP Request: GET https://...?api_key=..."):
    the key's value is replaced before any handler sees the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "api_key=" in record.msg.lower():
            record.msg = _KEY_IN_URL.sub(r"\1[redacted]", record.msg)
        if isinstance(record.args, tuple) and any("api_key=" in str(arg).lower() for arg in record.args):
            record.args = tuple(
                _KEY_IN_URL.sub(r"\1[redacted]", str(arg)) if "api_key=" in str(arg).lower() else arg for arg in record.args
            )
        return True


def _hide_api_keys_in_http_logs() -> None:
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if not any(isinstance(existing, _HideApiKeys) for existing in logger.filters):
            logger.addFilter(_HideApiKeys())
