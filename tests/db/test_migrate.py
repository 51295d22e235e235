"""Migrations at start: a fresh database is migrated whole; one already up to date is recognised
from its stamp without Alembic or DBOS; a stamp of other scripts or another DBOS release migrates
again."""

from __future__ import annotations

import subprocess
import sys

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from mailwright.db import Database, migrate
from tests.conftest import unique


def test_the_head_read_from_the_scripts_is_alembics():
    assert migrate.head_revision() == ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()


def stamp_of(db: Database) -> tuple[str, str] | None:
    with db.engine.connect() as conn:
        row = conn.execute(sa.select(migrate.STAMP.c.revision, migrate.STAMP.c.engine_version)).first()
    return None if row is None else tuple(row)


def test_a_fresh_database_is_migrated_and_stamped_and_a_changed_stamp_migrates_again(database_factory):
    db = Database(database_factory(unique("migrate")))
    try:
        assert not migrate.is_current(db)
        migrate.upgrade(db)
        assert migrate.is_current(db)
        with db.engine.connect() as conn:
            assert sa.inspect(conn).has_table("workflow_status", schema=None if db.is_sqlite else "dbos")  # the engine's too
        engine_version = migrate._engine_version()
        assert stamp_of(db) == (migrate.head_revision(), engine_version)

        with db.engine.begin() as conn:  # as if an older DBOS release had migrated it last
            conn.execute(sa.update(migrate.STAMP).values(engine_version="0.0.1"))
        assert not migrate._stamped_current(db)
        migrate.upgrade(db)
        assert stamp_of(db) == (migrate.head_revision(), engine_version)
        assert migrate._stamped_current(db)
    finally:
        db.dispose()


def test_a_current_database_is_recognised_without_importing_alembic_or_dbos(database_factory, tmp_path):
    url = database_factory(unique("stamped"))
    db = Database(url)
    try:
        migrate.upgrade(db)
    finally:
        db.dispose()
    probe = (
        "import sys\n"
        "from mailwright.db import Database, migrate\n"
        f"migrate.upgrade(Database({url!r}))\n"
        "print(sorted(m for m in ('alembic', 'dbos') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
