"""Records a customer manages in a domain's zone, beside the ones Mailwright publishes for sending.

Every change is checked (type, a name inside the zone, content syntax, CNAME exclusivity) and
refused when it would touch a record Mailwright manages for sending (MX, SPF, DKIM, DMARC, the
host's extras) unless the caller explicitly forces it. The change is stored in the caller's
transaction together with a durable job that pushes the affected record sets to the DNS host,
so the host converges on what is stored even across crashes and retries."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import dns.exception
import dns.rdata
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright import validation as check
from mailwright.dns.models import DnsRecord
from mailwright.domains.models import Domain, DomainStatus
from mailwright.domains.names import registrable_suffix
from mailwright.errors import FieldIssue, FieldIssues, NotFound, RuleViolation
from mailwright.ids import new_id
from mailwright.providers.base import RecordSpec

if TYPE_CHECKING:
    from mailwright.runtime import Runtime

CUSTOM = "custom"  # DnsRecord.purpose of the records customers add
TYPES = ("A", "AAAA", "CNAME", "MX", "TXT", "SRV", "CAA", "NS")
WITH_PRIORITY = ("MX", "SRV")
HOSTNAME_TYPES = ("CNAME", "MX", "NS")
TTL_RANGE = (60, 86400)
MAX_TXT = 2048
SYNC_DNS_RECORDS_WORKFLOW = "sync_dns_records"
_LABEL = re.compile(r"^(\*|_?[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?)$")


@dataclass(frozen=True)
class RecordInput:
    type: str
    name: str  # relative to the zone, "@" for the apex
    content: str  # hostnames absolute (trailing dot); TXT unquoted; SRV "weight port target"
    ttl: int
    priority: int | None


def validate(body: dict[str, Any], zone: str | None, issues: FieldIssues | None = None) -> tuple[RecordInput, bool]:
    """The record described by a request body (type, name, content, ttl, priority) and its
    `force` flag; otherwise every problem, with any the caller already holds in `issues`, is
    raised. Without a zone (its domain was not found) the name is checked as a host name only."""
    issues = issues if issues is not None else FieldIssues()
    rtype = _type(issues, body.get("type"))
    name = _name(issues, body.get("name"), zone)
    ttl = _integer(issues, "ttl", body.get("ttl", 3600), *TTL_RANGE)
    priority = None
    if rtype in WITH_PRIORITY:
        priority = _integer(issues, "priority", body.get("priority"), 0, 65535)
    elif body.get("priority") is not None:
        issues.add("priority", f"Only {' and '.join(WITH_PRIORITY)} records have a priority", check.shown(body.get("priority")))
    content = _content(issues, rtype, body.get("content"), priority)
    force = body.get("force", False)
    if force is None:
        force = False
    if not isinstance(force, bool):
        issues.add("force", "Must be true or false", check.shown(force))
    if rtype == "CNAME" and name == "@":
        issues.add("name", "A CNAME cannot be at the zone apex (@)", body.get("name"))
    if rtype == "NS" and name == "@":
        issues.add("name", "The zone's own NS records are managed by its DNS host", body.get("name"))
    issues.raise_if_any()
    assert rtype and name and content is not None and ttl is not None
    return RecordInput(rtype, name, content, ttl, priority), bool(force)


def list_records(session: Session, domain: Domain) -> list[DnsRecord]:
    """Every record the zone is meant to serve: Mailwright's, then the customer's."""
    rows = session.scalars(sa.select(DnsRecord).where(DnsRecord.domain_id == domain.id)).all()
    return sorted(rows, key=lambda r: (not r.managed, r.name, r.type, r.priority or 0, r.id))


def get_record(session: Session, domain: Domain, record_id: str) -> DnsRecord:
    row = session.get(DnsRecord, record_id)
    if row is None or row.domain_id != domain.id:
        raise NotFound("DNS record")
    return row


def add_record(session: Session, runtime: Runtime, domain: Domain, record: RecordInput, *, force: bool) -> DnsRecord:
    _require_zone(domain)
    _check_fits(session, domain, record, force=force, replacing=None)
    row = DnsRecord(
        domain_id=domain.id,
        purpose=CUSTOM,
        type=record.type,
        name=record.name,
        value=record.content,
        ttl=record.ttl,
        priority=record.priority,
        managed=False,
    )
    session.add(row)
    session.flush()
    _push(session, runtime, domain, {(row.name, row.type)})
    return row


def update_record(
    session: Session, runtime: Runtime, domain: Domain, row: DnsRecord, record: RecordInput, *, force: bool
) -> DnsRecord:
    _require_zone(domain)
    _refuse_managed(row, force)
    _check_fits(session, domain, record, force=force, replacing=row.id)
    before = (row.name, row.type)
    row.type, row.name, row.value, row.ttl, row.priority = record.type, record.name, record.content, record.ttl, record.priority
    row.observed_value, row.valid, row.last_checked_at = None, None, None
    session.flush()
    _push(session, runtime, domain, {before, (row.name, row.type)})
    return row


def delete_record(session: Session, runtime: Runtime, domain: Domain, row: DnsRecord, *, force: bool) -> None:
    _require_zone(domain)
    _refuse_managed(row, force)
    affected = {(row.name, row.type)}
    session.delete(row)
    session.flush()
    _push(session, runtime, domain, affected)


def rrsets(session: Session, domain_id: str, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], list[RecordSpec]]:
    """What the zone should serve for each (name, type): empty when nothing is left."""
    result: dict[tuple[str, str], list[RecordSpec]] = {(n, t): [] for n, t in pairs}
    rows = session.scalars(sa.select(DnsRecord).where(DnsRecord.domain_id == domain_id)).all()
    for r in rows:
        if (r.name, r.type) in result:
            result[(r.name, r.type)].append(RecordSpec(r.type, r.name, r.value, r.ttl, r.priority))
    return result


# ------------------------------------------------------------------ rules


def _require_zone(domain: Domain) -> None:
    if domain.status not in (DomainStatus.DNS_CONFIGURED, DomainStatus.READY):
        raise RuleViolation(
            "domain_not_ready",
            "The domain's zone is not set up yet",
            [FieldIssue("domainId", f"DNS records can be managed once the domain is ready (it is {domain.status})", domain.id)],
        )


def _refuse_managed(row: DnsRecord, force: bool) -> None:
    if row.managed and not force:
        raise _managed_violation(row)


def _check_fits(session: Session, domain: Domain, record: RecordInput, *, force: bool, replacing: str | None) -> None:
    """CNAMEs stand alone at their name; Mailwright's sending records are not overridden unforced."""
    same_name = [
        r for r in session.scalars(sa.select(DnsRecord).where(DnsRecord.domain_id == domain.id, DnsRecord.name == record.name))
        if r.id != replacing
    ]
    for r in same_name:
        if r.managed and not force and _clashes(r, record):
            raise _managed_violation(r)
    others = [r for r in same_name if not r.managed or force]
    if record.type == "CNAME" and others or any(r.type == "CNAME" for r in others):
        raise RuleViolation(
            "invalid_fields",
            "Invalid field(s)",
            [FieldIssue("name", "A CNAME cannot share its name with other records", record.name)],
        )


