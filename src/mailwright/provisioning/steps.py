"""The steps of provisioning. Each may run more than once (a crash between the provider's answer
and the checkpoint), so each looks at the current state first, calls providers with idempotency
keys derived from stable ids, and records its result with compare-and-set.

Steps return plain dicts ({"ok": bool, "reason": str}) so the workflow branches on data;
transient provider errors are raised and retried by the workflow engine."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright import clock
from mailwright.db.cas import transition
from mailwright.dns import custom_records
from mailwright.dns.dkim import dkim_txt_value, generate_private_key_pem
from mailwright.dns.models import DnsRecord
from mailwright.dns.records import DKIM_SELECTOR, sending_records
from mailwright.dns.zone import checked_zone
from mailwright.domains.models import Domain, DomainStatus
from mailwright.events import orders as order_events
from mailwright.mailboxes import pictures
from mailwright.mailboxes import service as mailboxes
from mailwright.mailboxes.models import Mailbox, MailboxStatus, ProfilePicture
from mailwright.money import Money
from mailwright.orders.models import Order, OrderStatus
from mailwright.providers.base import Contact, TerminalError
from mailwright.runtime import current
from mailwright.wallet import service as wallet

OK: dict[str, Any] = {"ok": True}


def _failed(reason: str) -> dict[str, Any]:
    return {"ok": False, "reason": reason[:500]}


def order_plan(order_id: str) -> dict[str, Any]:
    """The order's new domains with their mailboxes, and its mailboxes on existing domains."""
    with current().db.read() as session:
        domain_ids = list(session.scalars(sa.select(Domain.id).where(Domain.order_id == order_id).order_by(Domain.name)))
        rows = session.execute(
            sa.select(Mailbox.id, Mailbox.domain_id).where(Mailbox.order_id == order_id).order_by(Mailbox.email)
        ).all()
    by_domain: dict[str, list[str]] = {}
    for mailbox_id, domain_id in rows:
        by_domain.setdefault(domain_id, []).append(mailbox_id)
    return {
        "domains": [{"id": d, "mailboxes": by_domain.pop(d, [])} for d in domain_ids],
        "existing": [{"id": d, "mailboxes": m} for d, m in by_domain.items()],
    }


def register_domain(domain_id: str) -> dict[str, Any]:
    rt = current()
    with rt.db.read() as session:
        domain = session.get(Domain, domain_id)
        if domain is None or domain.status != DomainStatus.ORDERED:
            return OK
        name, years, contact = domain.name, domain.years, Contact(**json.loads(domain.owner_snapshot))
    try:
        registration = rt.providers.registrar.register(name, years, contact, idempotency_key=f"domain-{domain_id}")
    except TerminalError as exc:
        return _failed(f"Registration refused: {exc}")
    with rt.db.write() as session:
        transition(
            session,
            Domain,
            domain_id,
            DomainStatus.ORDERED,
            status=DomainStatus.REGISTERED,
            registered_at=clock.now(),
            expires_at=registration.expires_at,
        )
    return OK


def configure_dns(domain_id: str) -> dict[str, Any]:
    rt = current()
    with rt.db.read() as session:
        domain = session.get(Domain, domain_id)
        if domain is None or domain.status != DomainStatus.REGISTERED:
            return OK
        name, provider = domain.name, domain.provider
    try:
        nameservers = rt.providers.dns_host.ensure_zone(name)
        rt.providers.registrar.set_nameservers(name, nameservers)
        setup = rt.providers.mailbox_host(provider).mail_setup(name)
        own_dkim = None if setup.dkim is not None else dkim_txt_value(_domain_dkim_key(domain_id))
        planned = sending_records(
            setup,
            own_dkim=own_dkim,
            dmarc_rua=rt.settings.dmarc_rua,
            tracking_label=rt.settings.tracking_cname_label,
            tracking_target=rt.settings.tracking_cname_target,
        )
        checked_zone(name, [p.spec for p in planned], nameservers)  # ZoneRejected: nothing published
        rt.providers.dns_host.replace_records(name, [p.spec for p in planned])
    except TerminalError as exc:
        return _failed(f"DNS for {name} could not be set up: {exc}")
    with rt.db.write() as session:
        session.execute(sa.delete(DnsRecord).where(DnsRecord.domain_id == domain_id, DnsRecord.managed.is_(True)))
        for p in planned:
            session.add(
                DnsRecord(
                    domain_id=domain_id,
                    purpose=p.purpose,
                    type=p.spec.type,
                    name=p.spec.name,
                    value=p.spec.value,
                    ttl=p.spec.ttl,
                    priority=p.spec.priority,
                )
            )
        transition(session, Domain, domain_id, DomainStatus.REGISTERED, status=DomainStatus.DNS_CONFIGURED)
    return OK


