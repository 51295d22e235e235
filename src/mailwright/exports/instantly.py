"""Instantly as a sending platform (platform "INSTANTLY"), through its API v2: the introduction
https://developer.instantly.ai/api-reference/introduction, the Account pages of the API
reference (create, get, list, delete account; enable and disable warmup) and the OpenAPI
document they render, https://api.instantly.ai/openapi/api_v2.json, and the rate-limit page
https://developer.instantly.ai/getting-started/rate-limit.

What the API is, as documented: `https://api.instantly.ai/api/v2/...`, JSON both ways, every call
authenticated by the workspace's API key as `Authorization: Bearer <key>`. An email account is
named by its address (it has no other id). Errors are `{"statusCode", "error", "message"}`: 400
an invalid body ("body must have required property 'name'"), 401 a missing, invalid or revoked
key, 402 a workspace without an active paid plan, 404 not found, 429 over the rate limit, which
applies to the whole workspace (all its keys, API v1 and v2 together): 100 requests a second and
6,000 a minute. The calls used here:

- `probe()`: `GET /api/v2/accounts?limit=1`, the cheapest call that needs the key and the very
  permission an export needs (reading the workspace's email accounts; `GET /api/v2/workspaces/
  current` would need a workspace scope an export key has no use for).
- `find_account()`: `GET /api/v2/accounts/{email}` (404: not in this workspace).
- `create_account()`: looks first (`find_account`), then `POST /api/v2/accounts` with the fields
  of `CreateAccount` an SMTP/IMAP mailbox fills (`account_body`): provider_code 1 (Custom
  IMAP/SMTP), the address as IMAP and SMTP username, the mailbox password for both, hosts and
  ports as numbers, first and last name, daily_limit. Warm-up is not a field of that body: the
  answer's `warmup_status` says whether the new account warms up, and when it is not what the
  operator chose, `POST /api/v2/accounts/warmup/enable` (or `/disable`) `{"emails": [email]}`
  switches it (a background job Instantly runs; not polled). A create Instantly refuses is
  looked up again: the same address now in the workspace (a duplicate, e.g. a racing export) is
  returned; otherwise the refusal stands with Instantly's own message.
- `delete_account()`: `DELETE /api/v2/accounts/{email}`; 404 means gone already.

Errors are mapped in one place (`_refusal`): 401 and 403 need the customer to give a key that
works (NeedsActionError); 402 is a refusal for good (TerminalError with Instantly's message),
and at probe time something the customer must fix (NeedsActionError); other 4xx are refusals
with Instantly's message; 429, 5xx and no answer are retried (PlatformHttp). The key travels only
in the Authorization header, passwords only in the create body; Instantly's messages are shown
with any key or password they might echo blotted out."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from mailwright import __version__
from mailwright.exports.platforms import AccountToExport, Method, PlatformAnswer, PlatformHttp, RemoteAccount
from mailwright.net.outbound import OutboundPolicy
from mailwright.providers.base import NeedsActionError, ProviderError, RetriableError, TerminalError

PLATFORM = "INSTANTLY"
NAME = "Instantly"
DEFAULT_BASE_URL = "https://api.instantly.ai"
API = "/api/v2"
PROVIDER_CODE_CUSTOM_IMAP_SMTP = 1  # CreateAccount.provider_code: 1 Custom IMAP/SMTP
WARMUP_ACTIVE = 1  # Account.warmup_status: 0 paused, 1 active (negative: banned, suspended ...)
KEY_ADVICE = (
    "create an API key in Instantly (Settings → Integrations → API Keys) with the accounts:all "
    "scope, or all:all, and enter it again"
)
MAX_MESSAGE = 300

# The header row of Instantly's bulk import of custom SMTP/IMAP email accounts from a CSV file
# (Instantly help center, "Bulk upload email accounts via CSV": Email Accounts → Add New → Any
# Provider (IMAP/SMTP) → bulk import from CSV, and the sample CSV it offers; the same header row,
# in this order, is what mailbox vendors' "Instantly" exports carry, e.g. Winnr's, Primeforge's
# and Maildoso's). The first eleven columns are required; Daily Limit and the Warmup columns are
# optional and a blank cell keeps Instantly's default.
CSV_HEADER: tuple[str, ...] = (
    "Email",
    "First Name",
    "Last Name",
    "IMAP Username",
    "IMAP Password",
    "IMAP Host",
    "IMAP Port",
    "SMTP Username",
    "SMTP Password",
    "SMTP Host",
    "SMTP Port",
    "Daily Limit",
    "Warmup Enabled",
    "Warmup Limit",
    "Warmup Increment",
)


def csv_row(account: AccountToExport) -> list[str]:
    """One mailbox as a row under CSV_HEADER: the address as IMAP and SMTP username, the mailbox
    password for both, the operator's daily limit and warm-up choice; warm-up limit and increment
    left to Instantly's defaults (Mailwright has no setting for them)."""
    return [
        account.email,
        account.first_name,
        account.last_name,
        account.email,
        account.password,
        account.imap_host,
        str(account.imap_port),
        account.email,
        account.password,
        account.smtp_host,
        str(account.smtp_port),
        str(account.daily_limit),
        "TRUE" if account.warmup else "FALSE",
        "",
        "",
    ]


