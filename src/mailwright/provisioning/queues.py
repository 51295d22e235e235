"""Provider roles and their limits, and the order workflows' queue.

Every call to a provider holds one of its role's slots while it runs (provisioning/slots.py), so
the role's limits (shared by all workers through the database) are the provider's limits: a burst
of orders waits for slots instead of breaking a registrar's "one call per 10 s".

Roles: "orders" (the order workflows themselves, on a workflow queue), "registrar", "dns",
"exports" (calls to customers' sending platforms), and one per mailbox provider ("GOOGLE",
"MICROSOFT", ...). Limits come from MAILWRIGHT_QUEUE_LIMITS (JSON); a role it does not name gets
DEFAULTS, and the registrar and DNS host roles the pace their adapter declares from its
provider's documented rate limit (`STEP_RATE`: steps per period), so a burst of orders waits
instead of being refused by the provider."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from mailwright.config import MAILBOX_PROVIDERS
from mailwright.runtime import PROVISIONING_QUEUE

if TYPE_CHECKING:
    from mailwright.providers.registry import Providers

ORDERS = "orders"
REGISTRAR = "registrar"
DNS = "dns"
EXPORTS = "exports"
ROLES = (ORDERS, REGISTRAR, DNS, EXPORTS, *MAILBOX_PROVIDERS)
# The order workflows' queue keeps the name it always had; provider queues are prefixed.
ORDERS_QUEUE = PROVISIONING_QUEUE


@dataclass(frozen=True)
class QueueLimits:
    concurrency: int | None = None  # in flight across all workers
    worker_concurrency: int | None = None  # in flight in one worker
    limit: int | None = None  # at most `limit` starts ...
    period: float | None = None  # ... per `period` seconds
    # How often a call waiting for one of the role's slots looks again (for "orders": how often
    # workers look for orders to process); None: MAILWRIGHT_QUEUE_POLL_SECONDS.
    poll_seconds: float | None = None


DEFAULTS = {
    ORDERS: QueueLimits(), REGISTRAR: QueueLimits(concurrency=4), DNS: QueueLimits(concurrency=8), EXPORTS: QueueLimits(concurrency=4)
} | {
    provider: QueueLimits(concurrency=8) for provider in MAILBOX_PROVIDERS
}


# Provider calls ran as workflows on queues of these names before they held slots; a worker
# deletes them at start so that nothing polls them any more.
RETIRED_QUEUES = tuple(f"provider-{role}" for role in (REGISTRAR, DNS, *MAILBOX_PROVIDERS))


def parse_queue_limits(text: str, defaults: dict[str, QueueLimits] | None = None) -> dict[str, QueueLimits]:
    """Every role's limits: DEFAULTS (with `defaults` over them), overridden per role by the JSON
    text. ValueError if invalid."""
    try:
        raw = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise ValueError(f"queue limits must be JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ValueError("queue limits must be a JSON object of role -> limits")
    limits = DEFAULTS | (defaults or {})
    for role, values in raw.items():
        if role not in ROLES:
            raise ValueError(f"unknown queue role {role!r}; roles are {', '.join(ROLES)}")
        limits[role] = _limits(role, values)
    return limits


def _limits(role: str, values: Any) -> QueueLimits:
    if not isinstance(values, dict) or set(values) - {"concurrency", "worker_concurrency", "limit", "period", "poll_seconds"}:
        raise ValueError(f"limits of {role!r} must be an object with concurrency, worker_concurrency, limit, period, poll_seconds")
    for key in ("concurrency", "worker_concurrency", "limit"):
        value = values.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise ValueError(f"{role}.{key} must be a positive integer")
    period = values.get("period")
    if period is not None and (not isinstance(period, (int, float)) or isinstance(period, bool) or period <= 0):
        raise ValueError(f"{role}.period must be a positive number of seconds")
    poll = values.get("poll_seconds")
    if poll is not None and (not isinstance(poll, (int, float)) or isinstance(poll, bool) or poll <= 0):
        raise ValueError(f"{role}.poll_seconds must be a positive number of seconds")
    if (values.get("limit") is None) != (period is None):
        raise ValueError(f"{role}: limit and period go together")
    concurrency, per_worker = values.get("concurrency"), values.get("worker_concurrency")
    if concurrency is not None and per_worker is not None and per_worker > concurrency:
        raise ValueError(f"{role}.worker_concurrency must not exceed its concurrency")
    return QueueLimits(
        concurrency, per_worker, values.get("limit"), float(period) if period is not None else None, float(poll) if poll is not None else None
    )


def paced_by_providers(providers: Providers) -> dict[str, QueueLimits]:
    """The limits of the registrar, the DNS host and each mailbox host paced as their adapters
    declare (STEP_RATE: at most `limit` steps per `period` seconds, within the provider's
    documented rate limit). One provider in both the registrar's and the DNS host's role shares one
    budget: each of its roles gets half of it."""
    paced: dict[str, QueueLimits] = {}
    shared = providers.registrar_name == providers.dns_host_name
    for role, adapter in ((REGISTRAR, providers.registrar), (DNS, providers.dns_host)):
        rate = getattr(adapter, "STEP_RATE", None)
        if rate is not None:
            limit, period = rate
            paced[role] = replace(DEFAULTS[role], limit=max(1, limit // 2) if shared else limit, period=float(period))
    for provider, host in providers.mailbox_hosts.items():
        rate = getattr(host, "STEP_RATE", None)
        if rate is not None:
            paced[provider] = replace(DEFAULTS[provider], limit=rate[0], period=float(rate[1]))
    return paced


def limits_of(settings: Any, providers: Providers | None = None) -> dict[str, QueueLimits]:
    """Every role's limits as configured: MAILWRIGHT_QUEUE_LIMITS over the providers' paces."""
    paced = paced_by_providers(providers) if providers is not None else {}
    return parse_queue_limits(settings.queue_limits, paced)


def register_orders_queue(settings: Any, limits: QueueLimits) -> None:
    """Write the order workflows' queue configuration to the system database (after DBOS.launch),
    and retire the provider queues of earlier versions."""
    from dbos import DBOS

    DBOS.register_queue(
        ORDERS_QUEUE,
        global_concurrency=limits.concurrency,
        worker_concurrency=limits.worker_concurrency,
        limiter=_limiter(limits, settings.is_sqlite),
        polling_interval_sec=limits.poll_seconds or settings.queue_poll_seconds,
        on_conflict="always_update",
    )
    for queue in DBOS.list_queues():
        if queue.name in RETIRED_QUEUES:
            DBOS.delete_queue(queue.name)


def _limiter(limits: QueueLimits, sqlite: bool) -> dict[str, Any] | None:
    if limits.limit is None or limits.period is None:
        return None
    period = limits.period
    if sqlite and sys.version_info < (3, 12):
        # There DBOS stamps queue starts with SQLite's whole-second clock, so two starts one
        # period apart by the stamps may be up to a second closer in fact: widen the window by
        # that second so the provider never sees more than `limit` calls per `period`.
        period += 1.0
    return {"limit": limits.limit, "period": period}