def _domain_dkim_key(domain_id: str) -> str:
    """The domain's own signing key, generated once and kept encrypted."""
    rt = current()
    with rt.db.write() as session:
        domain = session.get(Domain, domain_id)
        assert domain is not None
        if domain.dkim_private_key_enc is None:
            domain.dkim_selector = DKIM_SELECTOR
            domain.dkim_private_key_enc = rt.secrets.encrypt(generate_private_key_pem())
        return rt.secrets.decrypt(domain.dkim_private_key_enc)


def mark_domain_ready(domain_id: str) -> dict[str, Any]:
    with current().db.write() as session:
        if transition(
            session, Domain, domain_id, DomainStatus.DNS_CONFIGURED, status=DomainStatus.READY, ready_at=clock.now()
        ):
            order_events.domain_ready(session, domain_id)
    return OK


def domain_status(domain_id: str) -> str:
    with current().db.read() as session:
        status = session.scalar(sa.select(Domain.status).where(Domain.id == domain_id))
    return status or DomainStatus.FAILED


def fail_domain(domain_id: str, reason: str) -> None:
    """Fail the domain and the mailboxes waiting on it; refund each exactly its own price."""
    with current().db.write() as session:
        domain = session.get(Domain, domain_id)
        assert domain is not None
        if transition(
            session, Domain, domain_id, DomainStatus.IN_PROGRESS, status=DomainStatus.FAILED, failure_reason=reason, name_claim=None
        ):
            wallet.refund(
                session,
                domain.account_id,
                Money(domain.price_minor, domain.currency),
                f"Refund: domain {domain.name} could not be provisioned",
                dedupe_key=f"refund:domain:{domain_id}",
                order_id=domain.order_id,
                domain_id=domain_id,
            )
            order_events.domain_failed(session, domain_id)
        waiting = session.scalars(
            sa.select(Mailbox.id).where(Mailbox.domain_id == domain_id, Mailbox.status == MailboxStatus.ORDERED)
        )
        for mailbox_id in list(waiting):
            _fail_mailbox(session, mailbox_id, f"Its domain could not be provisioned: {reason}")


def fail_mailbox(mailbox_id: str, reason: str) -> None:
    with current().db.write() as session:
        _fail_mailbox(session, mailbox_id, reason)


def _fail_mailbox(session: Session, mailbox_id: str, reason: str) -> None:
    mailbox = session.get(Mailbox, mailbox_id)
    assert mailbox is not None
    if transition(
        session, Mailbox, mailbox_id, MailboxStatus.ORDERED, status=MailboxStatus.FAILED, failure_reason=reason[:500], email_claim=None
    ):
        wallet.refund(
            session,
            mailbox.account_id,
            Money(mailbox.price_minor, mailbox.currency),
            f"Refund: mailbox {mailbox.email} could not be created",
            dedupe_key=f"refund:mailbox:{mailbox_id}",
            order_id=mailbox.order_id,
            mailbox_id=mailbox_id,
        )
        order_events.mailbox_settled(session, mailbox_id)


def create_mailbox(mailbox_id: str) -> dict[str, Any]:
    rt = current()
    with rt.db.read() as session:
        mailbox = session.get(Mailbox, mailbox_id)
        if mailbox is None or mailbox.status != MailboxStatus.ORDERED or mailbox.provider_ref is not None:
            return OK
        email, first, last, provider = mailbox.email, mailbox.first_name, mailbox.last_name, mailbox.provider
        password = rt.secrets.decrypt(mailbox.password_enc)
    try:
        access = rt.providers.mailbox_host(provider).create_mailbox(
            email, first, last, password, idempotency_key=f"mailbox-{mailbox_id}"
        )
    except TerminalError as exc:
        return _failed(f"Mailbox creation refused: {exc}")
    with rt.db.write() as session:
        session.execute(
            sa.update(Mailbox)
            .where(Mailbox.id == mailbox_id, Mailbox.provider_ref.is_(None))
            .values(
                provider_ref=access.provider_ref,
                smtp_host=access.smtp_host,
                smtp_port=access.smtp_port,
                imap_host=access.imap_host,
                imap_port=access.imap_port,
            )
        )
    return OK


def mark_mailbox_live(mailbox_id: str) -> dict[str, Any]:
    with current().db.write() as session:
        if transition(session, Mailbox, mailbox_id, MailboxStatus.ORDERED, status=MailboxStatus.LIVE, live_at=clock.now()):
            order_events.mailbox_settled(session, mailbox_id)
    return OK


