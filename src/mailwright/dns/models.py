from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mailwright.db.base import Base, UTCDateTime
from mailwright.ids import new_id


class DnsRecord(Base):
    """A record Mailwright expects a domain's zone to serve, and what was last seen served."""

    __tablename__ = "dns_records"

    id: Mapped[str] = mapped_column(String(28), primary_key=True, default=new_id)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # mx | spf | dkim | dmarc | tracking
    type: Mapped[str] = mapped_column(String(10))
    # Relative to the zone: "@" for the apex, "_dmarc", "mw1._domainkey" ...
    name: Mapped[str] = mapped_column(String(253))
    value: Mapped[str] = mapped_column(Text)
    ttl: Mapped[int] = mapped_column(Integer, default=3600)
    priority: Mapped[int | None] = mapped_column(Integer, nullable=True)
    managed: Mapped[bool] = mapped_column(Boolean, default=True)
    observed_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    valid: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    last_checked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
