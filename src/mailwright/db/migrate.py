"""Schema migrations: Mailwright's tables (Alembic) and the workflow engine's (DBOS), in one go.

Safe to run from several processes at once: PostgreSQL takes an advisory lock, SQLite's
BEGIN IMMEDIATE already lets one migrator in at a time.

Every command and server migrates at start, so the common case, a database that is already up to
date, is answered from one small table (`schema_stamp`: the Alembic head and the DBOS release that
last migrated it) without importing Alembic or DBOS at all; a command line call then starts in
about half the time."""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from mailwright.db.engine import Database

if TYPE_CHECKING:
    from alembic.config import Config

_LOCK_ID = 0x6D61696C77  # "mailw"
SCRIPT_LOCATION = str(Path(__file__).resolve().parent.parent / "migrations")
VERSIONS = Path(SCRIPT_LOCATION) / "versions"
_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*['\"]?([\w.-]+|None)['\"]?\s*$", re.M)
STAMP = sa.Table(
    "schema_stamp",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("revision", sa.String(64), nullable=False),
    sa.Column("engine_version", sa.String(64), nullable=False),
)


def alembic_config(connection: sa.Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def upgrade(db: Database) -> None:
    if _stamped_current(db):
        return
    from alembic import command
    from dbos import DBOS

    with _locked(db) as conn:
        command.upgrade(alembic_config(conn), "head")
    DBOS.migrate(db.url)
    with _locked(db) as conn:
        STAMP.create(conn, checkfirst=True)
        conn.execute(sa.delete(STAMP))
        conn.execute(sa.insert(STAMP).values(id=1, revision=head_revision(), engine_version=_engine_version()))


@contextmanager
def _locked(db: Database) -> Iterator[sa.Connection]:
    """A transaction that one migrating process at a time is in."""
    with db.engine.begin() as conn:
        if not db.is_sqlite:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        yield conn


@cache
def head_revision() -> str | None:
    """The newest revision of the migration scripts: the one no other script revises. (Read from
    the scripts' `revision =` lines, as Alembic does, without importing Alembic; a test checks that
    Alembic agrees.)"""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in VERSIONS.glob("*.py"):
        found = dict(_REVISION.findall(script.read_text()))
        revisions.add(found["revision"])
        if found.get("down_revision", "None") != "None":
            revised.add(found["down_revision"])
    heads = revisions - revised
    if len(heads) > 1:
        raise RuntimeError(f"the migrations have several heads: {', '.join(sorted(heads))}")
    return next(iter(heads), None)


def current_revision(db: Database) -> str | None:
    with db.read() as session:
        conn = session.connection()
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.scalar(sa.text("SELECT version_num FROM alembic_version"))


def is_current(db: Database) -> bool:
    return current_revision(db) == head_revision()


def _engine_version() -> str:
    return importlib.metadata.version("dbos")


def _stamped_current(db: Database) -> bool:
    """Whether the last full migration was of these very scripts and this DBOS release."""
    with db.read() as session:
        conn = session.connection()
        if not sa.inspect(conn).has_table(STAMP.name):
            return False
        row = conn.execute(sa.select(STAMP.c.revision, STAMP.c.engine_version).where(STAMP.c.id == 1)).first()
    return row is not None and tuple(row) == (head_revision(), _engine_version())

