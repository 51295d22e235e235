from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mailwright import clock
from mailwright.db.base import Base, UTCDateTime
from mailwright.ids import new_id


class ResellerUser(Base):
    """An end customer of a reseller account. Domains, mailboxes and orders may belong to one
    (their user_id); the wallet stays the reseller's. NULL user_id means the account itself."""

    __tablename__ = "reseller_users"
    __table_args__ = (UniqueConstraint("account_id", "email_claim", name="uq_reseller_users_account_email"),)

    id: Mapped[str] = mapped_column(String(28), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    # Equal to `email` while the user exists; NULL once deleted, so the address can be reused.
    email_claim: Mapped[str | None] = mapped_column(String(254), nullable=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    company_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    city: Mapped[str | None] = mapped_column(String(100), nullable=True)
    state: Mapped[str | None] = mapped_column(String(100), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    zip_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)
    # Deleted users keep their row (their past orders point at it) but are never visible again.
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
