"""Reading an account's domains, and changing the settings a customer controls."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright.domains.models import Domain, DomainStatus
from mailwright.domains.names import normalize_domain
from mailwright.errors import FieldIssue, NotFound, RuleViolation
from mailwright.providers.base import Capability
from mailwright.mailboxes.models import Mailbox, MailboxStatus
from mailwright.pagination import LIKE_ESCAPE, Page, PageRequest, contains_pattern, fetch

if TYPE_CHECKING:
    from mailwright.runtime import Runtime

SYNC_DOMAIN_SETTINGS_WORKFLOW = "sync_domain_settings"


def list_domains(session: Session, account_id: str) -> list[sa.Row]:
    """Every domain of the account, oldest first, as rows of what a domain list shows (the
    `Domain` attributes of the same names) and its mailboxes held and live: one statement, not
    the domains as objects and their counts by a list of ids (an account may hold thousands)."""
    held, live = _held_and_live()
    counts = (
        sa.select(Mailbox.domain_id, held.label("held"), live.label("live"))
        .join(Domain, Domain.id == Mailbox.domain_id)
        .where(Domain.account_id == account_id, Mailbox.email_claim.is_not(None))  # this account's only
        .group_by(Mailbox.domain_id)
        .subquery()
    )
    statement = (
        sa.select(
            Domain.name, Domain.provider, Domain.is_custom_domain, Domain.status, Domain.expires_at, Domain.created_at,
            sa.func.coalesce(counts.c.held, 0).label("held"), sa.func.coalesce(counts.c.live, 0).label("live"),
        )
        .outerjoin(counts, counts.c.domain_id == Domain.id)
        .where(Domain.account_id == account_id)
        .order_by(Domain.created_at, Domain.name)
    )
    return list(session.execute(statement))


def account_domains(
    session: Session, account_id: str, page: PageRequest, *, search: str = "", status: str = ""
) -> Page[Domain]:
    """One page of the account's domains, newest first; `search` a part of the name, `status` one status."""
    statement = sa.select(Domain).where(Domain.account_id == account_id)
    if search:
        statement = statement.where(Domain.name.like(contains_pattern(search), escape=LIKE_ESCAPE))
    if status:
        statement = statement.where(Domain.status == status)
    return fetch(session, statement.order_by(Domain.created_at.desc(), Domain.name, Domain.id), page)


def status_counts(session: Session, account_id: str) -> dict[str, int]:
    """Domain status -> how many of the account's domains are in it."""
    rows = session.execute(
        sa.select(Domain.status, sa.func.count()).where(Domain.account_id == account_id).group_by(Domain.status)
    ).all()
    return {status: int(count) for status, count in rows}


def mailbox_status_counts(session: Session, account_id: str) -> dict[str, int]:
    """Mailbox status -> how many of the account's mailboxes are in it."""
    rows = session.execute(
        sa.select(Mailbox.status, sa.func.count())
        .join(Domain, Domain.id == Mailbox.domain_id)
        .where(Domain.account_id == account_id)
        .group_by(Mailbox.status)
    ).all()
    return {status: int(count) for status, count in rows}


def recent_failures(session: Session, limit: int = 50) -> list[tuple[str, str, str, str | None, str | None]]:
    """Every account's failed domains and mailboxes, newest first: (kind, name, account id, order id, reason)."""
    domains = session.execute(
        sa.select(Domain.name, Domain.account_id, Domain.order_id, Domain.failure_reason, Domain.created_at)
        .where(Domain.status == DomainStatus.FAILED)
        .order_by(Domain.created_at.desc())
        .limit(limit)
    ).all()
    boxes = session.execute(
        sa.select(Mailbox.email, Domain.account_id, Mailbox.order_id, Mailbox.failure_reason, Mailbox.created_at)
        .join(Domain, Domain.id == Mailbox.domain_id)
        .where(Mailbox.status == MailboxStatus.FAILED)
        .order_by(Mailbox.created_at.desc())
        .limit(limit)
    ).all()
    rows = [("domain", *r) for r in domains] + [("mailbox", *r) for r in boxes]
    rows.sort(key=lambda r: r[5], reverse=True)
    return [r[:5] for r in rows[:limit]]


def user_domains(session: Session, account_id: str, user_id: str, page: PageRequest) -> Page[Domain]:
    """One page of a reseller user's domains, oldest first."""
    statement = (
        sa.select(Domain)
        .where(Domain.account_id == account_id, Domain.user_id == user_id)
        .order_by(Domain.created_at, Domain.name, Domain.id)
    )
    return fetch(session, statement, page)


