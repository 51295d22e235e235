"""Errors raised by services. Each API face translates them into its own error bodies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


INVALID_FIELDS = "invalid_fields"

# Refusals that name fields, by code, with the message that answers a request whose first problem
# (in request order) is of that code. A malformed value is invalid_fields; the others are business
# refusals of one item (a domain that cannot be bought ...).
REFUSAL_MESSAGES = {
    INVALID_FIELDS: "Invalid field(s)",
    "domain_unavailable": "Domain(s) not available",
    "domain_price_unavailable": "Domain price is not available",
}


@dataclass(frozen=True)
class FieldIssue:
    field: str
    issue: str
    value: Any = None
    # The refusal this problem belongs to (a key of REFUSAL_MESSAGES).
    code: str = INVALID_FIELDS


class ServiceError(Exception):
    pass


class RuleViolation(ServiceError):
    """Input or business state that forbids the request; `code` is machine-readable."""

    def __init__(self, code: str, message: str, fields: list[FieldIssue] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or []


class InvalidFields(RuleViolation):
    def __init__(self, fields: list[FieldIssue]) -> None:
        super().__init__(INVALID_FIELDS, REFUSAL_MESSAGES[INVALID_FIELDS], fields)


def refusal(items: list[FieldIssue]) -> RuleViolation:
    """One answer naming every problem of a request, `items` in request order. Problems of
    different codes may come together (a malformed email beside a taken domain): the answer's code
    and message are those of the first problem, and every problem is listed with its own issue."""
    code = items[0].code
    if code == INVALID_FIELDS:
        return InvalidFields(items)
    return RuleViolation(code, REFUSAL_MESSAGES[code], items)


class NotFound(ServiceError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")
        self.what = what


class Unavailable(ServiceError):
    """A dependency (database, provider) cannot be reached right now."""


class FieldIssues:
    """Collects every problem in a request, so the answer can name them all at once."""

    def __init__(self) -> None:
        self.items: list[FieldIssue] = []

    def add(self, field: str, issue: str, value: Any = None, code: str = INVALID_FIELDS) -> None:
        self.items.append(FieldIssue(field, issue, value, code))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self, order: Callable[[str], Any] | None = None) -> None:
        """`order` maps a field name to its place in the request, so problems are listed as the
        caller wrote the request, whichever check found them first."""
        if self.items:
            raise refusal(sorted(self.items, key=lambda i: order(i.field)) if order else list(self.items))
