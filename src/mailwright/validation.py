"""Checks shared by every request shape. Each returns the cleaned value, or None after
recording an issue, so a caller can check every field before giving up."""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from mailwright.errors import FieldIssues

REQUIRED = "Field is required"
EMAIL_FORMAT = "Valid format is email@example.com"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PHONE = re.compile(r"^\+[0-9][0-9 .()-]{5,24}$")
_LABELS = re.compile(r"^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$", re.I)
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$", re.I)


def ascii_digits(value: str) -> bool:
    """Only 0-9. str.isdigit() also takes other scripts' digits ("١٢", which int() reads as 12)
    and superscripts ("²", which int() refuses), so every whole number people type goes through this."""
    return value.isascii() and value.isdigit()


def shown(value: Any) -> str | None:
    """How a rejected value is echoed back in `fields[].value`: strings as they are, null as null."""
    if value is None or isinstance(value, str):
        return value
    import json

    return json.dumps(value, ensure_ascii=False)[:500]


def text(issues: FieldIssues, field: str, value: Any, *, max_length: int, required: bool = True) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            issues.add(field, REQUIRED, shown(value))
        return None
    if not isinstance(value, str):
        issues.add(field, "Must be a string", shown(value))
        return None
    cleaned = value.strip()
    if _CONTROL.search(cleaned):
        issues.add(field, "Must not contain control characters", value)
        return None
    if len(cleaned) > max_length:
        issues.add(field, f"Must be at most {max_length} characters", value)
        return None
    return cleaned


def email_address(issues: FieldIssues, field: str, value: Any, *, required: bool = True) -> str | None:
    cleaned = text(issues, field, value, max_length=254, required=required)
    if cleaned is None:
        return None
    from email_validator import EmailNotValidError, validate_email  # not at the top: every process imports this module

    try:
        return validate_email(cleaned, check_deliverability=False).normalized
    except EmailNotValidError:
        issues.add(field, EMAIL_FORMAT, value)
        return None


def web_url(issues: FieldIssues, field: str, value: Any, *, any_host: bool = False) -> str | None:
    """An absolute http(s) URL of a public-looking host name; with `any_host` also of a
    one-label name or an IP address (for URLs the outbound guard judges by what they resolve to)."""
    cleaned = text(issues, field, value, max_length=2048)
    if cleaned is None:
        return None
    parts = urlsplit(cleaned)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not (_HOSTNAME.match(host) or (any_host and _any_host(host))):
        issues.add(field, "Valid format is https://example.com", value)
        return None
    return cleaned


def _any_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(_LABELS.match(host))
    return True


def phone(issues: FieldIssues, field: str, value: Any) -> str | None:
    """An international number: +, country code, 7 to 15 digits in all (+1.5555555555)."""
    cleaned = text(issues, field, value, max_length=32)
    if cleaned is None:
        return None
    digits = sum(c.isdigit() for c in cleaned)
    if not _PHONE.match(cleaned) or not 7 <= digits <= 15:
        issues.add(field, "Valid format is +1.5555555555", value)
        return None
    return cleaned
