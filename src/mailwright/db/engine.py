"""Engines and transactions. The edge (request handler, workflow step, CLI command) owns the
transaction; services below it only flush."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from mailwright.private_files import private_sqlite_database

SQLITE_BUSY_TIMEOUT_MS = 30_000


class Database:
    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = _create_engine(url, pool_size=pool_size)
        # Writers on SQLite take the write lock up front (BEGIN IMMEDIATE) so that a
        # read-then-write transaction can never fail half way with "database is locked".
        self._write = sessionmaker(self.engine, expire_on_commit=False)
        # Readers see one snapshot for their whole transaction, so an answer assembled from
        # several queries (a balance and the ledger behind it) is consistent. SQLite's deferred
        # transactions are snapshots already; PostgreSQL's default, READ COMMITTED, is not.
        self.reader = (
            self.engine.execution_options(sqlite_begin="DEFERRED")
            if self.is_sqlite
            else self.engine.execution_options(isolation_level="REPEATABLE READ")
        )
        self._read = sessionmaker(self.reader, expire_on_commit=False)

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """One read-write transaction: committed on success, rolled back on any error."""
        with self._write() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only snapshot; must not write."""
        with self._read() as session, session.begin():
            yield session

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def _create_engine(url: str, *, pool_size: int) -> sa.Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=10,
        connect_args={"connect_timeout": 5, "application_name": "mailwright"},
    )


def _sqlite_engine(url: str) -> sa.Engine:
    database = sa.make_url(url).database
    if not database or database == ":memory:":
        raise ValueError("SQLite needs a file (WAL mode); ':memory:' is not supported")
    private_sqlite_database(Path(database))
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN itself.
        dbapi_conn.isolation_level = None
        for pragma in (
            "journal_mode=WAL",
            f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
            "foreign_keys=ON",
            "synchronous=FULL",
        ):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    turns = _turns_of(str(Path(database).resolve()))

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        raw = conn.connection.dbapi_connection
        if mode == "IMMEDIATE":
            turns.take(raw)
        try:
            conn.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            turns.give_back(raw)
            raise

    # The turn is given back once SQLite's lock is: after COMMIT or ROLLBACK (SQLAlchemy has
    # events before them, none after), whether a Connection ends the transaction or the pool
    # resets a connection given back to it.
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(connection: Any) -> None:
        try:
            commit(connection)
        finally:
            turns.give_back(_raw(connection))

    def do_rollback(connection: Any) -> None:
        try:
            rollback(connection)
        finally:
            turns.give_back(_raw(connection))

    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]

    @event.listens_for(engine, "close")
    @event.listens_for(engine, "invalidate")
    def _on_gone(dbapi_conn: Any, _record: Any, *_: Any) -> None:
        turns.give_back(dbapi_conn)

    return engine


def _raw(connection: Any) -> Any:
    return getattr(connection, "dbapi_connection", connection)


class _WriterTurns:
    """The writers of this process on one SQLite file take turns here, just before BEGIN
    IMMEDIATE, and give the turn back just after their COMMIT or ROLLBACK. SQLite's own busy
    handler makes a writer that finds the lock taken sleep, up to 100 ms at a time and more the
    longer it has waited, so under load the lock was often free while its waiters slept, and a
    few of them waited seconds while others went by (32 concurrent orders: p99 4.3 s; 1.1 s with
    turns, at the same rate). A waiter here is woken the moment the writer before it is done.
    Writers of other processes, and the workflow engine's own connections, still meet SQLite's
    lock, as everyone did before."""

    def __init__(self) -> None:
        self._turn = threading.Lock()
        self._holders: set[int] = set()

    def take(self, dbapi_conn: Any) -> None:
        # Bounded as SQLite's own wait is; past it the writer goes on to meet SQLite's lock.
        if self._turn.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            self._holders.add(id(dbapi_conn))

    def give_back(self, dbapi_conn: Any) -> None:
        try:
            self._holders.remove(id(dbapi_conn))
        except KeyError:
            return  # not this connection's turn (a read, a rollback after commit, a timed-out take)
        self._turn.release()


_TURNS: dict[str, _WriterTurns] = {}
_TURNS_LOCK = threading.Lock()


def _turns_of(path: str) -> _WriterTurns:
    """One set of turns per file for every engine of this process (the runtime's, the sandbox
    providers')."""
    with _TURNS_LOCK:
        return _TURNS.setdefault(path, _WriterTurns())
