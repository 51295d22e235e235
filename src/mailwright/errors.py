"""Errors raised by services. Each API face translates them into its own error bodies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldIssue:
    field: str
    issue: str
    value: Any = None


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
        super().__init__("invalid_fields", "Invalid field(s)", fields)


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

    def add(self, field: str, issue: str, value: Any = None) -> None:
        self.items.append(FieldIssue(field, issue, value))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self, order: Callable[[str], Any] | None = None) -> None:
        """`order` maps a field name to its place in the request, so problems are listed as the
        caller wrote the request, whichever check found them first."""
        if self.items:
            raise InvalidFields(sorted(self.items, key=lambda i: order(i.field)) if order else list(self.items))
