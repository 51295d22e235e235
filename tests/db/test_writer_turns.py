"""SQLite writers of one process take turns just before BEGIN IMMEDIATE (db/engine.py): the turn
is taken when SQLite's lock would be, and given back however the transaction ends."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from mailwright.db import Database
from mailwright.db import engine as engine_module


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'turns.db'}")
    with database.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    yield database
    database.dispose()


def turns(db: Database) -> engine_module._WriterTurns:
    return engine_module._turns_of(str(engine_module.Path(db.engine.url.database).resolve()))


def insert(db: Database, text: str) -> None:
    with db.write() as session:
        session.execute(sa.text("INSERT INTO notes (text) VALUES (:text)"), {"text": text})


def test_an_open_write_session_that_has_not_begun_keeps_no_other_writer_out(db):
    """The turn is SQLite's lock's, taken at BEGIN: a session opened and not used yet (a test, a
    request still validating) does not hold it, as it does not hold SQLite's."""
    with db.write() as session:
        other = threading.Thread(target=insert, args=(db, "from another thread"))
        other.start()
        other.join(10)
        assert not other.is_alive()
        session.execute(sa.text("INSERT INTO notes (text) VALUES ('mine')"))
    with db.read() as session:
        assert sorted(session.scalars(sa.text("SELECT text FROM notes"))) == ["from another thread", "mine"]


def test_the_turn_is_given_back_after_a_commit_a_rollback_and_a_failed_statement(db):
    insert(db, "committed")
    with pytest.raises(RuntimeError):
        with db.write() as session:
            session.execute(sa.text("INSERT INTO notes (text) VALUES ('rolled back')"))
            raise RuntimeError("the request failed")
    with pytest.raises(sa.exc.OperationalError):
        with db.write() as session:
            session.execute(sa.text("INSERT INTO no_such_table VALUES (1)"))
    with db.read() as session:  # a reader takes no turn
        assert list(session.scalars(sa.text("SELECT text FROM notes"))) == ["committed"]
    assert turns(db)._holders == set()
    assert not turns(db)._turn.locked()


def test_a_writer_waits_for_the_turn_of_another_and_goes_in_when_it_commits(db):
    began, release = threading.Event(), threading.Event()

    def long_writer() -> None:
        with db.write() as session:
            session.execute(sa.text("INSERT INTO notes (text) VALUES ('first')"))
            began.set()
            release.wait(10)

    first = threading.Thread(target=long_writer)
    first.start()
    assert began.wait(10)
    second = threading.Thread(target=insert, args=(db, "second"))
    second.start()
    second.join(0.3)
    assert second.is_alive()  # waiting for the first writer's turn
    assert turns(db)._turn.locked()
    release.set()
    first.join(10)
    second.join(10)
    assert not second.is_alive()
    with db.read() as session:
        assert list(session.scalars(sa.text("SELECT text FROM notes ORDER BY id"))) == ["first", "second"]
    assert not turns(db)._turn.locked()


def test_engines_of_one_file_share_its_turns(db):
    other = Database(str(db.engine.url))
    try:
        assert turns(other) is turns(db)
    finally:
        other.dispose()