def get_user_domain(session: Session, account_id: str, user_id: str, domain_id: str) -> Domain:
    """A domain of the reseller's user, by id; any other domain is not found."""
    domain = session.get(Domain, domain_id)
    if domain is None or domain.account_id != account_id or domain.user_id != user_id:
        raise NotFound("domain")
    return domain


def find_user_domain(session: Session, account_id: str, user_id: str, id_or_name: str) -> Domain | None:
    """The user's domain by id, or by name (the live one if any, else the latest)."""
    by_id = session.get(Domain, id_or_name)
    if by_id is not None:
        return by_id if by_id.account_id == account_id and by_id.user_id == user_id else None
    name = normalize_domain(id_or_name) or id_or_name.strip().lower()
    return session.scalar(
        sa.select(Domain)
        .where(Domain.account_id == account_id, Domain.user_id == user_id, Domain.name == name)
        .order_by(Domain.name_claim.is_(None), Domain.created_at.desc())
        .limit(1)
    )


def domains_by_id(session: Session, ids: list[str]) -> list[Domain]:
    """In the order of `ids`."""
    rows = {d.id: d for d in session.scalars(sa.select(Domain).where(Domain.id.in_(ids)))} if ids else {}
    return [rows[i] for i in ids if i in rows]


def get_domain(session: Session, account_id: str, name: str) -> Domain:
    """The account's domain of that name: the live one if any, else the most recent attempt."""
    normalized = normalize_domain(name) or name.lower()
    domain = session.scalar(
        sa.select(Domain)
        .where(Domain.account_id == account_id, Domain.name == normalized)
        .order_by(Domain.name_claim.is_(None), Domain.created_at.desc())
        .limit(1)
    )
    if domain is None:
        raise NotFound("domain")
    return domain


def _held_and_live() -> tuple[sa.ColumnElement[int], sa.ColumnElement[int]]:
    """Per group of mailboxes: how many are held, and how many of them live."""
    return sa.func.count(), sa.func.sum(sa.case((Mailbox.status == MailboxStatus.LIVE, 1), else_=0))


def mailbox_counts(session: Session, domain_ids: list[str]) -> dict[str, tuple[int, int]]:
    """domain id -> (mailboxes held, of which live)."""
    if not domain_ids:
        return {}
    rows = session.execute(
        sa.select(Mailbox.domain_id, *_held_and_live())
        .where(Mailbox.domain_id.in_(domain_ids), Mailbox.email_claim.is_not(None))
        .group_by(Mailbox.domain_id)
    ).all()
    return {domain_id: (int(total), int(live or 0)) for domain_id, total, live in rows}


def set_redirect_url(
    session: Session, runtime: Runtime, domain: Domain, url: str | None, *, field: str, masked: bool | None = None
) -> None:
    """`masked` None keeps the current masking."""
    if domain.status != DomainStatus.READY:
        raise RuleViolation(
            "domain_not_ready",
            "The domain is not ready yet",
            [FieldIssue(field, "A redirect URL can be set once the domain is ready (is_ready is true)", url or "")],
        )
    domain.domain_redirect_url = url
    if masked is not None:
        domain.mask_forwarding = masked and url is not None
    _settings_changed(session, runtime, domain)


def set_email_forwarding(session: Session, runtime: Runtime, domain: Domain, address: str | None, *, field: str) -> None:
    """Refused where the domain's mailbox host cannot forward a whole domain through its API."""
    if address is not None and not host_forwards(runtime, domain.provider):
        raise RuleViolation(
            "forwarding_not_supported",
            "The domain's mailbox host cannot forward its mail through its API",
            [FieldIssue(field, f"{domain.provider} mailboxes here are at a host whose API cannot forward a whole domain's mail "
                        "(Google Workspace and Microsoft 365 do it with a routing rule in their admin console)", address)],
        )
    domain.email_forward_address = address
    _settings_changed(session, runtime, domain)


def host_forwards(runtime: Runtime, provider: str) -> bool:
    """The provider's mailbox host forwards a domain's mail through its API (Capability.FORWARDING)."""
    host = runtime.providers.mailbox_hosts.get(provider)
    return Capability.FORWARDING in getattr(host, "SUPPORTS", frozenset())


def _settings_changed(session: Session, runtime: Runtime, domain: Domain) -> None:
    domain.settings_version += 1
    session.flush()
    runtime.enqueue(
        session, SYNC_DOMAIN_SETTINGS_WORKFLOW, f"domain-settings-{domain.id}-v{domain.settings_version}", domain.id
    )
