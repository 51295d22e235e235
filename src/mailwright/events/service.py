"""Recording events. The caller's transaction writes the event together with the change it
reports, plus one delivery per subscribed endpoint and the workflow that sends it: all of it
exists if and only if that transaction commits."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright import clock
from mailwright.events.models import Event
from mailwright.events.types import EVENT_TYPES
from mailwright.ids import new_id
from mailwright.runtime import current

EVENT_ID_PREFIX = "evt_"


def record(
    session: Session,
    *,
    account_id: str,
    type: str,  # noqa: A002 - the event's documented field name
    data: dict[str, Any],
    user_id: str | None = None,
    secret_data: dict[str, Any] | None = None,
) -> Event:
    """Write an event in `session`'s transaction and arrange its delivery after commit.

    `data` is stored as is and must hold no secrets; `secret_data` (e.g. mailbox passwords) is
    stored encrypted and merged into `data` only in the body sent to an endpoint."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}; add it to mailwright.events.types")
    runtime = current()
    event = Event(
        id=EVENT_ID_PREFIX + new_id(),
        account_id=account_id,
        user_id=user_id,
        type=type,
        data=json.dumps(data, sort_keys=True, default=str),
        secret_data_enc=runtime.secrets.encrypt(json.dumps(secret_data, default=str)) if secret_data else None,
        created_at=clock.now(),
    )
    session.add(event)
    session.flush()
    from mailwright.webhooks import service as webhooks  # webhooks builds on events

    webhooks.fan_out(session, runtime, event)
    return event


def events_of(session: Session, account_id: str, *, type: str | None = None, limit: int = 100) -> list[Event]:  # noqa: A002
    """An account's events, oldest first."""
    query = sa.select(Event).where(Event.account_id == account_id)
    if type is not None:
        query = query.where(Event.type == type)
    return list(session.scalars(query.order_by(Event.seq).limit(limit)))
