"""The steps of provisioning. Each may run more than once (a crash between the provider's answer
and the checkpoint), so each looks at the current state first, calls providers with idempotency
keys derived from stable ids, and records its result with compare-and-set.

Two kinds of steps:
- provider steps (decorated with @provider_step) make one call to one provider and run on that
  provider's queue (see workflows.attempt); they return an Outcome, never raise a provider error;
- local steps only read or write our database and run inside the workflow itself.

An Outcome is a plain dict, so the workflow branches on data and DBOS can checkpoint it:
{"result": "ok" | "retry" | "failed" | "needs_action", "reason": str, ...}."""

from __future__ import annotations

import dataclasses
import functools
import json
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright import clock
from mailwright.db.cas import transition
from mailwright.dns import custom_records
from mailwright.dns.dkim import dkim_txt_value, generate_private_key_pem
from mailwright.dns.models import DnsRecord
from mailwright.dns.host_dkim import CONFIRMED_DKIM, OPERATOR_DKIM
from mailwright.dns.records import DKIM_SELECTOR, VERIFICATION, PlannedRecord, sending_records
from mailwright.dns.service import spec_of
from mailwright.dns.verify import verify_dns
from mailwright.dns.zone import checked_zone
from mailwright.domains.models import Domain, DomainStatus
from mailwright.events import orders as order_events
from mailwright.exports import service as exports
from mailwright.mailboxes import pictures
from mailwright.mailboxes import service as mailboxes
from mailwright.mailboxes.models import Mailbox, MailboxStatus, ProfilePicture
from mailwright.money import Money
from mailwright.net.outbound import OutboundPolicy
from mailwright.orders.models import Order, OrderStatus
from mailwright.owners.service import is_sandbox_registrant
from mailwright.providers.base import Capability, Contact, MailboxHost, MailSetup, NeedsActionError, RecordSpec, RetriableError, TerminalError
from mailwright.provisioning.queues import DNS, REGISTRAR
from mailwright.runtime import current
from mailwright.wallet import service as wallet

Outcome = dict[str, Any]
OK, RETRY, FAILED, NEEDS_ACTION = "ok", "retry", "failed", "needs_action"
# Role of steps that call the mailbox host of the item's own provider.
MAILBOX_HOST = "mailbox_host"
REASON_MAX = 500


def ok(**data: Any) -> Outcome:
    return {"result": OK, **data}


def failed(reason: str) -> Outcome:
    return {"result": FAILED, "reason": reason[:REASON_MAX]}


def retry(reason: str, retry_after: float | None = None) -> Outcome:
    return {"result": RETRY, "reason": reason[:REASON_MAX], "retry_after": retry_after}


def needs_action(reason: str) -> Outcome:
    return {"result": NEEDS_ACTION, "reason": reason[:REASON_MAX]}


PROVIDER_STEPS: dict[str, Callable[..., Outcome]] = {}
# Ends the reason of every parked item: both faces and the command line can retry an order.
ONCE_DONE = "Once that is done, retry the order."


def provider_step(role: str, refused: str, waits: str) -> Callable[[Callable[..., Outcome]], Callable[..., Outcome]]:
    """Mark a step that calls the provider of `role` (registrar, dns or MAILBOX_HOST); its typed
    provider errors become outcomes with the reason a person will read: `refused` prefixes a
    refusal, `waits` an item parked until a person acts (the provider's message says how)."""

    def wrap(fn: Callable[..., Outcome]) -> Callable[..., Outcome]:
        @functools.wraps(fn)
        def step(*args: Any) -> Outcome:
            try:
                return fn(*args)
            except NeedsActionError as exc:
                return needs_action(f"{waits}: {str(exc).rstrip('.')}. {ONCE_DONE}")
            except RetriableError as exc:
                return retry(str(exc), exc.retry_after)
            except TerminalError as exc:
                return failed(f"{refused}: {exc}")

        step.role = role  # type: ignore[attr-defined]
        PROVIDER_STEPS[fn.__name__] = step
        return step

    return wrap


# ------------------------------------------------------------------ planning