def account_body(account: AccountToExport) -> dict[str, Any]:
    """The `CreateAccount` body of a custom SMTP/IMAP mailbox: exactly the documented names, ports
    and limit as JSON numbers."""
    return {
        "email": account.email,
        "first_name": account.first_name,
        "last_name": account.last_name,
        "provider_code": PROVIDER_CODE_CUSTOM_IMAP_SMTP,
        "imap_username": account.email,
        "imap_password": account.password,
        "imap_host": account.imap_host,
        "imap_port": int(account.imap_port),
        "smtp_username": account.email,
        "smtp_password": account.password,
        "smtp_host": account.smtp_host,
        "smtp_port": int(account.smtp_port),
        "daily_limit": int(account.daily_limit),
    }


class InstantlyPlatform:
    """The SendingPlatform of an Instantly workspace, named by one of its API keys."""

    platform = PLATFORM

    def __init__(self, api_key: str, base_url: str | None, policy: OutboundPolicy) -> None:
        self._api_key = api_key.strip()
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        headers = {"authorization": f"Bearer {self._api_key}", "user-agent": f"Mailwright/{__version__}"}
        self.http = PlatformHttp(NAME, self.base_url, policy, headers=headers)

    # ------------------------------------------------------------------ SendingPlatform

    def probe(self) -> str:
        answer, where = self._call("GET", f"{API}/accounts", params={"limit": 1})
        if not _ok(answer):
            raise self._refusal(answer, where, probe=True)
        if not isinstance(answer.body, dict) or not isinstance(answer.body.get("items"), list):
            raise self._not_instantly(answer, where)
        return "API key accepted: the workspace's email accounts can be read"

    def find_account(self, email: str) -> RemoteAccount | None:
        found = self._get(email)
        return None if found is None else _remote(found, email)

    def create_account(self, account: AccountToExport) -> RemoteAccount:
        existing = self._get(account.email)
        if existing is not None:  # there already (an earlier attempt, or added in Instantly): as it is
            return _remote(existing, account.email)
        secrets = (account.password,)
        answer, where = self._call("POST", f"{API}/accounts", json_body=account_body(account))
        if not _ok(answer):
            refusal = self._refusal(answer, where, secrets=secrets)
            if not isinstance(refusal, TerminalError) or answer.status_code == 402:
                raise refusal
            again = self._get(account.email)
            if again is not None:  # refused as a duplicate: the same address is in this workspace now
                return _remote(again, account.email)
            raise refusal
        created = self._account(answer, where)
        self._set_warmup(account, created)
        return _remote(created, account.email)

    def delete_account(self, email: str) -> None:
        answer, where = self._call("DELETE", self._account_path(email))
        if _ok(answer) or (answer.status_code == 404 and _is_instantly_error(answer.body)):
            return
        raise self._refusal(answer, where)

    # ------------------------------------------------------------------ calls

    def _call(self, method: Method, path: str, *, params: dict[str, Any] | None = None, json_body: Any = None) -> tuple[PlatformAnswer, str]:
        where = f"{NAME} {method} {path}"
        if not self._api_key:
            raise NeedsActionError(f"{where}: no API key; {KEY_ADVICE}")
        return self.http.request(method, path, params=params, json_body=json_body), where

    @staticmethod
    def _account_path(email: str) -> str:
        return f"{API}/accounts/{quote(email.strip(), safe='@')}"

    def _get(self, email: str) -> dict[str, Any] | None:
        """The Account of this address in the key's workspace, or None."""
        answer, where = self._call("GET", self._account_path(email))
        if answer.status_code == 404 and _is_instantly_error(answer.body):
            return None
        if not _ok(answer):
            raise self._refusal(answer, where)
        return self._account(answer, where)

    def _account(self, answer: PlatformAnswer, where: str) -> dict[str, Any]:
        if not isinstance(answer.body, dict) or not isinstance(answer.body.get("email"), str):
            raise self._not_instantly(answer, where)
        return answer.body

    def _set_warmup(self, account: AccountToExport, created: dict[str, Any]) -> None:
        """Make the new account's warm-up what the operator chose, if Instantly's default differs."""
        active = created.get("warmup_status") == WARMUP_ACTIVE
        if active == account.warmup:
            return
        switch = "enable" if account.warmup else "disable"
        try:
            answer, where = self._call("POST", f"{API}/accounts/warmup/{switch}", json_body={"emails": [created["email"]]})
            if not _ok(answer):
                raise self._refusal(answer, where)
        except ProviderError as exc:
            # The account exists now: the error says so, so that a warm-up not as chosen is explained.
            said = f"{account.email} was added to Instantly but its warm-up was not {switch}d: {exc}"
            if isinstance(exc, RetriableError):
                raise type(exc)(said, retry_after=exc.retry_after) from exc
            raise type(exc)(said) from exc

    # ------------------------------------------------------------------ errors

    def _refusal(self, answer: PlatformAnswer, where: str, *, probe: bool = False, secrets: tuple[str, ...] = ()) -> ProviderError:
        """The one mapping of Instantly's error answers to typed errors."""
        status = answer.status_code
        if not _is_instantly_error(answer.body):
            return self._not_instantly(answer, where)
        message = self._words(answer.body, secrets)
        if status == 401:
            return NeedsActionError(f"{where}: Instantly refused the API key (401: {message}); {KEY_ADVICE}")
        if status == 403:
            return NeedsActionError(f"{where}: the API key may not do this (403: {message}); {KEY_ADVICE}")
        if status == 402:
            if probe:
                return NeedsActionError(f"{where}: {message} (402); the workspace needs an active paid Instantly plan")
            return TerminalError(f"{where}: Instantly refused: {message} (402)")
        if probe and status == 404:
            return self._not_instantly(answer, where)
        if 400 <= status < 500:
            return TerminalError(f"{where}: Instantly refused: {message} ({status})")
        return RetriableError(f"{where}: unexpected answer {status}: {message}")

    def _not_instantly(self, answer: PlatformAnswer, where: str) -> ProviderError:
        if 200 <= answer.status_code < 500:
            return NeedsActionError(
                f"{where}: HTTP {answer.status_code} without Instantly's API v2 answer: check the base URL "
                f"({DEFAULT_BASE_URL} unless you use another)"
            )
        return RetriableError(f"{where}: HTTP {answer.status_code} without Instantly's API v2 answer")

    def _words(self, body: dict[str, Any], secrets: tuple[str, ...]) -> str:
        """Instantly's message, never with our key or a mailbox password in it."""
        message = str(body.get("message") or body.get("error") or "no message")
        for secret in (self._api_key, *secrets):
            if secret:
                message = message.replace(secret, "[secret]")
        return message[:MAX_MESSAGE]


def _ok(answer: PlatformAnswer) -> bool:
    return 200 <= answer.status_code < 300


def _is_instantly_error(body: Any) -> bool:
    return isinstance(body, dict) and "statusCode" in body and ("message" in body or "error" in body)


def _remote(account: dict[str, Any], email: str) -> RemoteAccount:
    address = str(account.get("email") or email)
    return RemoteAccount(remote_id=address, email=address)
