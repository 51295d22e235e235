"""Durable billing workflows (DBOS Transact): the renewal schedule, and bringing providers in
line with what the database records (mailboxes suspended, restored or deleted; a registration
renewed). Provider calls are idempotent, so a step that runs twice does no harm."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import sqlalchemy as sa
from dbos import DBOS

from mailwright import clock
from mailwright.billing import lifecycle, notify, renewals, workspace
from mailwright.billing.models import Subscription, SubscriptionRecord
from mailwright.domains.models import Domain
from mailwright.events import types
from mailwright.mailboxes.models import Mailbox, MailboxStatus
from mailwright.money import Money
from mailwright.providers.base import MailboxHost, TerminalError
from mailwright.provisioning.workflows import run
from mailwright.runtime import Runtime, current
from mailwright.wallet import service as wallet
from mailwright.wallet.models import LedgerEntry

log = logging.getLogger(__name__)

SCHEDULE_NAME = "billing-run-due"


@DBOS.workflow(name="billing_run_due")
def scheduled_run_due(scheduled_at: dt.datetime, context: Any) -> dict[str, Any]:
    """What the schedule fires: one run-due as of mailwright.clock's now (idempotent if repeated)."""
    return run(run_due_now)


def run_due_now() -> dict[str, Any]:
    report = renewals.run_due(current())
    if any(v for k, v in report.as_dict().items() if k != "at"):
        log.info("billing run-due", extra={"report": report.as_dict()})
    return report.as_dict()


def install_schedule(runtime: Runtime) -> None:
    """Create or update the renewal schedule (after DBOS.launch); an empty setting removes it."""
    cron = runtime.settings.billing_schedule.strip()
    if not cron:
        DBOS.delete_schedule(SCHEDULE_NAME)
        return
    DBOS.apply_schedules([{"schedule_name": SCHEDULE_NAME, "workflow_fn": scheduled_run_due, "schedule": cron}])


@DBOS.workflow(name=workspace.SYNC_WORKSPACE_WORKFLOW)
def sync_workspace(subscription_id: str) -> None:
    plan = run(workspace_plan, subscription_id)
    for addresses, provider_ref, status in plan["mailboxes"]:
        run(apply_mailbox_state, plan["provider"], addresses, provider_ref, status)
    if plan["ended"]:
        run(delete_workspace, plan["provider"], plan["domain"])


def workspace_plan(subscription_id: str) -> dict[str, Any]:
    """The host state the database records for the subscription's mailboxes (created ones only),
    each with the addresses it may have at the host: the host's, then its new one if a change of
    address is still on its way there."""
    with current().db.read() as session:
        sub = session.get(Subscription, subscription_id)
        assert sub is not None
        domain = session.get(Domain, sub.domain_id)
        assert domain is not None
        mailboxes = session.scalars(
            sa.select(Mailbox)
            .where(
                Mailbox.domain_id == sub.domain_id,
                Mailbox.provider_ref.is_not(None),
                Mailbox.status.in_((MailboxStatus.LIVE, MailboxStatus.SUSPENDED, MailboxStatus.DELETED)),
            )
            .order_by(Mailbox.email)
        )
        return {
            "provider": sub.provider,
            "domain": domain.name,
            "ended": sub.status == SubscriptionRecord.ENDED,
            "mailboxes": [[list(dict.fromkeys((m.address_at_host, m.email))), m.provider_ref, m.status] for m in mailboxes],
        }


def apply_mailbox_state(provider: str, addresses: list[str], provider_ref: str, status: str) -> None:
    host = current().providers.mailbox_host(provider)
    email = _address_at_host(host, addresses, provider_ref)
    if email is None:
        log.warning("mailbox %s not found at the host; nothing to %s", provider_ref, status)
        return
    try:
        if status == MailboxStatus.SUSPENDED:
            host.suspend_mailbox(email)
        elif status == MailboxStatus.LIVE:
            host.restore_mailbox(email)
        else:
            host.delete_mailbox(email)
    except TerminalError as exc:  # e.g. already gone at the host: nothing left to change
        log.warning("mailbox host refused %s of %s: %s", status, email, exc)


