"""Registrant contacts: the domain owner of an account (its domains' registrant, replaced as a
whole) and the operator's default registrant (the last resort of reseller-style orders)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pycountry
from sqlalchemy.orm import Session

from mailwright import validation as check
from mailwright.errors import FieldIssues
from mailwright.owners.models import DefaultRegistrant, DomainOwner
from mailwright.providers.base import Contact

_ZIP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]*$")
Check = Callable[[FieldIssues, str, Any], "str | None"]


def _text(max_length: int, *, required: bool = True) -> Check:
    return lambda issues, name, value: check.text(issues, name, value, max_length=max_length, required=required)


def _email(issues: FieldIssues, name: str, value: Any) -> str | None:
    return check.email_address(issues, name, value)


def _country(issues: FieldIssues, name: str, value: Any) -> str | None:
    code = check.text(issues, name, value, max_length=2)
    if code is None:
        return None
    if pycountry.countries.get(alpha_2=code.upper()) is None:
        issues.add(name, "Valid format is a two-letter ISO 3166-1 country code, e.g. US", value)
        return None
    return code.upper()


def _zip_code(issues: FieldIssues, name: str, value: Any) -> str | None:
    code = check.text(issues, name, value, max_length=20)
    if code is not None and not _ZIP.match(code):
        issues.add(name, "Must contain only letters, digits, spaces and hyphens", value)
        return None
    return code


# One check per contact field, in the documented order (problems are reported in that order).
_CHECKS: dict[str, Check] = {
    "email": _email,
    "first_name": _text(100),
    "last_name": _text(100),
    "company_name": _text(200, required=False),
    "address": _text(300),
    "city": _text(100),
    "state": _text(100),
    "country": _country,
    "zip_code": _zip_code,
    "phone": check.phone,
}
CONTACT_FIELDS = tuple(_CHECKS)


def validate_owner(body: dict[str, Any]) -> dict[str, Any]:
    """Every column of a DomainOwner from a request body, or InvalidFields naming all problems."""
    issues = FieldIssues()
    clean = _contact(issues, body)
    clean.update(_configuration(issues, body.get("configuration")))
    issues.raise_if_any()
    return clean


def validate_contact(values: dict[str, Any]) -> dict[str, Any]:
    """A complete contact (CONTACT_FIELDS), or InvalidFields naming every problem by its field name."""
    issues = FieldIssues()
    clean = _contact(issues, values)
    issues.raise_if_any()
    return clean


def _contact(issues: FieldIssues, values: dict[str, Any]) -> dict[str, Any]:
    return {name: validate(issues, name, values.get(name)) for name, validate in _CHECKS.items()}


def _configuration(issues: FieldIssues, value: Any) -> dict[str, str | None]:
    result: dict[str, str | None] = {"default_domain_redirect_url": None, "default_email_forward_address": None}
    if value is None:
        return result
    if not isinstance(value, dict):
        issues.add("configuration", "Must be an object", check.shown(value))
        return result
    redirect = value.get("default_domain_redirect_url")
    if redirect not in (None, ""):
        result["default_domain_redirect_url"] = check.web_url(issues, "configuration.default_domain_redirect_url", redirect)
    forward = value.get("default_email_forward_address")
    if forward not in (None, ""):
        result["default_email_forward_address"] = check.email_address(
            issues, "configuration.default_email_forward_address", forward
        )
    return result


def replace_owner(session: Session, account_id: str, clean: dict[str, Any]) -> DomainOwner:
    owner = session.get(DomainOwner, account_id)
    if owner is None:
        owner = DomainOwner(account_id=account_id, **clean)
        session.add(owner)
    else:
        for name, value in clean.items():
            setattr(owner, name, value)
    session.flush()
    return owner


def get_owner(session: Session, account_id: str) -> DomainOwner | None:
    return session.get(DomainOwner, account_id)


def complete_contact(row: Any) -> dict[str, Any] | None:
    """The contact of a row that has CONTACT_FIELDS (a reseller user), when every required one is filled."""
    contact = {name: getattr(row, name) for name in CONTACT_FIELDS}
    return contact if all(contact[name] for name in CONTACT_FIELDS if name != "company_name") else None


@dataclass(frozen=True)
class RegistrantChoice:
    """Where the registrant of an order's domains comes from: the first of `user_contact` (a
    reseller user's complete contact), the account's domain owner, and, when `operator_default`,
    the operator's default registrant."""

    user_contact: dict[str, Any] | None = None
    operator_default: bool = False


# Seed 001's rule: the account's domain owner, nothing else.
OWNER_ONLY = RegistrantChoice()


def as_contact(owner: DomainOwner) -> Contact:
    return Contact(**contact_dict(owner))


def contact_dict(row: DomainOwner | DefaultRegistrant) -> dict[str, Any]:
    return {name: getattr(row, name) for name in CONTACT_FIELDS}


# ------------------------------------------------------------------ the operator's default registrant

# What the first `serve` with the sandbox registrar sets, so that a fresh install can order at once.
SANDBOX_REGISTRANT = {
    "email": "registrant@example.com",
    "first_name": "Sandbox",
    "last_name": "Registrant",
    "company_name": "Mailwright sandbox",
    "address": "1 Sandbox Way",
    "city": "Palo Alto",
    "state": "CA",
    "country": "US",
    "zip_code": "94303",
    "phone": "+1.6505550100",
}


def is_sandbox_registrant(contact: dict[str, Any]) -> bool:
    """The contact is the sandbox's made-up one (as a domain's owner snapshot holds it)."""
    return all(contact.get(name) == value for name, value in SANDBOX_REGISTRANT.items())


def get_default_registrant(session: Session) -> DefaultRegistrant | None:
    return session.get(DefaultRegistrant, 1)


def set_default_registrant(session: Session, clean: dict[str, Any], *, sandbox: bool = False) -> DefaultRegistrant:
    """Replace the default registrant as a whole with a validated contact (validate_contact)."""
    row = get_default_registrant(session)
    if row is None:
        row = DefaultRegistrant(id=1)
        session.add(row)
    for name in CONTACT_FIELDS:
        setattr(row, name, clean[name])
    row.sandbox = sandbox
    session.flush()
    return row


def default_registrant_for(session: Session, registrar_is_sandbox: bool) -> dict[str, Any] | None:
    """The default registrant's contact as orders use it; a sandbox one only with the sandbox registrar."""
    row = get_default_registrant(session)
    if row is None or (row.sandbox and not registrar_is_sandbox):
        return None
    return contact_dict(row)
