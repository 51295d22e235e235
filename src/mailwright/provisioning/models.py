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
