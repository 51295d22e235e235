"""Durable provisioning workflows (DBOS Transact). A workflow's progress is checkpointed after
every step, so a process killed at any point resumes where it stopped (see worker.py).

provision_order                                        (queue "provisioning")
  ├─ provision_domain, one per new domain, side by side:
  │     register → DNS zone → nameservers → [the mailbox host owns the domain: added, proof served,
  │     verified] → DNS records → records verified as served, then ready → settings
  │     → for each mailbox: create, then live; or if a picture or settings wait: create
  │       → picture fetched → settings (profile picture) → live
  └─ provision_mailboxes (mailboxes on domains the account already had: wait until ready)
  then settle the order: completed, partially_completed, failed, or needs_action.

Every provider call is a step of the workflow that holds one of its provider role's slots while
it runs (slots.py), so the role's concurrency and rate limits hold across all workers. Its
outcome decides: ok → next step; retry → back off and call again, up to a bound; failed → fail
the item (refunded); needs_action → park the item for a person (not refunded; `orders retry`).
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from dbos import DBOS
from dbos import error as dbos_errors
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from mailwright.domains.models import DomainStatus
from mailwright.providers.base import RetriableError
from mailwright.provisioning import slots, steps
from mailwright.provisioning.steps import FAILED, MAILBOX_HOST, NEEDS_ACTION, OK, RETRY, Outcome
from mailwright.runtime import current

log = logging.getLogger(__name__)
MAX_RETRY_PAUSE_SECONDS = 300.0


def _transient(error: BaseException) -> bool:
    # PoolTimeout: every pooled connection busy for pool_timeout (a thousand domains provisioning
    # at once on SQLite): our own database's contention, never a reason to fail the item.
    return isinstance(error, (RetriableError, OperationalError, PoolTimeout))


def run(step: Callable[..., Any], *args: Any, name: str | None = None) -> Any:
    """Run a step durably in the calling workflow (checkpointed as `name`, by default the step's
    own); database hiccups (SQLite busy, a dropped connection, no pooled connection free in
    time) and transient provider errors
    raised by steps that call providers directly (billing's) are retried with exponential
    backoff up to a bound."""
    settings = current().settings
    return DBOS.run_step(
        {
            "name": name or step.__name__,
            "retries_allowed": True,
            "max_attempts": settings.step_max_attempts,
            "interval_seconds": settings.step_retry_seconds,
            "backoff_rate": 2.0,
            "should_retry": _transient,
        },
        step,
        *args,
    )


def call_provider(role: str, step_name: str, *args: Any) -> Outcome:
    """One provider step, holding one of its role's slots (the same slot if the step runs again
    after a crash: it is named by the workflow and step)."""
    with slots.installed().held(role, f"{DBOS.workflow_id}/{DBOS.step_id}"):
        return steps.PROVIDER_STEPS[step_name](*args)


def _call(role: str, step_name: str, *args: Any) -> Outcome:
    try:
        return run(call_provider, role, step_name, *args, name=step_name)
    except dbos_errors.DBOSMaxStepRetriesExceeded as exc:
        return steps.retry(f"Database unavailable during {step_name}: {exc.errors[-1] if exc.errors else exc}")
    except dbos_errors.DBOSException:
        raise  # the engine's own signals (cancellation ...) are not ours to swallow
    except Exception as exc:
        # A bug, not the provider: fail the item (refunded) rather than leave the order unfinished.
        log.exception("step %s failed unexpectedly", step_name)
        return steps.failed(f"Internal error in {step_name}: {type(exc).__name__}")


def attempt(step: Callable[..., Outcome], *args: Any, provider: str = "", wait_for_person: bool = False) -> Outcome:
    """Call a provider step; retry transient errors with exponential backoff up to
    step_max_attempts. Never returns RETRY. After the last attempt the item fails, or with
    `wait_for_person` waits for one (needs_action)."""
    settings = current().settings
    role = provider if step.role == MAILBOX_HOST else step.role  # type: ignore[attr-defined]
    pause = settings.step_retry_seconds
    for number in range(1, settings.step_max_attempts + 1):
        outcome = _call(role, step.__name__, *args)
        if outcome["result"] != RETRY:
            return outcome
        if number < settings.step_max_attempts:
            DBOS.sleep(min(max(pause, outcome.get("retry_after") or 0.0), MAX_RETRY_PAUSE_SECONDS))
            pause *= 2
    gave_up = f"Gave up after {settings.step_max_attempts} attempts: {outcome['reason']}"
    return steps.needs_action(f"{gave_up}. {steps.ONCE_DONE}") if wait_for_person else steps.failed(gave_up)


# ------------------------------------------------------------------ workflows


@DBOS.workflow(name="provision_order")
def provision_order(order_id: str) -> str:
    plan = run(steps.order_plan, order_id)
    handles = [
        DBOS.start_workflow(provision_domain, d["id"], d["provider"], d["mailboxes"], d["host_domains"]) for d in plan["domains"]
    ]
    handles += [
        DBOS.start_workflow(provision_mailboxes, d["id"], d["provider"], d["mailboxes"]) for d in plan["existing"]
    ]
    for handle in handles:
        handle.get_result()
    return run(steps.finish_order, order_id)


@DBOS.workflow(name="provision_domain")
def provision_domain(domain_id: str, provider: str, mailbox_ids: list[str], host_domains: bool) -> None:
    if not _domain_step(steps.register_domain, domain_id, provider=provider):
        return
    zone = attempt(steps.create_dns_zone, domain_id, provider=provider)
    if not _settle_domain(zone, domain_id):
        return
    if not _domain_step(steps.delegate_nameservers, domain_id, zone.get("nameservers", []), provider=provider):
        return
    if host_domains and not _host_owns_domain(domain_id, provider):
        return
    if not _domain_step(steps.publish_dns_records, domain_id, provider=provider):
        return
    # Real DNS queries to the authoritative servers, not a provider call: holds no slot. Verified,
    # the domain is ready.
    ready = run(steps.verify_dns_records, domain_id)
    if not _settle_domain(ready, domain_id):
        return
    # Most orders set no redirect nor forwarding: then no queued call at all. (A checkpoint from
    # before `settings_pending` existed has none: the settings are applied, as they were then.)
    if ready.get("settings_pending", True):
        _domain_settings(domain_id, provider)
    _create_mailboxes(provider, mailbox_ids)


def _host_owns_domain(domain_id: str, provider: str) -> bool:
    """Mailbox hosts that must own the domain first (Google Workspace, Microsoft 365): added
    there, its proof of ownership served, then verified by the host. True to go on."""
    added = attempt(steps.add_host_domain, domain_id, provider=provider)
    if not _settle_domain(added, domain_id):
        return False
    if not added.get("proof"):
        return True  # the host needs no proof (the sandbox)
    if not _domain_step(steps.publish_host_proof, domain_id, provider=provider):
        return False
    if not _settle_domain(run(steps.verify_host_proof, domain_id), domain_id):
        return False
    # The host's own look at the records may lag behind ours (its resolvers' caches): retried,
    # and after the last attempt the bought domain waits for a person, never refunded unseen.
    return _settle_domain(attempt(steps.verify_host_domain, domain_id, provider=provider, wait_for_person=True), domain_id)


def _domain_step(step: Callable[..., Outcome], *args: Any, provider: str) -> bool:
    return _settle_domain(attempt(step, *args, provider=provider), args[0])


def _settle_domain(outcome: Outcome, domain_id: str) -> bool:
    """True to go on; otherwise the domain is failed (refunded, with its mailboxes) or parked."""
    if outcome["result"] == FAILED:
        run(steps.fail_domain, domain_id, outcome["reason"])
    elif outcome["result"] == NEEDS_ACTION:
        run(steps.park_domain, domain_id, outcome["reason"])
    return outcome["result"] == OK


@DBOS.workflow(name="provision_mailboxes")
def provision_mailboxes(domain_id: str, provider: str, mailbox_ids: list[str]) -> None:
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
    _create_mailboxes(provider, mailbox_ids)


def _create_mailboxes(provider: str, mailbox_ids: list[str]) -> None:
    """One after the other: a failed or parked mailbox does not stop the rest, nor fail its domain."""
    for mailbox_id in mailbox_ids:
        outcome = attempt(steps.create_mailbox, mailbox_id, provider=provider)
        if outcome["result"] == FAILED:
            run(steps.fail_mailbox, mailbox_id, outcome["reason"])
            continue
        if outcome["result"] == NEEDS_ACTION:
            run(steps.park_mailbox, mailbox_id, outcome["reason"])
            continue
        if outcome.get("settled"):
            continue  # live (nothing waited), or nothing left to do
        if _fetch_picture(mailbox_id).get("settings_pending", True):
            _mailbox_settings(mailbox_id, provider)
        run(steps.mark_mailbox_live, mailbox_id)


def _domain_settings(domain_id: str, provider: str) -> None:
    """Redirect and forwarding are extras: a refusal is logged, the domain stays usable."""
    outcome = attempt(steps.apply_domain_settings, domain_id, provider=provider)
    if outcome["result"] != OK:
        log.warning("domain settings not applied", extra={"domain_id": domain_id, "reason": outcome["reason"]})


def _fetch_picture(mailbox_id: str) -> Outcome:
    """A picture ordered by URL; one that cannot be fetched is noted on the mailbox, which goes on."""
    try:
        outcome = run(steps.fetch_profile_picture, mailbox_id)
    except dbos_errors.DBOSException:
        raise
    except Exception as exc:
        log.exception("profile picture fetch failed unexpectedly")
        outcome = steps.failed(f"Internal error fetching the picture: {type(exc).__name__}")
    if outcome["result"] != OK:
        log.warning("profile picture not fetched", extra={"mailbox_id": mailbox_id, "reason": outcome["reason"]})
    return outcome


def _mailbox_settings(mailbox_id: str, provider: str) -> None:
    outcome = attempt(steps.apply_mailbox_settings, mailbox_id, provider=provider)
    if outcome["result"] != OK:
        log.warning("mailbox settings not applied", extra={"mailbox_id": mailbox_id, "reason": outcome["reason"]})


@DBOS.workflow(name="sync_domain_settings")
def sync_domain_settings(domain_id: str) -> None:
    """Applies a changed redirect URL or forwarding address (enqueued by the API)."""
    _domain_settings(domain_id, run(steps.domain_provider, domain_id))


@DBOS.workflow(name="sync_mailbox_settings")
def sync_mailbox_settings(mailbox_id: str) -> None:
    """Applies a changed address, names or profile picture (enqueued by the API)."""
    _mailbox_settings(mailbox_id, run(steps.mailbox_provider, mailbox_id))


@DBOS.workflow(name="sync_dns_records")
def sync_dns_records(domain_id: str, pairs: list[list[str]]) -> None:
    """Pushes a customer's DNS record changes to the DNS host (enqueued by the API)."""
    outcome = attempt(steps.push_dns_records, domain_id, pairs)
    if outcome["result"] != OK:
        log.warning("DNS records not applied", extra={"domain_id": domain_id, "reason": outcome["reason"]})
