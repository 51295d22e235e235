"""Billing tests move the one clock; it is always put back, even when a test fails, because the
test process is shared with other tests' background workflows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from mailwright import clock


class MovableClock:
    def at(self, moment: dt.datetime) -> dt.datetime:
        clock.freeze(moment)
        return moment

    def release(self) -> None:
        clock.reset()


@pytest.fixture
def moving_clock() -> Iterator[MovableClock]:
    movable = MovableClock()
    try:
        yield movable
    finally:
        clock.reset()


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.timezone.utc)
