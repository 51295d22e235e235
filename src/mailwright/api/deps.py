"""Things every face's routes need: the runtime, a JSON-object body, a body-size guard."""

from __future__ import annotations

import json
from email.message import Message
from typing import Any

from fastapi import Request

from mailwright.accounts import service as accounts
from mailwright.accounts.models import Account
from mailwright.api.errors import HttpProblem
from mailwright.api.middleware import BodyTooLarge
from mailwright.api.ratelimit import RateLimiter, client_network
from mailwright.crypto import hash_api_key
from mailwright.runtime import Runtime
from mailwright.validation import ascii_digits

JSON = "application/json"
MULTIPART = "multipart/form-data"


class UnsupportedMediaType(HttpProblem):
    """The body is not in a media type the endpoint documents (answered 415)."""

    def __init__(self, accepted: tuple[str, ...], sent: str | None) -> None:
        wanted = " or ".join(accepted)
        sent_text = f"Content-Type {sent} was sent" if sent else "no Content-Type was sent"
        super().__init__(415, f"Send the body as {wanted} ({sent_text})")
        self.accepted = accepted
        self.issue = f"Must be {wanted}"


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def refuse_declared_oversize(request: Request) -> None:
    """Runs before anything else on every route: a declared body over the limit is refused unread."""
    declared = request.headers.get("content-length", "")
    limit = get_runtime(request).settings.max_body_bytes
    if ascii_digits(declared) and int(declared) > limit:
        raise BodyTooLarge(limit)


def media_type(request: Request, accepted: tuple[str, ...] = (JSON,)) -> str:
    """Which of the `accepted` media types the request's body is in, else 415.

    JSON is application/json or any application/*+json, in UTF-8 (a charset parameter, if
    given, must say so). A body sent without a Content-Type is not guessed at: 415 as well."""
    sent = request.headers.get("content-type", "").strip()
    header = Message()
    header["content-type"] = sent
    kind = header.get_content_type() if sent else ""
    charset = (header.get_param("charset") or "utf-8") if sent else "utf-8"
    if JSON in accepted and kind.startswith("application/") and (kind == JSON or kind.endswith("+json")):
        if isinstance(charset, str) and charset.strip().lower() in ("utf-8", "utf8"):
            return JSON
    elif kind in accepted:
        return kind
    raise UnsupportedMediaType(accepted, sent or None)


async def json_object(request: Request) -> dict[str, Any]:
    """The request's body, which must be a JSON object sent as JSON (see `media_type`)."""
    raw = await request.body()
    if not raw.strip() and "content-type" not in request.headers:
        raise HttpProblem(400, "Request body is required: send a JSON object")
    media_type(request)
    return _parse_object(raw)


async def optional_json_object(request: Request) -> dict[str, Any]:
    """Like `json_object` for an endpoint whose body is optional: no body at all is {}."""
    raw = await request.body()
    if not raw and "content-type" not in request.headers:
        return {}
    media_type(request)
    return _parse_object(raw)


def _parse_object(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise HttpProblem(400, "Request body is required: send a JSON object")
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise HttpProblem(400, f"Request body is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise HttpProblem(400, "Request body must be a JSON object")
    return value


def account_for_key(request: Request, api_key: str) -> Account | None:
    """The account of a valid API key (None if unknown or revoked), after two limits, each
    answered 429 with Retry-After: the client address's failed authentications, and the key's
    requests. Each face reports a missing or invalid key in its own words."""
    runtime = get_runtime(request)
    client = client_network(request.client.host if request.client else None)
    failures: RateLimiter = request.app.state.auth_failures
    # Refused unchecked: a key still checked while refusing the wrong ones would still tell
    # a guesser which one is right.
    retry_after = failures.retry_after(client)
    if retry_after is not None:
        raise _too_many(f"Too many failed authentications from your address; retry in {retry_after} s", retry_after)
    retry_after = request.app.state.rate_limiter.acquire(hash_api_key(api_key))
    if retry_after is not None:
        raise _too_many(f"Rate limit of {runtime.settings.rate_limit_per_minute} requests per minute exceeded; retry in {retry_after} s", retry_after)
    account = accounts.authenticate(runtime.db, api_key)
    if account is None:
        failures.acquire(client)
    return account


def _too_many(details: str, retry_after: int) -> HttpProblem:
    return HttpProblem(429, details, {"Retry-After": str(retry_after)})