def _address_at_host(host: MailboxHost, addresses: list[str], provider_ref: str) -> str | None:
    """The one address of an unrenamed mailbox; while a change of address may be landing at the
    host, whichever of the two the host has for this very mailbox (None: neither)."""
    if len(addresses) == 1:
        return addresses[0]
    for address in addresses:
        found = host.find_mailbox(address)
        if found is not None and found.provider_ref == provider_ref:
            return address
    return None


def delete_workspace(provider: str, domain: str) -> None:
    current().providers.mailbox_host(provider).delete_workspace(domain)


# A renewal paid right after another one of the same domain waits for that one to reach the
# registrar first: 1, 2, 4 ... 60 seconds apart, about 15 minutes in all, then it is refunded.
EARLIER_RENEWAL_WAITS = tuple(min(2**n, 60) for n in range(20))


@DBOS.workflow(name=renewals.RENEW_REGISTRATION_WORKFLOW)
def renew_registration(domain_id: str, expected_iso: str) -> None:
    """Renew at the registrar what the wallet already paid; refund it if the registrar refuses.
    `expected_iso`: the expiry the payment renews from, to the microsecond."""
    outcome = run(renew_at_registrar, domain_id, expected_iso)
    for seconds in EARLIER_RENEWAL_WAITS:
        if not outcome.get("wait"):
            break
        DBOS.sleep(seconds)
        outcome = run(renew_at_registrar, domain_id, expected_iso)
    if not outcome["ok"]:
        run(undo_domain_renewal, domain_id, expected_iso, outcome["reason"])


def renew_at_registrar(domain_id: str, expected_iso: str) -> dict[str, Any]:
    """Extend the registration from the expiry the payment was for. If the registrar still shows
    an earlier expiry, an earlier paid renewal is on its way: the answer asks to wait for it."""
    rt = current()
    with rt.db.read() as session:
        domain = session.get(Domain, domain_id)
        assert domain is not None
        name = domain.name
    expected = _parse(expected_iso)
    registration = rt.providers.registrar.find_registration(name)
    if registration is not None and registration.expires_at < expected:
        reason = f"An earlier renewal of {name} has not reached the registrar (it shows {clock.iso(registration.expires_at)})"
        return {"ok": False, "wait": True, "reason": reason}
    try:
        rt.providers.registrar.renew(name, 1, expected, idempotency_key=f"renew-{domain_id}-{clock.iso(expected)}")
    except TerminalError as exc:
        return {"ok": False, "reason": f"The registrar refused the renewal: {exc}"[:500]}
    return {"ok": True}


def undo_domain_renewal(domain_id: str, expected_iso: str, reason: str) -> None:
    """Put the expiry back and refund exactly the renewal's charge, once."""
    rt = current()
    expected = _parse(expected_iso)
    with rt.db.write() as session:
        charge = session.scalar(
            sa.select(LedgerEntry).where(LedgerEntry.dedupe_key == f"renewal:domain:{domain_id}:{clock.iso(expected)}")
        )
        domain = session.get(Domain, domain_id)
        assert domain is not None and charge is not None
        session.execute(
            sa.update(Domain)
            .where(Domain.id == domain_id, Domain.expires_at == lifecycle.add_years(expected, 1))
            .values(expires_at=expected)
            .execution_options(synchronize_session=False)
        )
        refunded = wallet.refund(
            session, domain.account_id, Money(-charge.amount_minor, charge.currency),
            f"Refund: renewal of {domain.name} refused by the registrar",
            dedupe_key=f"refund:renewal:domain:{domain_id}:{clock.iso(expected)}", domain_id=domain_id,
        )
        if refunded is not None:
            session.refresh(domain)
            notify.domain_event(session, types.DOMAIN_RENEWAL_FAILED, domain, reason=reason, refunded=True)


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))