def order_plan(order_id: str) -> dict[str, Any]:
    """The order's unfinished new domains with their mailboxes (and whether their mailbox host must
    own them first: checkpointed here, with the plan), and its unfinished mailboxes on domains the
    account already had."""
    with current().db.read() as session:
        domains = session.execute(
            sa.select(Domain.id, Domain.provider).where(Domain.order_id == order_id).order_by(Domain.name)
        ).all()
        rows = session.execute(
            sa.select(Mailbox.id, Mailbox.domain_id, Mailbox.provider)
            .where(Mailbox.order_id == order_id, Mailbox.status == MailboxStatus.ORDERED)
            .order_by(Mailbox.email)
        ).all()
    by_domain: dict[str, list[str]] = {}
    providers: dict[str, str] = {}
    for mailbox_id, domain_id, provider in rows:
        by_domain.setdefault(domain_id, []).append(mailbox_id)
        providers[domain_id] = provider
    return {
        "domains": [
            {"id": d, "provider": p, "mailboxes": by_domain.pop(d, []), "host_domains": host_verifies_domains(p)}
            for d, p in domains
        ],
        "existing": [{"id": d, "provider": providers[d], "mailboxes": m} for d, m in by_domain.items()],
    }


# ------------------------------------------------------------------ domain steps


def _domain_in(domain_id: str, status: str) -> Domain | None:
    """The domain if it is (still) in `status`; None means this step has nothing to do."""
    with current().db.read() as session:
        domain = session.get(Domain, domain_id)
        return domain if domain is not None and domain.status == status else None


@provider_step(
    REGISTRAR,
    refused="The registrar refused the registration",
    waits="The registration waits for a person's action at the registrar",
)
def register_domain(domain_id: str) -> Outcome:
    rt = current()
    domain = _domain_in(domain_id, DomainStatus.ORDERED)
    if domain is None:
        return ok()
    snapshot = json.loads(domain.owner_snapshot)
    if not rt.providers.registrar_is_sandbox and is_sandbox_registrant(snapshot):
        # Ordered while the sandbox registrar ran, resumed with a real one: made-up data never leaves.
        raise TerminalError(
            f"{domain.name} was ordered with the sandbox's made-up registrant contact, which is never sent to a real registrar"
        )
    contact = Contact(**snapshot)
    # The key makes a repeated call (crash before we recorded the answer) return the same registration.
    registration = rt.providers.registrar.register(
        domain.name, domain.years, contact, idempotency_key=f"domain-{domain_id}"
    )
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
    return ok()


@provider_step(
    DNS,
    refused="The DNS host refused to create the zone",
    waits="Creating the zone waits for a person's action at the DNS host",
)
def create_dns_zone(domain_id: str) -> Outcome:
    domain = _domain_in(domain_id, DomainStatus.REGISTERED)
    if domain is None:
        return ok(nameservers=[])
    return ok(nameservers=list(current().providers.dns_host.ensure_zone(domain.name)))


@provider_step(
    REGISTRAR,
    refused="The registrar refused the nameservers",
    waits="Setting the nameservers waits for a person's action at the registrar",
)
def delegate_nameservers(domain_id: str, nameservers: list[str]) -> Outcome:
    domain = _domain_in(domain_id, DomainStatus.REGISTERED)
    if domain is not None and nameservers:
        current().providers.registrar.set_nameservers(domain.name, tuple(nameservers))
    return ok()


def host_verifies_domains(provider: str) -> bool:
    """Whether the provider's mailbox host must own each domain first (Capability.HOST_DOMAINS)."""
    host = current().providers.mailbox_hosts.get(provider)  # a withdrawn one waits at its first call
    return Capability.HOST_DOMAINS in getattr(host, "SUPPORTS", frozenset())


@provider_step(
    MAILBOX_HOST,
    refused="The mailbox host refused the domain",
    waits="Adding the domain waits for a person's action at the mailbox host",
)
def add_host_domain(domain_id: str) -> Outcome:
    """Hosts that must own a domain before its users exist (Google Workspace, Microsoft 365): the
    domain added there, and the proof of ownership it asks for kept as the domain's verification
    records (published next, then checked like every other record). `proof`: how many."""
    rt = current()
    domain = _domain_in(domain_id, DomainStatus.REGISTERED)
    if domain is None:
        return ok(proof=0)
    proof = rt.providers.mailbox_host(domain.provider).add_domain(domain.name)
    with rt.db.write() as session:
        session.execute(sa.delete(DnsRecord).where(DnsRecord.domain_id == domain_id, DnsRecord.purpose == VERIFICATION))
        for spec in proof:
            session.add(_managed_row(domain_id, PlannedRecord(VERIFICATION, spec)))
    return ok(proof=len(proof))