def fetch_profile_picture(mailbox_id: str) -> dict[str, Any]:
    """Fetch a picture ordered by URL (size-limited, with a timeout) and make it the mailbox's.
    A picture that cannot be had is recorded on the mailbox; the mailbox itself goes on."""
    rt = current()
    with rt.db.read() as session:
        mailbox = session.get(Mailbox, mailbox_id)
        if mailbox is None or not mailbox.profile_picture_source_url or mailbox.profile_picture_id is not None:
            return OK
        url = mailbox.profile_picture_source_url
    try:
        picture = pictures.fetch_picture(url, timeout=rt.settings.picture_fetch_timeout_seconds)
    except pictures.PictureRejected as exc:
        with rt.db.write() as session:
            session.execute(sa.update(Mailbox).where(Mailbox.id == mailbox_id).values(profile_picture_error=str(exc)[:300]))
        return _failed(f"Profile picture from {url}: {exc}")
    with rt.db.write() as session:
        mailbox = session.get(Mailbox, mailbox_id)
        if mailbox is not None and mailbox.profile_picture_id is None:
            mailboxes.attach_picture(session, mailbox, picture)
            mailbox.profile_picture_error = None
    return OK


def apply_mailbox_settings(mailbox_id: str) -> dict[str, Any]:
    """Push the mailbox's current names and profile picture to its host, if they changed since last
    time (both are set, not appended, so pushing an unchanged one again is harmless)."""
    rt = current()
    with rt.db.read() as session:
        mailbox = session.get(Mailbox, mailbox_id)
        if mailbox is None or mailbox.provider_ref is None or mailbox.settings_applied_version >= mailbox.settings_version:
            return OK
        version, email, provider = mailbox.settings_version, mailbox.email, mailbox.provider
        names = (mailbox.first_name, mailbox.last_name)
        # A mailbox being created got its names at creation; a live one may have been renamed.
        push_names = mailbox.live_at is not None
        picture = session.get(ProfilePicture, mailbox.profile_picture_id) if mailbox.profile_picture_id else None
        image = (picture.data, picture.content_type) if picture else None
    host = rt.providers.mailbox_host(provider)
    try:
        if push_names:
            host.set_names(email, *names)
        if image is not None:
            host.set_profile_picture(email, *image)
    except TerminalError as exc:
        return _failed(f"{provider} refused the settings of {email}: {exc}")
    with rt.db.write() as session:
        _mark_applied(session, Mailbox, mailbox_id, version)
    return OK


def apply_domain_settings(domain_id: str) -> dict[str, Any]:
    """Push the domain's redirect URL and email forwarding to the providers, if they changed."""
    rt = current()
    with rt.db.read() as session:
        domain = session.get(Domain, domain_id)
        if domain is None or domain.status != DomainStatus.READY or domain.settings_applied_version >= domain.settings_version:
            return OK
        version, name, provider = domain.settings_version, domain.name, domain.provider
        redirect, masked, forward = domain.domain_redirect_url, domain.mask_forwarding, domain.email_forward_address
    try:
        if masked and redirect:
            rt.providers.dns_host.set_web_redirect(name, redirect, masked=True)
        else:
            rt.providers.dns_host.set_web_redirect(name, redirect)
        rt.providers.mailbox_host(provider).set_forwarding(name, forward)
    except TerminalError as exc:
        return _failed(f"Settings of {name} were refused: {exc}")
    with rt.db.write() as session:
        _mark_applied(session, Domain, domain_id, version)
    return OK


def _mark_applied(session: Session, model: Any, row_id: str, version: int) -> None:
    session.execute(
        sa.update(model)
        .where(model.id == row_id, model.settings_applied_version < version)
        .values(settings_applied_version=version)
    )


def finish_order(order_id: str) -> str:
    """Settle the order's final status from its items."""
    with current().db.write() as session:
        statuses = list(session.scalars(sa.select(Domain.status).where(Domain.order_id == order_id)))
        statuses += list(session.scalars(sa.select(Mailbox.status).where(Mailbox.order_id == order_id)))
        failed = sum(s == "failed" for s in statuses)
        if failed == 0:
            final = OrderStatus.COMPLETED
        elif failed == len(statuses):
            final = OrderStatus.FAILED
        else:
            final = OrderStatus.PARTIALLY_COMPLETED
        if transition(session, Order, order_id, OrderStatus.PROCESSING, status=final, completed_at=clock.now()):
            order_events.order_settled(session, order_id)
        order = session.get(Order, order_id)
        return order.status if order else final


def push_dns_records(domain_id: str, pairs: list[list[str]]) -> dict[str, Any]:
    """Make the DNS host serve, for each (name, type), exactly the records stored now (nothing
    when none are left). Reads the current rows, so a late or repeated run converges too."""
    rt = current()
    with rt.db.read() as session:
        domain = session.get(Domain, domain_id)
        if domain is None or domain.status not in (DomainStatus.DNS_CONFIGURED, DomainStatus.READY):
            return OK
        name = domain.name
        wanted = custom_records.rrsets(session, domain_id, [(n, t) for n, t in pairs])
    host = rt.providers.dns_host
    try:
        for (record_name, record_type), specs in wanted.items():
            if specs:
                host.replace_records(name, specs)
            else:
                host.remove_records(name, record_name, record_type)
    except TerminalError as exc:
        return _failed(f"DNS records of {name} were refused: {exc}")
    return OK

