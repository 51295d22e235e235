"""The domain owner: the registrant contact of an account's domains, replaced as a whole."""

from __future__ import annotations

import re
from typing import Any

import pycountry
from sqlalchemy.orm import Session

from mailwright import validation as check
from mailwright.errors import FieldIssues
from mailwright.owners.models import DomainOwner
from mailwright.providers.base import Contact

REQUIRED_TEXT = {
    "first_name": 100,
    "last_name": 100,
    "address": 300,
    "city": 100,
    "state": 100,
    "zip_code": 20,
}
_PHONE = re.compile(r"^\+[0-9][0-9 .()-]{5,24}$")
_ZIP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]*$")
CONTACT_FIELDS = ("email", "first_name", "last_name", "company_name", "address", "city", "state", "country", "zip_code", "phone")


def validate_owner(body: dict[str, Any]) -> dict[str, Any]:
    """Every column of a DomainOwner from a request body, or InvalidFields naming all problems."""
    issues = FieldIssues()
    clean: dict[str, Any] = {"email": check.email_address(issues, "email", body.get("email"))}
    for name, limit in REQUIRED_TEXT.items():
        clean[name] = check.text(issues, name, body.get(name), max_length=limit)
    clean["company_name"] = check.text(issues, "company_name", body.get("company_name"), max_length=200, required=False)
    clean["country"] = _country(issues, body.get("country"))
    clean["phone"] = _phone(issues, body.get("phone"))
    if clean["zip_code"] is not None and not _ZIP.match(clean["zip_code"]):
        issues.add("zip_code", "Must contain only letters, digits, spaces and hyphens", body.get("zip_code"))
    clean.update(_configuration(issues, body.get("configuration")))
    issues.raise_if_any()
    return clean


def _country(issues: FieldIssues, value: Any) -> str | None:
    code = check.text(issues, "country", value, max_length=2)
    if code is None:
        return None
    if pycountry.countries.get(alpha_2=code.upper()) is None:
        issues.add("country", "Valid format is a two-letter ISO 3166-1 country code, e.g. US", value)
        return None
    return code.upper()


def _phone(issues: FieldIssues, value: Any) -> str | None:
    phone = check.text(issues, "phone", value, max_length=32)
    if phone is None:
        return None
    digits = sum(c.isdigit() for c in phone)
    if not _PHONE.match(phone) or not 7 <= digits <= 15:
        issues.add("phone", "Valid format is +1.5555555555", value)
        return None
    return phone


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