@provider_step(
    DNS,
    refused="The mailbox host's proof of ownership could not be published",
    waits="Publishing the mailbox host's proof of ownership waits for a person's action at the DNS host",
)
def publish_host_proof(domain_id: str) -> Outcome:
    """The verification records served, beside whatever else the zone already serves at the same
    names and types (a resumed domain has its SPF at the apex too)."""
    rt = current()
    domain = _domain_in(domain_id, DomainStatus.REGISTERED)
    if domain is None:
        return ok()
    with rt.db.read() as session:
        rows = session.scalars(sa.select(DnsRecord).where(DnsRecord.domain_id == domain_id, DnsRecord.managed.is_(True))).all()
    keys = {(r.name, r.type) for r in rows if r.purpose == VERIFICATION}
    specs = [spec_of(r) for r in rows if (r.name, r.type) in keys]
    if specs:
        rt.providers.dns_host.replace_records(domain.name, specs)
    return ok()


def verify_host_proof(domain_id: str) -> Outcome:
    """The verification records are served (real DNS queries, as before a domain is ready), so
    the mailbox host will find them."""
    verdict = verify_dns(domain_id, status=DomainStatus.REGISTERED, purposes=(VERIFICATION,))
    if verdict["ok"]:
        return ok()
    if verdict.get("needs_action"):
        return needs_action(f"{verdict['reason']}. {ONCE_DONE}")
    return failed(verdict["reason"])


@provider_step(
    MAILBOX_HOST,
    refused="The mailbox host refused to verify the domain",
    waits="Verifying the domain waits for a person's action at the mailbox host",
)
def verify_host_domain(domain_id: str) -> Outcome:
    domain = _domain_in(domain_id, DomainStatus.REGISTERED)
    if domain is not None:
        current().providers.mailbox_host(domain.provider).verify_domain(domain.name)
    return ok()


@provider_step(
    DNS,
    refused="The DNS records could not be published",
    waits="Publishing the DNS records waits for a person's action at the DNS host",
)
def publish_dns_records(domain_id: str) -> Outcome:
    """Everything the zone must serve for mail. Where the host's DKIM needs a person (MailSetup),
    the rest is published and the domain waits for them, still registered."""
    rt = current()
    domain = _domain_in(domain_id, DomainStatus.REGISTERED)
    if domain is None:
        return ok()
    setup = _with_operator_dkim(rt.providers.mailbox_host(domain.provider).mail_setup(domain.name), domain)
    # Mailwright signs with a key of its own only for hosts that bring none and ask for none.
    hosts_dkim = setup.dkim is not None or setup.dkim_by_operator is not None or setup.dkim_confirmation is not None
    own_dkim = None if hosts_dkim else dkim_txt_value(_domain_dkim_key(domain_id))
    planned = sending_records(
        setup,
        own_dkim=own_dkim,
        dmarc_rua=rt.settings.dmarc_rua,
        tracking_label=rt.settings.tracking_cname_label,
        tracking_target=rt.settings.tracking_cname_target,
    )
    with rt.db.read() as session:
        proof = session.scalars(sa.select(DnsRecord).where(DnsRecord.domain_id == domain_id, DnsRecord.purpose == VERIFICATION)).all()
        planned += [PlannedRecord(VERIFICATION, spec_of(r)) for r in proof]
    specs = [p.spec for p in planned]
    checked_zone(domain.name, specs, rt.providers.dns_host.nameservers(domain.name))  # ZoneRejected: nothing published
    rt.providers.dns_host.replace_records(domain.name, specs)
    waiting = _dkim_waits_for(setup, domain)
    with rt.db.write() as session:
        session.execute(sa.delete(DnsRecord).where(DnsRecord.domain_id == domain_id, DnsRecord.managed.is_(True)))
        for p in planned:
            session.add(_managed_row(domain_id, p))
        kind = OPERATOR_DKIM if setup.dkim_by_operator else CONFIRMED_DKIM if setup.dkim_confirmation else None
        session.execute(sa.update(Domain).where(Domain.id == domain_id).values(host_dkim_kind=kind))
        if waiting is None:
            transition(session, Domain, domain_id, DomainStatus.REGISTERED, status=DomainStatus.DNS_CONFIGURED)
    return ok() if waiting is None else needs_action(waiting)


