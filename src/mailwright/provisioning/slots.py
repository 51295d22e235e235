"""Each provider's limits, held across every worker: a call to a provider first takes one of its
role's slots (a row in provider_slots), and gives it back when done.

A role (registrar, dns, or a mailbox provider: provisioning/queues.py) has at most `concurrency`
calls in flight across all workers, `worker_concurrency` in one worker, and `limit` starts per
`period` seconds. A call that finds no free slot waits, looking again every `poll_seconds` (or as
soon as the rate window frees one), and at once when a call of this process gives one of the
role's slots back (one waiter per slot given back: waiters don't stampede the write lock); a
slot given back by another worker is seen at the next look. Nothing polls while no call waits:
an idle worker costs nothing here, and a call with a free slot starts at once.

Taking a slot is one write transaction that sees every other: SQLite's write lock (BEGIN
IMMEDIATE), and on PostgreSQL a transaction-scoped advisory lock per role. A slot is named by its
call ("<workflow id>/<step id>"), so a step run again after a crash finds the slot it held. Slots
of an executor that stopped beating are released by the worker that recovers its workflows
(worker.py), and a worker's own from before a restart when it starts.

Rate windows are measured on the system's clock (clock.real_now), as the providers measure them;
workers on several machines need their clocks in step (NTP), as they do for heartbeats."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright import clock
from mailwright.db import Database
from mailwright.provisioning.models import ProviderSlot
from mailwright.provisioning.queues import QueueLimits


@dataclass(frozen=True)
class Refusal:
    """No slot now; `retry_in` seconds until the rate window frees one (None: until a call ends)."""

    retry_in: float | None


class Slots:
    """The slots of every provider role, for the calls of one executor."""

    def __init__(self, db: Database, executor_id: str, limits: dict[str, QueueLimits], poll_seconds: float) -> None:
        self.db = db
        self.executor_id = executor_id
        self.limits = limits
        self.poll_seconds = poll_seconds
        # Per role: how many slots this process gave back, and its waiters to wake when it does.
        self._lock = threading.Lock()
        self._given_back: dict[str, int] = {}
        self._freed: dict[str, threading.Condition] = {}

    @contextmanager
    def held(self, role: str, holder: str) -> Iterator[None]:
        """Hold one of `role`'s slots for the duration of the block, waiting for one if needed."""
        self.acquire(role, holder)
        try:
            yield
        finally:
            self.release(holder, role)

    def acquire(self, role: str, holder: str) -> None:
        limits = self.limits.get(role, QueueLimits())
        poll = limits.poll_seconds or self.poll_seconds
        freed = self._freed_of(role)
        while True:
            with freed:
                seen = self._given_back.get(role, 0)
            refusal = self.try_acquire(role, holder)
            if refusal is None:
                return
            wait = poll if refusal.retry_in is None else min(poll, refusal.retry_in)
            with freed:
                # A slot given back since this look began: look again now (it may be ours).
                if self._given_back.get(role, 0) == seen:
                    freed.wait(max(wait, 0.001) * random.uniform(0.9, 1.1))  # jitter: waiters don't all look at once

    def try_acquire(self, role: str, holder: str) -> Refusal | None:
        """Take a slot for `holder` if the role's limits allow it now (None), or say why not."""
        limits = self.limits.get(role, QueueLimits())
        now = clock.real_now()
        with self.db.write() as session:
            _lock_role(session, role)
            mine = session.get(ProviderSlot, holder)
            if mine is not None and mine.released_at is None:
                mine.executor_id = self.executor_id  # run again after a crash: still its slot
                return None
            if mine is not None:
                session.delete(mine)  # released (its executor was recovered): this is a new call
                session.flush()
            refusal = self._refusal(session, role, limits, now)
            if refusal is not None:
                return refusal
            session.add(ProviderSlot(holder=holder, role=role, executor_id=self.executor_id, started_at=now))
        return None

    def _refusal(self, session: Session, role: str, limits: QueueLimits, now: dt.datetime) -> Refusal | None:
        # Released calls count only while their start is within the rate window.
        released = sa.delete(ProviderSlot).where(ProviderSlot.role == role, ProviderSlot.released_at.is_not(None))
        window_start = now - dt.timedelta(seconds=limits.period or 0)
        session.execute(released if limits.period is None else released.where(ProviderSlot.started_at <= window_start))
        in_flight = sa.select(sa.func.count()).where(ProviderSlot.role == role, ProviderSlot.released_at.is_(None))
        if limits.concurrency is not None and session.scalar(in_flight) >= limits.concurrency:
            return Refusal(None)
        if limits.worker_concurrency is not None:
            here = session.scalar(in_flight.where(ProviderSlot.executor_id == self.executor_id))
            if here >= limits.worker_concurrency:
                return Refusal(None)
        if limits.limit is not None and limits.period is not None:
            started = list(
                session.scalars(
                    sa.select(ProviderSlot.started_at)
                    .where(ProviderSlot.role == role, ProviderSlot.started_at > window_start)
                    .order_by(ProviderSlot.started_at.desc())
                    .limit(limits.limit)
                )
            )
            if len(started) >= limits.limit:
                # The oldest of the last `limit` starts leaves the window first.
                return Refusal((started[-1] + dt.timedelta(seconds=limits.period) - now).total_seconds())
        return None

    def release(self, holder: str, role: str | None = None) -> None:
        """Give the slot back; kept (released) while its start still counts in a rate window.
        `role`: the slot's, to wake one of this process's calls waiting for it."""
        with self.db.write() as session:
            session.execute(
                sa.update(ProviderSlot)
                .where(ProviderSlot.holder == holder, ProviderSlot.released_at.is_(None))
                .values(released_at=clock.real_now())
            )
        if role is not None:
            freed = self._freed_of(role)
            with freed:
                self._given_back[role] = self._given_back.get(role, 0) + 1
                freed.notify()

    def _freed_of(self, role: str) -> threading.Condition:
        with self._lock:
            return self._freed.setdefault(role, threading.Condition(self._lock))

    def release_executor(self, executor_id: str) -> int:
        """Release every slot `executor_id` holds (it stopped, or this is it starting again)."""
        with self.db.write() as session:
            done = session.execute(
                sa.update(ProviderSlot)
                .where(ProviderSlot.executor_id == executor_id, ProviderSlot.released_at.is_(None))
                .values(released_at=clock.real_now())
            )
        return int(getattr(done, "rowcount", 0) or 0)


def _lock_role(session: Session, role: str) -> None:
    """Serialize slot taking per role on PostgreSQL (SQLite's BEGIN IMMEDIATE already does)."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"mailwright-slots:{role}".encode()).digest()[:8], "big", signed=True)
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


_installed: Slots | None = None


def install(value: Slots | None) -> None:
    """The slots of this process's workflow engine (worker.launch). Kept after it stops: a step
    still finishing then gives its slot back."""
    global _installed
    _installed = value


def installed() -> Slots:
    if _installed is None:
        raise RuntimeError("no provider slots: start workers with provisioning.worker.launch")
    return _installed
