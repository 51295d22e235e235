"""Each provider's limits, held across every worker: a call to a provider first takes one of its
role's slots (a row in provider_slots), and gives it back when done.

A role (registrar, dns, or a mailbox provider: provisioning/queues.py) has at most `concurrency`
calls in flight across all workers, `worker_concurrency` in one worker, and `limit` starts per
`period` seconds. A call that finds no free slot waits, and at once when a call of this process
gives one of the role's slots back (one waiter per slot given back: waiters don't stampede the
write lock). One waiting call per role and process looks again every `poll_seconds` (or as soon
as the rate window frees one), so a slot given back by another worker is seen at its next look;
once it has its slot it hands the turn on. Nothing polls while no call waits: an idle worker
costs nothing here, and a call with a free slot starts at once.

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


# How long a waiting call that is not its role's looker waits before it looks by itself anyway.
LONG_WAIT_SECONDS = 30.0


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
        # Per role: the one waiting call of this process that looks again every poll (its holder).
        self._looker: dict[str, str] = {}

    @contextmanager
    def held(self, role: str, holder: str) -> Iterator[None]:
        """Hold one of `role`'s slots for the duration of the block, waiting for one if needed."""
        self.acquire(role, holder)
        try:
            yield
        finally:
            self.release(holder, role)

    def acquire(self, role: str, holder: str) -> None:
        """Take a slot, waiting as long as it takes. Of this process's calls waiting for the role,
        one looks again every poll (a slot given back by another worker, a rate window passing);
        the others wait until a call of this process gives a slot back, or until that looker
        gets its slot and hands its turn on. Every waiter looking every poll was a write
        transaction per waiter per poll: with a thousand domains waiting, the lock's whole time."""
        limits = self.limits.get(role, QueueLimits())
        poll = limits.poll_seconds or self.poll_seconds
        freed = self._freed_of(role)
        try:
            while True:
                with freed:
                    seen = self._given_back.get(role, 0)
                refusal = self.try_acquire(role, holder)
                if refusal is None:
                    return
                wait = poll if refusal.retry_in is None else min(poll, refusal.retry_in)
                with freed:
                    # A slot given back since this look began: look again now (it may be ours).
                    if self._given_back.get(role, 0) != seen:
                        continue
                    if self._looker.setdefault(role, holder) != holder:
                        wait = max(wait, LONG_WAIT_SECONDS)  # a safety net: woken long before
                    freed.wait(max(wait, 0.001) * random.uniform(0.9, 1.1))  # jitter: waiters don't all look at once
        finally:
            with freed:
                if self._looker.get(role) == holder:
                    del self._looker[role]
                    freed.notify()  # the next waiter looks now, and takes the turn on

    def try_acquire(self, role: str, holder: str) -> Refusal | None:
        """Take a slot for `holder` if the role's limits allow it now (None), or say why not."""
        limits = self.limits.get(role, QueueLimits())
        now = clock.real_now()
        with self.db.write() as session:
            _lock_role(session, role)
            conn = session.connection()
            mine = conn.execute(_HELD, {"holder": holder}).first()
            if mine is not None and mine.released_at is None:
                # Run again after a crash: still its slot.
                conn.execute(_MOVE, {"slot": holder, "executor": self.executor_id})
                return None
            if mine is not None:
                conn.execute(_FORGET, {"holder": holder})  # released (its executor was recovered): a new call
            refusal = self._refusal(conn, role, limits, now)
            if refusal is None:
                conn.execute(_TAKE, {"holder": holder, "role": role, "executor_id": self.executor_id, "started_at": now})
            return refusal

    def _refusal(self, conn: sa.Connection, role: str, limits: QueueLimits, now: dt.datetime) -> Refusal | None:
        # Released calls count only while their start is within the rate window.
        if limits.period is None:
            conn.execute(_FORGET_RELEASED, {"role": role})
        else:
            window_start = now - dt.timedelta(seconds=limits.period)
            conn.execute(_FORGET_RELEASED_BEFORE, {"role": role, "window_start": window_start})
        if limits.concurrency is not None and conn.execute(_IN_FLIGHT, {"role": role}).scalar_one() >= limits.concurrency:
            return Refusal(None)
        if limits.worker_concurrency is not None:
            here = conn.execute(_IN_FLIGHT_HERE, {"role": role, "executor": self.executor_id}).scalar_one()
            if here >= limits.worker_concurrency:
                return Refusal(None)
        if limits.limit is not None and limits.period is not None:
            params = {"role": role, "window_start": window_start, "limit": limits.limit}
            started = list(conn.execute(_LAST_STARTS, params).scalars())
            if len(started) >= limits.limit:
                # The oldest of the last `limit` starts leaves the window first.
                return Refusal((started[-1] + dt.timedelta(seconds=limits.period) - now).total_seconds())
        return None

    def release(self, holder: str, role: str | None = None) -> None:
        """Give the slot back; kept (released) while its start still counts in a rate window.
        `role`: the slot's, to wake one of this process's calls waiting for it."""
        with self.db.write() as session:
            session.connection().execute(_RELEASE, {"slot": holder, "now": clock.real_now()})
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


# Built once: a domain takes and gives back a slot for each of its provider calls, and building
# the statements (and the ORM's unit of work) each time was most of a slot's CPU.
_SLOTS = ProviderSlot.__table__
_HELD = sa.select(_SLOTS.c.released_at).where(_SLOTS.c.holder == sa.bindparam("holder"))
# (An UPDATE's parameters may not be named after its table's columns.)
_MOVE = sa.update(_SLOTS).where(_SLOTS.c.holder == sa.bindparam("slot")).values(executor_id=sa.bindparam("executor"))
_FORGET = sa.delete(_SLOTS).where(_SLOTS.c.holder == sa.bindparam("holder"))
_FORGET_RELEASED = sa.delete(_SLOTS).where(_SLOTS.c.role == sa.bindparam("role"), _SLOTS.c.released_at.is_not(None))
_FORGET_RELEASED_BEFORE = _FORGET_RELEASED.where(_SLOTS.c.started_at <= sa.bindparam("window_start"))
_IN_FLIGHT = sa.select(sa.func.count()).where(_SLOTS.c.role == sa.bindparam("role"), _SLOTS.c.released_at.is_(None))
_IN_FLIGHT_HERE = _IN_FLIGHT.where(_SLOTS.c.executor_id == sa.bindparam("executor"))
_LAST_STARTS = (
    sa.select(_SLOTS.c.started_at)
    .where(_SLOTS.c.role == sa.bindparam("role"), _SLOTS.c.started_at > sa.bindparam("window_start"))
    .order_by(_SLOTS.c.started_at.desc())
    .limit(sa.bindparam("limit"))
)
_TAKE = sa.insert(_SLOTS)
_RELEASE = (
    sa.update(_SLOTS)
    .where(_SLOTS.c.holder == sa.bindparam("slot"), _SLOTS.c.released_at.is_(None))
    .values(released_at=sa.bindparam("now"))
)


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
