from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from mailwright import clock
from mailwright.db.base import Base, UTCDateTime


class SecretKeyCheck(Base):
    """A known text encrypted with the newest secret key of the database's processes: a process
    whose keys cannot decrypt it would encrypt or decrypt every secret with the wrong key. One
    row, id 1, written by the first process that starts on the database."""

    __tablename__ = "secret_key_check"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, default=1)
    token: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    # When a newer key (first in MAILWRIGHT_SECRET_KEY) last re-encrypted the token.
    rotated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
