"""The sandbox's own state. It lives in Mailwright's database but is only ever touched through
the provider protocols, the way a remote registrar or mailbox host keeps its own records."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mailwright import clock
from mailwright.db.base import Base, UTCDateTime


class SandboxCall(Base):
    """Every call the sandbox received, for tests and for the curious."""

    __tablename__ = "sandbox_calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    operation: Mapped[str] = mapped_column(String(40), index=True)
    subject: Mapped[str] = mapped_column(String(254), index=True)
    outcome: Mapped[str] = mapped_column(String(20))  # ok | retriable | terminal | existing | needs_action
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)


class SandboxDomain(Base):
    __tablename__ = "sandbox_domains"

    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    registrar_ref: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(120))
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    nameservers: Mapped[str] = mapped_column(Text, default="")
    web_redirect: Mapped[str | None] = mapped_column(Text, nullable=True)
    web_redirect_masked: Mapped[bool] = mapped_column(Boolean, default=False)
    forward_to: Mapped[str | None] = mapped_column(String(254), nullable=True)
    # The idempotency key of the last renewal, so a repeated renewal answers without extending again.
    renew_key: Mapped[str | None] = mapped_column(String(160), nullable=True)


class SandboxZone(Base):
    __tablename__ = "sandbox_zones"

    zone: Mapped[str] = mapped_column(String(253), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)


class SandboxHostKey(Base):
    """The DKIM key a Google- or Microsoft-like host generates for a domain it hosts mail for."""

    __tablename__ = "sandbox_host_keys"

    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    provider: Mapped[str] = mapped_column(String(20), primary_key=True)
    private_key_pem: Mapped[str] = mapped_column(Text)


class SandboxDnsRecord(Base):
    __tablename__ = "sandbox_dns_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    zone: Mapped[str] = mapped_column(String(253), index=True)
    name: Mapped[str] = mapped_column(String(253))
    type: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(Text)
    ttl: Mapped[int] = mapped_column(Integer)
    priority: Mapped[int | None] = mapped_column(Integer, nullable=True)


class SandboxMailbox(Base):
    __tablename__ = "sandbox_mailboxes"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    provider_ref: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(120))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    picture_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")  # active | suspended
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)


class SandboxAttempt(Base):
    """How often an operation on a subject was tried: `flaky-` names fail the first two times."""

    __tablename__ = "sandbox_attempts"

    operation: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject: Mapped[str] = mapped_column(String(254), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
