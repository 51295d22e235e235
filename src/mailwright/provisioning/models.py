"""Which workflow executors are alive. Each worker process writes a heartbeat; a live worker
hands the unfinished workflows of one that stopped beating back to the queues."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mailwright import clock
from mailwright.db.base import Base, UTCDateTime


class WorkerBeat(Base):
    __tablename__ = "provisioning_workers"

    executor_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)


class ProviderSlot(Base):
    """One call to a provider, holding one of its role's slots while it runs (provisioning/slots.py).

    Rows stay after release until their role's rate window has passed, so the calls started in the
    last `period` can be counted; a slot of an executor that stopped beating is released by the
    worker that recovers its workflows."""

    __tablename__ = "provider_slots"

    # The call: "<workflow id>/<step id>", the same when a step runs again after a crash.
    holder: Mapped[str] = mapped_column(String(200), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), index=True)
    executor_id: Mapped[str] = mapped_column(String(100), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