def _managed_row(domain_id: str, p: PlannedRecord) -> DnsRecord:
    return DnsRecord(
        domain_id=domain_id, purpose=p.purpose, type=p.spec.type, name=p.spec.name, value=p.spec.value, ttl=p.spec.ttl, priority=p.spec.priority
    )


def _with_operator_dkim(setup: MailSetup, domain: Domain) -> MailSetup:
    """The host's DKIM record from the value the operator supplied (`mailwright dns set-dkim`), at
    the selector the operator chose there (Google's console lets them pick the prefix)."""
    if setup.dkim_by_operator is None or not domain.host_dkim_value or not domain.host_dkim_selector:
        return setup
    return dataclasses.replace(setup, dkim=RecordSpec("TXT", f"{domain.host_dkim_selector}._domainkey", domain.host_dkim_value))


def _dkim_waits_for(setup: MailSetup, domain: Domain) -> str | None:
    """Why the domain waits for the operator's DKIM step; None when it does not."""
    if setup.dkim_by_operator is not None and setup.dkim is None:
        # The command first: a long reason is cut at REASON_MAX.
        return (
            f"DKIM of {domain.name} waits for the operator; `mailwright dns set-dkim {domain.name} --selector "
            f"{setup.dkim_by_operator.selector} --value ...` resumes the order: {setup.dkim_by_operator.steps}"
        )
    if setup.dkim_confirmation is not None and domain.host_dkim_confirmed_at is None:
        return (
            f"DKIM signing of {domain.name} waits for the operator; `mailwright dns confirm-dkim {domain.name}` "
            f"resumes the order: {setup.dkim_confirmation}"
        )
    return None


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


def verify_dns_records(domain_id: str) -> Outcome:
    """The delegation is seen and the records are served as expected (real DNS queries, bounded,
    with backoff: dns/verify.py). Otherwise a delegation never seen parks the domain (it is
    bought: a person looks at the registrar), and records never served fail it (refunded).
    Verified, the domain is ready in the same step (see _mark_ready)."""
    verdict = verify_dns(domain_id)
    if verdict["ok"]:
        return _mark_ready(domain_id)
    if verdict.get("needs_action"):
        return needs_action(f"{verdict['reason']}. {ONCE_DONE}")
    return failed(verdict["reason"])


def _mark_ready(domain_id: str) -> Outcome:
    """Ready; `settings_pending` says whether a redirect or forwarding waits to be applied (read in
    the same transaction: a change committed later finds the domain ready and is applied by the
    sync_domain_settings workflow its request started). Run again after a crash, it finds the
    domain ready already and says the same."""
    with current().db.write() as session:
        if transition(
            session, Domain, domain_id, DomainStatus.DNS_CONFIGURED, status=DomainStatus.READY, ready_at=clock.now()
        ):
            order_events.domain_ready(session, domain_id)
        domain = session.get(Domain, domain_id)
        pending = domain is not None and domain.settings_applied_version < domain.settings_version
    return ok(settings_pending=pending)


@provider_step(
    DNS,
    refused="The domain's redirect or forwarding was refused",
    waits="The domain's redirect or forwarding waits for a person's action",
)
def apply_domain_settings(domain_id: str) -> Outcome:
    """Push the domain's redirect URL and email forwarding to the providers, if they changed."""
    rt = current()
    domain = _domain_in(domain_id, DomainStatus.READY)
    if domain is None or domain.settings_applied_version >= domain.settings_version:
        return ok()
    # Forwarding first: a DNS host that cannot redirect (Cloudflare with a DNS token) refuses the
    # redirect, and that refusal must not keep the mail forwarding from being applied.
    rt.providers.mailbox_host(domain.provider).set_forwarding(domain.name, domain.email_forward_address)
    if domain.mask_forwarding and domain.domain_redirect_url:
        rt.providers.dns_host.set_web_redirect(domain.name, domain.domain_redirect_url, masked=True)
    else:
        rt.providers.dns_host.set_web_redirect(domain.name, domain.domain_redirect_url)
    with rt.db.write() as session:
        _mark_applied(session, Domain, domain_id, domain.settings_version)
    return ok()


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
            session, Domain, domain_id, DomainStatus.IN_PROGRESS, status=DomainStatus.FAILED, failure_reason=reason[:REASON_MAX], name_claim=None
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
            sa.select(Mailbox.id).where(
                Mailbox.domain_id == domain_id, Mailbox.status.in_((MailboxStatus.ORDERED, MailboxStatus.NEEDS_ACTION))
            )
        )
        for mailbox_id in list(waiting):
            _fail_mailbox(session, mailbox_id, f"Its domain could not be provisioned: {reason}")


