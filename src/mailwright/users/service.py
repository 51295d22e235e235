"""Creating, reading, replacing and deleting a reseller's users. Every lookup is scoped to the
reseller's account: another reseller's user does not exist as far as the caller can tell."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright import clock, geo
from mailwright import validation as check
from mailwright.domains.models import Domain
from mailwright.errors import FieldIssue, FieldIssues, NotFound, RuleViolation
from mailwright.mailboxes.models import Mailbox
from mailwright.pagination import Page, PageRequest, fetch
from mailwright.users.models import ResellerUser

# Request field -> column, in the order errors are reported.
FIELDS = {
    "email": "email",
    "firstName": "first_name",
    "lastName": "last_name",
    "companyName": "company_name",
    "phone": "phone",
    "address": "address",
    "city": "city",
    "state": "state",
    "country": "country",
    "zipCode": "zip_code",
}
_OPTIONAL_TEXT = {"companyName": 200, "address": 300, "city": 100, "zipCode": 20}


def validate_user(body: dict[str, Any], issues: FieldIssues | None = None) -> dict[str, Any]:
    """Every column of a user from a request body (camelCase fields); otherwise every problem, with
    any the caller already holds in `issues`, is raised."""
    issues = issues if issues is not None else FieldIssues()
    clean: dict[str, Any] = {
        "email": check.email_address(issues, "email", body.get("email")),
        "first_name": check.text(issues, "firstName", body.get("firstName"), max_length=100),
        "last_name": check.text(issues, "lastName", body.get("lastName"), max_length=100),
    }
    for field, limit in _OPTIONAL_TEXT.items():
        clean[FIELDS[field]] = check.text(issues, field, body.get(field), max_length=limit, required=False)
    clean["phone"] = check.phone(issues, "phone", body["phone"]) if body.get("phone") not in (None, "") else None
    clean["country"] = geo.country_code(issues, "country", body.get("country"), required=False)
    clean["state"] = geo.state_of(issues, "state", body.get("state"), clean["country"], required=False)
    issues.raise_if_any()
    return clean


def list_users(session: Session, account_id: str, page: PageRequest) -> Page[ResellerUser]:
    statement = _visible(account_id).order_by(ResellerUser.created_at, ResellerUser.id)
    return fetch(session, statement, page)


def get_user(session: Session, account_id: str, user_id: str) -> ResellerUser:
    user = session.scalar(_visible(account_id).where(ResellerUser.id == user_id))
    if user is None:
        raise NotFound("user")
    return user


def create_user(session: Session, account_id: str, clean: dict[str, Any]) -> ResellerUser:
    _check_email_free(session, account_id, clean["email"], None)
    user = ResellerUser(account_id=account_id, email_claim=clean["email"], **clean)
    session.add(user)
    session.flush()
    return user


def replace_user(session: Session, user: ResellerUser, clean: dict[str, Any]) -> ResellerUser:
    _check_email_free(session, user.account_id, clean["email"], user.id)
    for name, value in clean.items():
        setattr(user, name, value)
    user.email_claim = clean["email"]
    session.flush()
    return user


def delete_user(session: Session, user: ResellerUser) -> None:
    """Refused while the user still holds domains or mailboxes: remove or cancel those first."""
    domains = session.scalar(
        sa.select(sa.func.count()).where(Domain.user_id == user.id, Domain.name_claim.is_not(None))
    )
    mailboxes = session.scalar(
        sa.select(sa.func.count()).where(Mailbox.user_id == user.id, Mailbox.email_claim.is_not(None))
    )
    if domains or mailboxes:
        raise RuleViolation(
            "user_has_services",
            f"The user still has {domains} domain(s) and {mailboxes} mailbox(es); remove them first",
            [FieldIssue("userId", "User still has domains or mailboxes", user.id)],
        )
    user.deleted_at = clock.now()
    user.email_claim = None
    session.flush()


def _visible(account_id: str) -> sa.Select[tuple[ResellerUser]]:
    return sa.select(ResellerUser).where(ResellerUser.account_id == account_id, ResellerUser.deleted_at.is_(None))


def _check_email_free(session: Session, account_id: str, email: str, user_id: str | None) -> None:
    holder = session.scalar(
        sa.select(ResellerUser.id).where(ResellerUser.account_id == account_id, ResellerUser.email_claim == email)
    )
    if holder is not None and holder != user_id:
        raise RuleViolation(
            "user_exists", "A user with this email already exists", [FieldIssue("email", "A user with this email already exists", email)]
        )
