"""The operator's price book: what Mailwright SELLS at, per currency (see catalog/prices.py).

Amounts are integer minor units. A registrar's own answer is its cost, never a selling price."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from mailwright import clock
from mailwright.db.base import Base, UTCDateTime


class DomainPrice(Base):
    """Yearly selling prices of one TLD (a public suffix: com, co.uk) in one currency."""

    __tablename__ = "price_book_domains"
    __table_args__ = (
        CheckConstraint("registration_minor > 0 AND renewal_minor > 0", name="positive"),
        CheckConstraint("premium_max_minor IS NULL OR premium_max_minor > 0", name="premium_max_positive"),
    )

    tld: Mapped[str] = mapped_column(String(63), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    registration_minor: Mapped[int] = mapped_column(BigInteger)
    renewal_minor: Mapped[int] = mapped_column(BigInteger)
    # The most a premium name of this TLD may be sold at; None: premium names are not sold.
    premium_max_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)


class MailboxPrice(Base):
    """Monthly selling price of one mailbox of a provider (GOOGLE, MICROSOFT, ...) in one currency."""

    __tablename__ = "price_book_mailboxes"
    __table_args__ = (CheckConstraint("monthly_minor > 0", name="positive"),)

    provider: Mapped[str] = mapped_column(String(20), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    monthly_minor: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)


class ExchangeRate(Base):
    """What 1 USD costs in `currency`, in millionths (EUR 0.92 -> 920000). USD itself is 1, never stored."""

    __tablename__ = "price_book_rates"
    __table_args__ = (CheckConstraint("per_usd_millionths > 0", name="positive"),)

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    per_usd_millionths: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)