def park_domain(domain_id: str, reason: str) -> None:
    """A person must act: keep the domain (and its money) where it is until the order is retried."""
    with current().db.write() as session:
        status = session.scalar(sa.select(Domain.status).where(Domain.id == domain_id))
        if status in DomainStatus.IN_PROGRESS:
            transition(
                session, Domain, domain_id, status, status=DomainStatus.NEEDS_ACTION, resume_status=status, failure_reason=reason[:REASON_MAX]
            )


# ------------------------------------------------------------------ mailbox steps


@provider_step(
    MAILBOX_HOST,
    refused="The mailbox host refused to create the mailbox",
    waits="Creating the mailbox waits for a person's action at the mailbox host",
)
def create_mailbox(mailbox_id: str) -> Outcome:
    """Create the mailbox at its host and record its access. In the same transaction it goes live,
    unless a picture ordered by URL or settings for the host still wait: `settled` says whether
    it did (or no longer waits for anything: failed, deleted, live already)."""
    rt = current()
    with rt.db.read() as session:
        mailbox = session.get(Mailbox, mailbox_id)
        if mailbox is None or mailbox.status != MailboxStatus.ORDERED:
            return ok(settled=True)
        # Created already (provider_ref recorded: this step runs again after a crash): no call.
        created = mailbox.provider_ref is not None
        email, first, last, provider = mailbox.email, mailbox.first_name, mailbox.last_name, mailbox.provider
        password = None if created else rt.secrets.decrypt(mailbox.password_enc)
    if password is not None:  # not created yet
        access = rt.providers.mailbox_host(provider).create_mailbox(
            email, first, last, password, idempotency_key=f"mailbox-{mailbox_id}"
        )
    with rt.db.write() as session:
        if password is not None:
            session.execute(
                sa.update(Mailbox)
                .where(Mailbox.id == mailbox_id, Mailbox.provider_ref.is_(None))
                .values(
                    provider_ref=access.provider_ref,
                    host_email=email,
                    smtp_host=access.smtp_host,
                    smtp_port=access.smtp_port,
                    imap_host=access.imap_host,
                    imap_port=access.imap_port,
                    sign_in_note=access.sign_in_note,
                )
            )
        mailbox = _fresh_mailbox(session, mailbox_id)
        picture_to_fetch = bool(mailbox.profile_picture_source_url) and mailbox.profile_picture_id is None
        if picture_to_fetch or mailbox.settings_applied_version < mailbox.settings_version:
            return ok(settled=False)
        _go_live(session, mailbox_id)
    return ok(settled=True)


def fetch_profile_picture(mailbox_id: str) -> Outcome:
    """Fetch a picture ordered by URL (size-limited, with a timeout) and make it the mailbox's.
    A picture that cannot be had is recorded on the mailbox; the mailbox itself goes on.
    `settings_pending` (both outcomes) says whether the host still needs the mailbox's settings
    (a picture, a new address or names); a change committed later is applied by the
    sync_mailbox_settings workflow its request started, the mailbox being created by then."""
    outcome = _fetch_profile_picture(mailbox_id)
    with current().db.read() as session:
        mailbox = session.get(Mailbox, mailbox_id)
        outcome["settings_pending"] = mailbox is not None and mailbox.settings_applied_version < mailbox.settings_version
    return outcome


