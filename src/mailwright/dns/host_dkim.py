"""DKIM that a person handles at a mailbox host whose API cannot (providers/base.py MailSetup):
Google Workspace generates its DKIM key only in the Admin console, so the operator supplies the
published value (`set_host_dkim`); Microsoft 365 switches signing on only in the Defender portal,
so the operator confirms it (`confirm_host_dkim`). A domain waiting for either resumes at once
(its order is retried); a ready domain gets the new key published like a customer's DNS change.

Used by `mailwright dns set-dkim / confirm-dkim` and by the API (PATCH .../set_dkim, .../confirm_dkim).
Services flush and never commit."""

from __future__ import annotations

import base64
import binascii
import re

import sqlalchemy as sa
from cryptography.hazmat.primitives.serialization import load_der_public_key
from dkim.util import InvalidTagValueList, parse_tag_value
from sqlalchemy.orm import Session

from mailwright import clock
from mailwright.dns.custom_records import SYNC_DNS_RECORDS_WORKFLOW
from mailwright.dns.models import DnsRecord
from mailwright.domains.models import Domain, DomainStatus
from mailwright.errors import FieldIssues, RuleViolation
from mailwright.ids import new_id
from mailwright.orders import service as orders
from mailwright.orders.models import Order, OrderStatus
from mailwright.runtime import Runtime

# Domain.host_dkim_kind: what the host's mail setup asked a person for.
OPERATOR_DKIM, CONFIRMED_DKIM = "operator", "confirmation"
SELECTOR = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
VALUE_MAX = 4096  # a 4096-bit key is about 750 characters; room for the tags around it


def check_dkim(issues: FieldIssues, selector: object, value: object, *, fields: tuple[str, str] = ("selector", "value")) -> None:
    """A DKIM selector (one DNS label) and a DKIM key record (RFC 6376 3.6.1: tag=value pairs,
    v=DKIM1 when present, p= a public key in base64), each problem under its field."""
    selector_field, value_field = fields
    if not isinstance(selector, str) or not SELECTOR.match(selector.strip().lower()):
        issues.add(selector_field, "A DKIM selector is one DNS label: letters, digits and hyphens, e.g. google", selector)
    if not isinstance(value, str) or not value.strip() or len(value) > VALUE_MAX:
        issues.add(value_field, "The DKIM record's value, as the mailbox host shows it: v=DKIM1; k=rsa; p=...", value)
        return
    problem = _key_record_problem(value.strip())
    if problem:
        issues.add(value_field, problem, value)


def _key_record_problem(value: str) -> str | None:
    try:
        tags = parse_tag_value(value.encode())
    except (InvalidTagValueList, UnicodeError):
        return "Not a DKIM key record: tag=value pairs separated by semicolons, e.g. v=DKIM1; k=rsa; p=MIIB..."
    if tags.get(b"v", b"DKIM1") != b"DKIM1":
        return "A DKIM key record's version is v=DKIM1"
    key = b"".join(tags.get(b"p", b"").split())
    if not key:
        return "The DKIM key record has no public key (p=)"
    try:
        load_der_public_key(base64.b64decode(key, validate=True))
    except (binascii.Error, ValueError):
        return "The DKIM key record's p= is not a public key in base64"
    return None


def set_host_dkim(session: Session, runtime: Runtime, domain: Domain, selector: str, value: str) -> Domain:
    """Keep the operator's DKIM key record of the domain; a domain waiting for it resumes, a
    ready one has it published. The caller checked the input (check_dkim)."""
    _refuse_unless_asked(domain, OPERATOR_DKIM)
    domain.host_dkim_selector = selector.strip().lower()
    domain.host_dkim_value = " ".join(value.split())
    if domain.status == DomainStatus.READY:
        _republish_dkim(session, runtime, domain)
    _resume_if_waiting(session, runtime, domain)
    session.flush()
    session.refresh(domain)  # a resumed domain's status was changed by compare-and-set
    return domain


def confirm_host_dkim(session: Session, runtime: Runtime, domain: Domain) -> Domain:
    """The operator says the host signs the domain's mail now; a domain waiting for that resumes."""
    _refuse_unless_asked(domain, CONFIRMED_DKIM)
    if domain.host_dkim_confirmed_at is None:
        domain.host_dkim_confirmed_at = clock.now()
    _resume_if_waiting(session, runtime, domain)
    session.flush()
    session.refresh(domain)  # a resumed domain's status was changed by compare-and-set
    return domain


def find_live_domain(session: Session, name: str) -> Domain | None:
    """Any account's domain of this name that still holds it (operators)."""
    return session.scalar(sa.select(Domain).where(Domain.name_claim == name))


def _refuse_unless_asked(domain: Domain, kind: str) -> None:
    """Only a live domain whose mailbox host asked a person for this (when its records were
    published) takes it."""
    if domain.status in (DomainStatus.FAILED, DomainStatus.RELEASED):
        raise RuleViolation("domain_not_live", f"{domain.name} is {domain.status}: it has no DKIM to set")
    if domain.host_dkim_kind == kind:
        return
    if domain.host_dkim_kind is None and domain.status in (DomainStatus.ORDERED, DomainStatus.REGISTERED):
        raise RuleViolation("dkim_not_asked_yet", f"{domain.name}'s mail records are not published yet; its mailbox host has not asked for DKIM")
    wanted = {OPERATOR_DKIM: "a DKIM key from the operator", CONFIRMED_DKIM: "the operator's confirmation that signing is on"}
    asked = wanted.get(domain.host_dkim_kind or "", "nothing: its mail is signed with the key Mailwright generated for it")
    raise RuleViolation("dkim_not_asked", f"{domain.name}'s mailbox host asks for {asked}, not {wanted[kind]}")


def _republish_dkim(session: Session, runtime: Runtime, domain: Domain) -> None:
    """A new key for a ready domain: its managed DKIM record replaced, and pushed to the DNS host."""
    old = session.scalars(sa.select(DnsRecord).where(DnsRecord.domain_id == domain.id, DnsRecord.purpose == "dkim")).all()
    pairs = {(r.name, r.type) for r in old}
    for row in old:
        session.delete(row)
    name = f"{domain.host_dkim_selector}._domainkey"
    session.add(DnsRecord(domain_id=domain.id, purpose="dkim", type="TXT", name=name, value=domain.host_dkim_value, ttl=3600))
    pairs.add((name, "TXT"))
    session.flush()
    runtime.enqueue(session, SYNC_DNS_RECORDS_WORKFLOW, f"dns-records-{domain.id}-{new_id()}", domain.id, sorted([list(p) for p in pairs]))


def _resume_if_waiting(session: Session, runtime: Runtime, domain: Domain) -> None:
    if domain.status != DomainStatus.NEEDS_ACTION or domain.order_id is None:
        return
    order = session.get(Order, domain.order_id)
    if order is not None and order.status == OrderStatus.NEEDS_ACTION:
        orders.retry_order(session, runtime, order)
