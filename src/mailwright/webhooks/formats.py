"""How an event becomes a request body, per endpoint format. A face that documents its own
webhook envelope adds a renderer here; returning None skips that event for such endpoints."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

from mailwright.clock import iso


@dataclass(frozen=True)
class EventView:
    id: str
    type: str
    account_id: str
    user_id: str | None
    created_at: dt.datetime
    data: dict[str, Any]  # secrets included: only ever put into a request body


Renderer = Callable[[EventView], "dict[str, Any] | None"]

STANDARD = "standard"
RESELLER = "reseller"


def standard_body(event: EventView) -> dict[str, Any]:
    """The Standard Webhooks payload shape: type, timestamp, data (plus the event id)."""
    return {"id": event.id, "type": event.type, "timestamp": iso(event.created_at), "data": event.data}


def reseller_body(event: EventView) -> dict[str, Any] | None:
    """The ColdMailReseller-style envelope {event, eventId, data}, data in that family's names."""
    from mailwright.api.reseller.webhook_bodies import render  # the face documents its own bodies

    return render(event)


FORMATS: dict[str, Renderer] = {STANDARD: standard_body, RESELLER: reseller_body}