def _fetch_profile_picture(mailbox_id: str) -> Outcome:
    rt = current()
    with rt.db.read() as session:
        mailbox = session.get(Mailbox, mailbox_id)
        if mailbox is None or not mailbox.profile_picture_source_url or mailbox.profile_picture_id is not None:
            return ok()
        url = mailbox.profile_picture_source_url
    try:
        picture = pictures.fetch_picture(
            url, policy=OutboundPolicy.of(rt.settings), timeout=rt.settings.picture_fetch_timeout_seconds, budget=rt.decode_budget
        )
    except pictures.PictureRejected as exc:
        with rt.db.write() as session:
            session.execute(sa.update(Mailbox).where(Mailbox.id == mailbox_id).values(profile_picture_error=str(exc)[:300]))
        return failed(f"Profile picture from {url}: {exc}")
    with rt.db.write() as session:
        mailbox = session.get(Mailbox, mailbox_id)
        if mailbox is not None and mailbox.profile_picture_id is None:
            mailboxes.attach_picture(session, mailbox, picture)
            mailbox.profile_picture_error = None
    return ok()


@provider_step(
    MAILBOX_HOST,
    refused="The mailbox host refused the mailbox's settings",
    waits="The mailbox's settings wait for a person's action at the mailbox host",
)
def apply_mailbox_settings(mailbox_id: str) -> Outcome:
    """Push the mailbox's current address, names and profile picture to its host, if they changed
    since last time. The address first, so names and picture go to the address the host has then
    (each call sets, never appends, so repeating one after a crash is harmless)."""
    rt = current()
    with rt.db.read() as session:
        mailbox = session.get(Mailbox, mailbox_id)
        if (
            mailbox is None
            or mailbox.provider_ref is None
            or mailbox.status in (MailboxStatus.DELETED, MailboxStatus.FAILED)
            or mailbox.settings_applied_version >= mailbox.settings_version
        ):
            return ok()
        version, email, at_host, provider = mailbox.settings_version, mailbox.email, mailbox.address_at_host, mailbox.provider
        names = (mailbox.first_name, mailbox.last_name)
        # A mailbox being created got its names at creation; a live one may have been renamed.
        push_names = mailbox.live_at is not None
        picture = session.get(ProfilePicture, mailbox.profile_picture_id) if mailbox.profile_picture_id else None
        image = (picture.data, picture.content_type) if picture else None
    host = rt.providers.mailbox_host(provider)
    if at_host != email:
        moved = _move_at_host(host, mailbox_id, at_host, email)
        if moved is not None:
            return moved
    if push_names:
        host.set_names(email, *names)
    if image is not None:
        host.set_profile_picture(email, *image)
    with rt.db.write() as session:
        _mark_applied(session, Mailbox, mailbox_id, version)
    return ok()


def _move_at_host(host: MailboxHost, mailbox_id: str, at_host: str, email: str) -> Outcome | None:
    """Rename the mailbox at its host, then record where it is now (a crash in between is
    harmless: the rename is idempotent). None when done; an outcome to return otherwise."""
    rt = current()
    try:
        access = host.rename_mailbox(at_host, email)
    except TerminalError:
        with rt.db.read() as session:
            now_at_host = session.scalar(sa.select(Mailbox.host_email).where(Mailbox.id == mailbox_id))
        if now_at_host not in (None, at_host):
            # A concurrent run moved it first: try again from where the host has it now.
            return retry(f"{at_host} was moved to {now_at_host} meanwhile")
        raise
    with rt.db.write() as session:
        session.execute(
            sa.update(Mailbox)
            .where(Mailbox.id == mailbox_id, sa.func.coalesce(Mailbox.host_email, Mailbox.email) == at_host)
            .values(host_email=email, provider_ref=access.provider_ref)
        )
    return None


def mark_mailbox_live(mailbox_id: str) -> Outcome:
    with current().db.write() as session:
        _go_live(session, mailbox_id)
    return ok()


def _go_live(session: Session, mailbox_id: str) -> None:
    if transition(session, Mailbox, mailbox_id, MailboxStatus.ORDERED, status=MailboxStatus.LIVE, live_at=clock.now()):
        order_events.mailbox_settled(session, mailbox_id)
        # An order with exportTo: the mailbox's export starts with it going live.
        exports.export_when_live(session, current(), _fresh_mailbox(session, mailbox_id))


