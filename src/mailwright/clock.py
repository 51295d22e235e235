"""The one clock. Tests move it; nothing else reads the system time directly, except `real_now`
for pacing calls to outside services, whose rate limits keep real time whatever the clock says."""

from __future__ import annotations

import datetime as dt
import threading

_lock = threading.Lock()
_offset = dt.timedelta(0)
_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """Current time, timezone-aware UTC, shifted by any test offset."""
    if _frozen is not None:
        return _frozen
    return dt.datetime.now(dt.timezone.utc) + _offset


def real_now() -> dt.datetime:
    """The system's time, timezone-aware UTC, never moved by tests (provisioning/slots.py)."""
    return dt.datetime.now(dt.timezone.utc)


def advance(delta: dt.timedelta) -> None:
    global _offset, _frozen
    with _lock:
        if _frozen is not None:
            _frozen += delta
        else:
            _offset += delta


def freeze(at: dt.datetime | None) -> None:
    """Pin the clock at `at` (None releases it)."""
    global _frozen
    with _lock:
        _frozen = at


def reset() -> None:
    global _offset, _frozen
    with _lock:
        _offset, _frozen = dt.timedelta(0), None


def iso(value: dt.datetime | None) -> str | None:
    """RFC 3339 with a Z suffix, second precision, as the API families print times."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