def _clashes(managed: DnsRecord, record: RecordInput) -> bool:
    if "CNAME" in (managed.type, record.type):
        return True
    if managed.type != record.type:
        return False
    if record.type == "TXT" and managed.name == "@":
        # The apex TXT set is shared: other verification strings are welcome, a second SPF is not.
        return record.content.lower().startswith("v=spf1") and managed.value.lower().startswith("v=spf1")
    return True


def _managed_violation(row: DnsRecord) -> RuleViolation:
    return RuleViolation(
        "managed_record",
        f"The {row.type} record at {row.name} is managed by Mailwright for sending",
        [FieldIssue("name", f"{row.type} {row.name} is managed by Mailwright for sending ({row.purpose}); send force: true to change it anyway", row.name)],
    )


def _push(session: Session, runtime: Runtime, domain: Domain, pairs: set[tuple[str, str]]) -> None:
    runtime.enqueue(session, SYNC_DNS_RECORDS_WORKFLOW, f"dns-records-{domain.id}-{new_id()}", domain.id, sorted(pairs))


# ------------------------------------------------------------------ field checks


def _type(issues: FieldIssues, value: Any) -> str | None:
    text = check.text(issues, "type", value, max_length=10)
    if text is None:
        return None
    if text.upper() not in TYPES:
        issues.add("type", "Valid values are " + ", ".join(TYPES), value)
        return None
    return text.upper()


