"""Durable provisioning workflows (DBOS Transact). A workflow's progress is checkpointed after
every step, so a process killed at any point resumes where it stopped on restart.

provision_order
  ├─ provision_domain (one child workflow per new domain, run side by side)
  │     register → DNS zone and records → records verified as served → ready → domain settings → its mailboxes
  └─ provision_mailboxes (mailboxes on domains the account already had: wait until ready)
  then settle the order's status: completed, partially_completed or failed.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from dbos import DBOS
from dbos import error as dbos_errors
from sqlalchemy.exc import OperationalError

from mailwright.dns.verify import verify_dns
from mailwright.domains.models import DomainStatus
from mailwright.providers.base import RetriableError
from mailwright.provisioning import steps
from mailwright.runtime import current

log = logging.getLogger(__name__)


def _transient(error: BaseException) -> bool:
    return isinstance(error, (RetriableError, OperationalError))


def run(step: Callable[..., Any], *args: Any) -> Any:
    """Run a step durably, retrying transient errors with exponential backoff up to a bound."""
    settings = current().settings
    return DBOS.run_step(
        {
            "name": step.__name__,
            "retries_allowed": True,
            "max_attempts": settings.step_max_attempts,
            "interval_seconds": settings.step_retry_seconds,
            "backoff_rate": 2.0,
            "should_retry": _transient,
        },
        step,
        *args,
    )


def run_checked(step: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Like run(), but an item-level failure becomes a failed outcome instead of an exception:
    retries that ran out, or an unexpected error (logged; the item is failed and refunded
    rather than leaving its order unfinished)."""
    try:
        return run(step, *args)
    except dbos_errors.DBOSMaxStepRetriesExceeded as exc:
        last = exc.errors[-1] if exc.errors else exc
        return {"ok": False, "reason": f"Gave up after {exc.max_retries} attempts: {last}"[:500]}
    except dbos_errors.DBOSException:
        raise  # the engine's own signals (cancellation ...) are not ours to swallow
    except Exception as exc:
        log.exception("step %s failed unexpectedly", step.__name__)
        return {"ok": False, "reason": f"Internal error in {step.__name__}: {type(exc).__name__}"}


@DBOS.workflow(name="provision_order")
def provision_order(order_id: str) -> str:
    plan = run(steps.order_plan, order_id)
    handles = [DBOS.start_workflow(provision_domain, d["id"], d["mailboxes"]) for d in plan["domains"]]
    handles += [DBOS.start_workflow(provision_mailboxes, d["id"], d["mailboxes"]) for d in plan["existing"]]
    for handle in handles:
        handle.get_result()
    return run(steps.finish_order, order_id)


@DBOS.workflow(name="provision_domain")
def provision_domain(domain_id: str, mailbox_ids: list[str]) -> None:
    for step in (steps.register_domain, steps.configure_dns, verify_dns, steps.mark_domain_ready):
        outcome = run_checked(step, domain_id)
        if not outcome["ok"]:
            run(steps.fail_domain, domain_id, outcome["reason"])
            return
    run_checked(steps.apply_domain_settings, domain_id)
    _create_mailboxes(mailbox_ids)


@DBOS.workflow(name="provision_mailboxes")
def provision_mailboxes(domain_id: str, mailbox_ids: list[str]) -> None:
    """Mailboxes ordered on a domain the account already had, which may still be on its way."""
    delay, waited = 1.0, 0.0
    limit = current().settings.domain_wait_max_seconds
    while (status := run(steps.domain_status, domain_id)) != DomainStatus.READY:
        if status == DomainStatus.FAILED:
            run(steps.fail_domain, domain_id, "The domain could not be provisioned")
            return
        if waited >= limit:
            for mailbox_id in mailbox_ids:
                run(steps.fail_mailbox, mailbox_id, "Its domain did not become ready in time")
            return
        DBOS.sleep(delay)
        waited += delay
        delay = min(delay * 2, 60.0)
    _create_mailboxes(mailbox_ids)


def _create_mailboxes(mailbox_ids: list[str]) -> None:
    for mailbox_id in mailbox_ids:
        outcome = run_checked(steps.create_mailbox, mailbox_id)
        if not outcome["ok"]:
            run(steps.fail_mailbox, mailbox_id, outcome["reason"])
            continue
        picture = run_checked(steps.fetch_profile_picture, mailbox_id)
        if not picture["ok"]:
            log.warning("profile picture not fetched", extra={"mailbox_id": mailbox_id, "reason": picture["reason"]})
        settings = run_checked(steps.apply_mailbox_settings, mailbox_id)
        if not settings["ok"]:
            log.warning("mailbox settings not applied", extra={"mailbox_id": mailbox_id, "reason": settings["reason"]})
        run(steps.mark_mailbox_live, mailbox_id)


@DBOS.workflow(name="sync_domain_settings")
def sync_domain_settings(domain_id: str) -> None:
    """Applies a changed redirect URL or forwarding address (enqueued by the API)."""
    outcome = run_checked(steps.apply_domain_settings, domain_id)
    if not outcome["ok"]:
        log.warning("domain settings not applied", extra={"domain_id": domain_id, "reason": outcome["reason"]})


@DBOS.workflow(name="sync_mailbox_settings")
def sync_mailbox_settings(mailbox_id: str) -> None:
    """Applies a changed profile picture (enqueued by the API)."""
    outcome = run_checked(steps.apply_mailbox_settings, mailbox_id)
    if not outcome["ok"]:
        log.warning("mailbox settings not applied", extra={"mailbox_id": mailbox_id, "reason": outcome["reason"]})


@DBOS.workflow(name="sync_dns_records")
def sync_dns_records(domain_id: str, pairs: list[list[str]]) -> None:
    """Pushes a customer's DNS record changes to the DNS host (enqueued by the API)."""
    outcome = run_checked(steps.push_dns_records, domain_id, pairs)
    if not outcome["ok"]:
        log.warning("DNS records not applied", extra={"domain_id": domain_id, "reason": outcome["reason"]})

