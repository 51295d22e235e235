"""Schema migrations: Mailwright's tables (Alembic) and the workflow engine's (DBOS), in one go.

Safe to run from several processes at once: PostgreSQL takes an advisory lock, SQLite's
BEGIN IMMEDIATE already lets one migrator in at a time."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from dbos import DBOS

from mailwright.db.engine import Database

_LOCK_ID = 0x6D61696C77  # "mailw"
SCRIPT_LOCATION = str(Path(__file__).resolve().parent.parent / "migrations")


def alembic_config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def upgrade(db: Database) -> None:
    with db.engine.begin() as conn:
        if not db.is_sqlite:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        command.upgrade(alembic_config(conn), "head")
    DBOS.migrate(db.url)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_current(db: Database) -> bool:
    return current_revision(db) == head_revision()
