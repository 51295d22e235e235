"""A domain's expected DNS records: reading them, storing what the servers were seen to serve,
and the zone they make."""

from __future__ import annotations

from typing import Any

import dns.rrset
import dns.zone
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright import clock
from mailwright.clock import iso
from mailwright.dns.models import DnsRecord
from mailwright.dns.zone import build_zone, spec_text, with_soa
from mailwright.domains.models import Domain
from mailwright.domains.names import normalize_domain
from mailwright.errors import NotFound
from mailwright.providers.base import DnsHost, RecordSpec

PURPOSE_ORDER = ("mx", "spf", "dkim", "dmarc", "tracking", "extra", "verification")


def records_of(session: Session, domain_id: str) -> list[DnsRecord]:
    rows = session.scalars(sa.select(DnsRecord).where(DnsRecord.domain_id == domain_id)).all()
    return sorted(rows, key=lambda r: (_rank(r.purpose), r.name, r.priority or 0, r.id))


def _rank(purpose: str) -> int:
    return PURPOSE_ORDER.index(purpose) if purpose in PURPOSE_ORDER else len(PURPOSE_ORDER)


def spec_of(row: DnsRecord) -> RecordSpec:
    return RecordSpec(row.type, row.name, row.value, row.ttl, row.priority)


def save_observations(session: Session, seen: dict[str, tuple[str | None, bool]]) -> None:
    now = clock.now()
    for record_id, (observed, valid) in seen.items():
        session.execute(
            sa.update(DnsRecord)
            .where(DnsRecord.id == record_id)
            .values(observed_value=observed, valid=valid, last_checked_at=now)
        )


def record_view(domain: str, row: DnsRecord) -> dict[str, Any]:
    """One record as the API and CLI show it."""
    return {
        "purpose": row.purpose,
        "type": row.type,
        "name": row.name,
        "fqdn": domain if row.name == "@" else f"{row.name}.{domain}",
        "ttl": row.ttl,
        "priority": row.priority,
        "value": spec_text(spec_of(row)),
        "observed_value": row.observed_value,
        "valid": bool(row.valid),
        "last_checked": iso(row.last_checked_at),
    }


def find_domain(session: Session, name: str) -> Domain:
    """For operators: the domain of that name in any account (the live one, else the latest)."""
    normalized = normalize_domain(name) or name.lower().rstrip(".")
    domain = session.scalar(
        sa.select(Domain)
        .where(Domain.name == normalized)
        .order_by(Domain.name_claim.is_(None), Domain.created_at.desc())
        .limit(1)
    )
    if domain is None:
        raise NotFound("domain")
    return domain


def expected_zone(session: Session, dns_host: DnsHost, domain: Domain, soa: dns.rrset.RRset | None) -> dns.zone.Zone:
    """The zone the domain should serve: its records and the DNS host's nameservers, under the SOA
    its servers really answer with (verify.served_soa; the DNS host owns the serial)."""
    specs = [spec_of(row) for row in records_of(session, domain.id)]
    return with_soa(build_zone(domain.name, specs, dns_host.nameservers(domain.name)), soa)
