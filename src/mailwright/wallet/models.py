from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from mailwright import clock
from mailwright.db.base import Base, UTCDateTime
from mailwright.ids import new_id


class LedgerEntry(Base):
    """One movement of money. The balance of a wallet is the sum of its entries."""

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_entries_account_created", "account_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(28), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    # Signed: credits and refunds positive, debits negative.
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(20))  # credit | debit | refund
    description: Mapped[str] = mapped_column(String(300))
    order_id: Mapped[str | None] = mapped_column(String(28), index=True, nullable=True)
    domain_id: Mapped[str | None] = mapped_column(String(28), nullable=True)
    mailbox_id: Mapped[str | None] = mapped_column(String(28), nullable=True)
    # What a renewal paid for (see mailwright.billing).
    subscription_id: Mapped[str | None] = mapped_column(String(28), index=True, nullable=True)
    # Makes a movement that may be attempted twice (a refund in a retried step) happen once.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
