"""The domain owner: the registrant contact of an account's domains, replaced as a whole."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pycountry
from sqlalchemy.orm import Session

from mailwright import validation as check
from mailwright.errors import FieldIssues
from mailwright.owners.models import DomainOwner
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
    clean = {name: validate(issues, name, body.get(name)) for name, validate in _CHECKS.items()}
    clean.update(_configuration(issues, body.get("configuration")))
    issues.raise_if_any()
    return clean


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


def as_contact(owner: DomainOwner) -> Contact:
    return Contact(**{name: getattr(owner, name) for name in CONTACT_FIELDS})


def contact_dict(owner: DomainOwner) -> dict[str, Any]:
    return {name: getattr(owner, name) for name in CONTACT_FIELDS}
