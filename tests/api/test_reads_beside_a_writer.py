"""A request that only reads is answered while a writer holds the database's write lock: the key
check and the read are reads (on SQLite: BEGIN DEFERRED, no writer's turn), never queued behind
a long write such as a 5,000-domain order."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from mailwright.runtime import Runtime


def test_an_authenticated_read_does_not_wait_for_a_writer(runtime: Runtime, api):
    assert api.get("/rest/v2/domains/providers").status_code == 200
    answers: list[tuple[int, float]] = []

    def read() -> None:
        began = time.monotonic()
        answers.append((api.get("/rest/v2/domains/providers").status_code, time.monotonic() - began))

    with runtime.db.write() as session:
        session.execute(sa.text("UPDATE accounts SET name = name WHERE id = ''"))  # the write lock is ours now
        reader = threading.Thread(target=read)
        reader.start()
        reader.join(10)
        assert not reader.is_alive(), "the read waited for the writer"
    (status, seconds), = answers
    assert status == 200 and seconds < 5, answers