def _fresh_mailbox(session: Session, mailbox_id: str) -> Mailbox:
    return session.scalars(sa.select(Mailbox).where(Mailbox.id == mailbox_id).execution_options(populate_existing=True)).one()


def fail_mailbox(mailbox_id: str, reason: str) -> None:
    with current().db.write() as session:
        _fail_mailbox(session, mailbox_id, reason)


def _fail_mailbox(session: Session, mailbox_id: str, reason: str) -> None:
    mailbox = session.get(Mailbox, mailbox_id)
    assert mailbox is not None
    if transition(
        session,
        Mailbox,
        mailbox_id,
        (MailboxStatus.ORDERED, MailboxStatus.NEEDS_ACTION),
        status=MailboxStatus.FAILED,
        failure_reason=reason[:REASON_MAX],
        resume_status=None,
        email_claim=None,
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


def park_mailbox(mailbox_id: str, reason: str) -> None:
    with current().db.write() as session:
        transition(
            session,
            Mailbox,
            mailbox_id,
            MailboxStatus.ORDERED,
            status=MailboxStatus.NEEDS_ACTION,
            resume_status=MailboxStatus.ORDERED,
            failure_reason=reason[:REASON_MAX],
        )


@provider_step(
    DNS,
    refused="The DNS host refused the records",
    waits="Publishing the records waits for a person's action at the DNS host",
)
def push_dns_records(domain_id: str, pairs: list[list[str]]) -> Outcome:
    """Make the DNS host serve, for each (name, type), exactly the records stored now (nothing
    when none are left). Reads the current rows, so a late or repeated run converges too."""
    rt = current()
    with rt.db.read() as session:
        domain = session.get(Domain, domain_id)
        if domain is None or domain.status not in (DomainStatus.DNS_CONFIGURED, DomainStatus.READY):
            return ok()
        name = domain.name
        wanted = custom_records.rrsets(session, domain_id, [(n, t) for n, t in pairs])
    host = rt.providers.dns_host
    for (record_name, record_type), specs in wanted.items():
        if specs:
            host.replace_records(name, specs)
        else:
            host.remove_records(name, record_name, record_type)
    return ok()


def _mark_applied(session: Session, model: Any, row_id: str, version: int) -> None:
    session.execute(
        sa.update(model)
        .where(model.id == row_id, model.settings_applied_version < version)
        .values(settings_applied_version=version)
    )


# ------------------------------------------------------------------ the order


FINAL_ITEM_STATUSES = (DomainStatus.READY, DomainStatus.FAILED, MailboxStatus.LIVE, MailboxStatus.FAILED)


def finish_order(order_id: str) -> str:
    """Settle the order from its items: completed, partially_completed or failed; or, while an
    item waits for a person (parked, or on a parked domain), needs_action."""
    with current().db.write() as session:
        statuses = list(session.scalars(sa.select(Domain.status).where(Domain.order_id == order_id)))
        statuses += list(session.scalars(sa.select(Mailbox.status).where(Mailbox.order_id == order_id)))
        failed_count = sum(s in (DomainStatus.FAILED, MailboxStatus.FAILED) for s in statuses)
        if any(s not in FINAL_ITEM_STATUSES for s in statuses):
            transition(session, Order, order_id, OrderStatus.PROCESSING, status=OrderStatus.NEEDS_ACTION)
        else:
            if failed_count == 0:
                final = OrderStatus.COMPLETED
            elif failed_count == len(statuses):
                final = OrderStatus.FAILED
            else:
                final = OrderStatus.PARTIALLY_COMPLETED
            if transition(session, Order, order_id, OrderStatus.PROCESSING, status=final, completed_at=clock.now()):
                order_events.order_settled(session, order_id)
        order = session.get(Order, order_id)
        assert order is not None
        return order.status


def domain_provider(domain_id: str) -> str:
    with current().db.read() as session:
        provider = session.scalar(sa.select(Domain.provider).where(Domain.id == domain_id))
    assert provider is not None
    return provider


def mailbox_provider(mailbox_id: str) -> str:
    with current().db.read() as session:
        provider = session.scalar(sa.select(Mailbox.provider).where(Mailbox.id == mailbox_id))
    assert provider is not None
    return provider