def _name(issues: FieldIssues, value: Any, zone: str | None) -> str | None:
    """Relative to the zone ("@", "www"); a name ending in the zone, or with a trailing dot, is absolute."""
    if value is None or value == "" or value == "@":
        return "@"
    text = check.text(issues, "name", value, max_length=253)
    if text is None:
        return None
    name = text.lower()
    absolute = name.endswith(".")
    name = name.rstrip(".")
    if zone is not None and name == zone:
        return "@"
    if zone is not None and name.endswith("." + zone):
        name = name[: -len(zone) - 1]
    elif zone is not None and (absolute or (name.count(".") and registrable_suffix(name) and registrable_suffix(name) != registrable_suffix(zone))):
        issues.add("name", f"Must be inside the zone {zone}", value)
        return None
    labels = name.split(".")
    if not all(_LABEL.match(label) for label in labels) or "*" in labels[1:] or len(name) + len(zone or "") > 252:
        issues.add("name", "Must be a host name such as www, mail or _dmarc, or @ for the apex", value)
        return None
    return name


def _integer(issues: FieldIssues, field: str, value: Any, low: int, high: int) -> int | None:
    if value is None:
        issues.add(field, check.REQUIRED, None)
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        issues.add(field, f"Must be a whole number from {low} to {high}", check.shown(value))
        return None
    return value


def _content(issues: FieldIssues, rtype: str | None, value: Any, priority: int | None) -> str | None:
    text = check.text(issues, "content", value, max_length=MAX_TXT if rtype == "TXT" else 500)
    if text is None or rtype is None:
        return None
    problem = _content_problem(rtype, text)
    # Without a valid priority an MX or SRV cannot be parsed whole; its priority is reported already.
    if problem is None and rtype != "TXT" and (rtype not in WITH_PRIORITY or priority is not None):
        problem = _rdata_problem(rtype, text, priority)
    if problem:
        issues.add("content", problem, value)
        return None
    if rtype in HOSTNAME_TYPES or rtype == "SRV":
        return _absolute_target(text)
    if rtype == "AAAA":
        return str(ipaddress.IPv6Address(text))
    return text


def _content_problem(rtype: str, text: str) -> str | None:
    if rtype == "A":
        try:
            ipaddress.IPv4Address(text)
        except ValueError:
            return "Must be an IPv4 address such as 192.0.2.10"
    elif rtype == "AAAA":
        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            return "Must be an IPv6 address such as 2001:db8::10"
    elif rtype in HOSTNAME_TYPES:
        if not _is_hostname(text):
            return "Must be a host name such as mail.example.com"
    elif rtype == "SRV":
        parts = text.split()
        if len(parts) != 3 or not all(check.ascii_digits(p) for p in parts[:2]) or not _is_hostname(parts[2]):
            return "Must be 'weight port target', e.g. 5 5060 sip.example.com"
    elif rtype == "TXT" and not text.isprintable():
        return "Must contain printable characters only"
    return None


def _rdata_problem(rtype: str, text: str, priority: int | None) -> str | None:
    """The content as a DNS server would parse it (catches what the checks above do not, e.g. CAA)."""
    rdata_text = f"{priority} {text}" if rtype in WITH_PRIORITY else text
    if rtype in HOSTNAME_TYPES or rtype == "SRV":
        rdata_text = _absolute_target(rdata_text)
    try:
        dns.rdata.from_text("IN", rtype, rdata_text)
    except (dns.exception.DNSException, ValueError):
        return f"Not valid {rtype} record content"
    return None


def _is_hostname(text: str) -> bool:
    labels = text.lower().rstrip(".").split(".")
    return len(labels) >= 2 and all(_LABEL.match(label) and label != "*" for label in labels) and len(text) <= 254


def _absolute_target(text: str) -> str:
    return text if text.endswith(".") else text + "."
