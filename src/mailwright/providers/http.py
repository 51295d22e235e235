"""How adapters call a provider's HTTP API: one client per provider with a timeout, and the
answers every provider shares mapped to the typed errors of providers/base.py, so the workflow
can tell a hiccup from a refusal:

- no answer (timeout, refused connection, TLS failure): ProviderUnavailable (retried; a request
  waiting on it answers 503);
- 429 and 5xx: RetriableError carrying the provider's Retry-After (seconds or an HTTP date);
- anything else is returned for the adapter to read: each provider says "wrong key" or "no funds"
  in its own body.

Errors name the provider and the method and path, never the query string or headers, which may
carry credentials (Namecheap's ApiKey is a query parameter). httpx's own request log is kept at
WARNING (mailwright.logs) for the same reason.

An adapter is given its base URL from settings; tests point it at a loopback emulator of the
provider's public API."""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Mapping
from typing import Any

import httpx

from mailwright.providers.base import ProviderUnavailable, RetriableError
from mailwright.validation import ascii_digits

DEFAULT_TIMEOUT_SECONDS = 30.0
# A Retry-After longer than this is the provider's business, not a reason to park a step for hours.
MAX_RETRY_AFTER_SECONDS = 3600.0


class ProviderHttp:
    """A provider's API at `base_url`. `headers` go with every request (e.g. an Authorization)."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.provider = provider
        self.client = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            headers=dict(headers or {}),
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The provider's answer to `method path` (relative to the base URL); raises as the module
        docstring says for no answer, 429 and 5xx."""
        where = f"{self.provider} {method} /{path.lstrip('/').split('?')[0]}"
        try:
            response = self.client.request(method, path.lstrip("/"), **kwargs)
        except httpx.TimeoutException as exc:
            raise ProviderUnavailable(f"{where}: no answer within {self.client.timeout.read:g} s") from exc
        except httpx.TransportError as exc:
            raise ProviderUnavailable(f"{where}: cannot be reached ({type(exc).__name__})") from exc
        if response.status_code == 429:
            raise RetriableError(f"{where}: rate limited (429)", retry_after=retry_after(response))
        if response.status_code >= 500:
            raise RetriableError(f"{where}: the provider failed ({response.status_code})", retry_after=retry_after(response))
        return response

    def close(self) -> None:
        self.client.close()


def retry_after(response: httpx.Response, *, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from the Retry-After header (RFC 9110: delay-seconds or an HTTP date),
    capped at MAX_RETRY_AFTER_SECONDS; None when absent or unreadable."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if ascii_digits(value):
        return min(float(value), MAX_RETRY_AFTER_SECONDS)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    seconds = (when - (now or dt.datetime.now(dt.timezone.utc))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)
