"""What Mailwright needs from a sending platform (Instantly, Smartlead, Woodpecker): check a
customer's API key, find an email account by address, add one with a mailbox's SMTP/IMAP
credentials, remove one. Adapters implement `SendingPlatform`, each in its own module beside this
one, and raise only the typed errors of providers/base.py (RetriableError: try again later;
TerminalError: refused, with the platform's own words; NeedsActionError: the customer must act,
e.g. a wrong key).

The platform's base URL is given by the customer, so every call goes out through the outbound
guard (mailwright.net.outbound: public addresses only unless MAILWRIGHT_OUTBOUND_ALLOW_PRIVATE,
connections made to the checked address, one deadline, a capped body): `PlatformHttp`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import urlencode

from mailwright.net import outbound
from mailwright.net.outbound import OutboundFailed, OutboundPolicy, OutboundRefused
from mailwright.providers.base import ProviderUnavailable, RetriableError, TerminalError
from mailwright.validation import ascii_digits

TIMEOUT_SECONDS = 30.0
MAX_ANSWER_BYTES = 4 * 1024 * 1024
Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]


@dataclass(frozen=True)
class AccountToExport:
    """One live mailbox as a platform's email account."""

    email: str
    first_name: str
    last_name: str
    password: str
    smtp_host: str
    smtp_port: int
    imap_host: str
    imap_port: int
    # The operator's defaults (MAILWRIGHT_EXPORT_*): sends a day, and whether warm-up starts.
    daily_limit: int = 30
    warmup: bool = True

    @property
    def from_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class RemoteAccount:
    remote_id: str  # the platform's own id of the email account
    email: str


class SendingPlatform(Protocol):
    platform: str  # INSTANTLY, SMARTLEAD or WOODPECKER

    def probe(self) -> str:
        """The cheapest call that needs the API key; one sentence on what it confirmed. A key the
        platform refuses: NeedsActionError saying so (the API answers 400 naming apiKey)."""
        ...

    def find_account(self, email: str) -> RemoteAccount | None: ...

    def create_account(self, account: AccountToExport) -> RemoteAccount:
        """Add the email account (callers look first: find_account). A refusal (plan limit, an
        address another workspace holds, credentials the platform could not sign in with) is a
        TerminalError with the platform's own message."""
        ...

    def delete_account(self, email: str) -> None:
        """Remove it; one already gone is not an error."""
        ...


@dataclass(frozen=True)
class PlatformAnswer:
    status_code: int
    body: Any  # parsed JSON, or the text when it is not JSON
    headers: dict[str, str]


class PlatformHttp:
    """A platform's API at a customer-given base URL, through the outbound guard. 429 and 5xx are
    RetriableError (with the platform's Retry-After); no answer is ProviderUnavailable; an address
    the guard refuses is a TerminalError. Other answers are returned for the adapter to read.
    Errors name the platform, the method and the path, never the query or headers (keys)."""

    def __init__(self, platform: str, base_url: str, policy: OutboundPolicy, *, headers: dict[str, str] | None = None) -> None:
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self.policy = policy
        self.headers = headers or {}

    def request(
        self, method: Method, path: str, *, params: dict[str, Any] | None = None, json_body: Any = None, headers: dict[str, str] | None = None
    ) -> PlatformAnswer:
        where = f"{self.platform} {method} /{path.lstrip('/')}"
        url = f"{self.base_url}/{path.lstrip('/')}" + (f"?{urlencode(params, doseq=True)}" if params else "")
        sent = {"accept": "application/json", **self.headers, **(headers or {})}
        content = None
        if json_body is not None:
            content = json.dumps(json_body).encode()
            sent["content-type"] = "application/json"
        try:
            answer = outbound.request(
                method, url, policy=self.policy, timeout=TIMEOUT_SECONDS, max_bytes=MAX_ANSWER_BYTES,
                schemes=("https", "http"), headers=sent, content=content,
            )
        except OutboundRefused as exc:
            raise TerminalError(f"{where}: {exc}") from exc
        except OutboundFailed as exc:
            raise ProviderUnavailable(f"{where}: cannot be reached ({exc})") from exc
        retry_after = _retry_after(answer.headers.get("retry-after"))
        if answer.status_code == 429:
            raise RetriableError(f"{where}: rate limited (429)", retry_after=retry_after)
        if answer.status_code >= 500:
            raise RetriableError(f"{where}: the platform failed ({answer.status_code})", retry_after=retry_after)
        return PlatformAnswer(answer.status_code, _parsed(answer.body), dict(answer.headers))


def _parsed(body: bytes) -> Any:
    text = body.decode("utf-8", errors="replace")
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        return text


def _retry_after(value: str | None) -> float | None:
    value = (value or "").strip()
    return min(float(value), 3600.0) if ascii_digits(value) else None
