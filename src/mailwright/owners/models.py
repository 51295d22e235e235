from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mailwright import clock
from mailwright.db.base import Base, UTCDateTime


class ContactColumns:
    """A registrant contact, as registrars need it (owners.service.CONTACT_FIELDS)."""

    email: Mapped[str] = mapped_column(String(254))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    company_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    address: Mapped[str] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))
    zip_code: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str] = mapped_column(String(32))


class DomainOwner(ContactColumns, Base):
    """The registrant contact of an account's domains (one per account, replaced as a whole)."""

    __tablename__ = "domain_owners"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    default_domain_redirect_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    default_email_forward_address: Mapped[str | None] = mapped_column(String(254), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)


class DefaultRegistrant(ContactColumns, Base):
    """The operator's registrant contact: the last resort of orders through the reseller-style
    face (after the user's complete contact and the account's domain owner). One row, id 1."""

    __tablename__ = "default_registrant"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, default=1)
    # Made up by the first `serve` for the sandbox registrar: never used with a real registrar.
    sandbox: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)
