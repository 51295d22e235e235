"""Orders: check everything and price it (planning), record the validated plan (creating), then
in ONE transaction debit the wallet, record the domains and mailboxes and enqueue the
provisioning workflow (processing).

Planning reads (and may ask the registrar about availability); it runs before the write
transaction so a slow registrar never holds the database's write lock.

A created order holds no name: domains and addresses are claimed only when it is processed, so an
order nobody pays never blocks anyone. Its price holds until it expires
(Settings.unprocessed_order_hours). place_order creates and processes at once, through the
same path."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, defer

from mailwright import clock
from mailwright import validation as check
from mailwright.accounts.models import Account
from mailwright.billing import service as subscriptions
from mailwright.catalog import prices as price_book
from mailwright.catalog import service as catalog
from mailwright.config import Settings
from mailwright.crypto import new_password
from mailwright.db.cas import transition
from mailwright.domains.models import Domain, DomainStatus
from mailwright.domains.service import host_forwards
from mailwright.domains.names import normalize_domain, split_email
from mailwright.errors import FieldIssues, NotFound, RuleViolation
from mailwright.ids import new_id
from mailwright.mailboxes import service as mailboxes
from mailwright.mailboxes.models import Mailbox, MailboxStatus
from mailwright.mailboxes import pictures
from mailwright.mailboxes.pictures import CheckedPicture
from mailwright.money import Money
from mailwright.net.outbound import OutboundPolicy
from mailwright.orders.models import Order, OrderPicture, OrderStatus
from mailwright.orders.requests import (
    MAX_YEARS,
    DomainOrderRequest,
    MailboxOrderRequest,
    OrderOptions,
    OrderPlan,
    PlannedDomain,
    PlannedMailbox,
    RequestedDomain,
    RequestedMailbox,
    field_position,
)
from mailwright.owners import service as owners
from mailwright.pagination import Page, PageRequest, fetch
from mailwright.providers.base import ProviderUnavailable
from mailwright.providers.registry import Providers
from mailwright.totp import new_seed
from mailwright.wallet import service as wallet

if TYPE_CHECKING:
    from mailwright.runtime import Runtime

NAME_MAX_LENGTH = 60
EMAIL_DOMAIN_UNKNOWN = "Email domain must exist in order domains or active firm domains"
DOMAIN_FORMAT = "Valid format is example.com"
YEARS_RANGE = f"Must be a whole number of years from 1 to {MAX_YEARS}"
DOMAIN_OWNER_REQUIRED = "A domain owner is required before ordering domains"
DOMAIN_UNAVAILABLE = "Domain is not available"
PRICE_UNAVAILABLE = "Domain price is not available"
PROVISION_ORDER_WORKFLOW = "provision_order"


@dataclass
class _Target:
    """A domain mailboxes may be ordered on: new in this order, or already the account's."""

    provider: str | None
    max_mailboxes: int
    existing_mailboxes: int = 0
    existing_domain_id: str | None = None
    # False for a new domain that cannot be bought: its addresses are then not looked up.
    buyable: bool = True


def provider_sentence(providers: Providers) -> str:
    return "Valid values are " + ", ".join(providers.mailbox_provider_names)


def plan_domain_order(
    session: Session,
    settings: Settings,
    providers: Providers,
    account: Account,
    request: DomainOrderRequest,
    issues: FieldIssues | None = None,
    options: OrderOptions | None = None,
    registrant: owners.RegistrantChoice = owners.OWNER_ONLY,
) -> OrderPlan:
    """`issues` may already hold what the API face found wrong with the request's shape.

    Every problem is answered at once, in request order: malformed values, and each domain that
    cannot be bought (unavailable, no price). A mailbox on a domain that cannot be bought is not
    looked up: whether another account holds that address must not show (the domain's own problem
    answers for it). Only then is the registrant required."""
    issues = issues if issues is not None else FieldIssues()
    provider = _provider(issues, providers, request.provider, request.provider_field)
    account_domains = _active_domains(session, account.id, _names_in(request.domains, request.mailboxes))
    new_domains: dict[str, str] = {}
    extras: dict[str, tuple[int, str | None, bool]] = {}
    for item in request.domains:
        extra = _domain_extras(issues, item)
        name = normalize_domain(item.value)
        if name is None:
            issues.add(item.field, DOMAIN_FORMAT, check.shown(item.value))
        elif name in new_domains:
            issues.add(item.field, "Domain is listed more than once in this order", item.value)
        elif name in account_domains:
            issues.add(
                item.field,
                "Domain already exists in your account; use the order mailboxes endpoint to add mailboxes",
                item.value,
            )
        else:
            new_domains[name] = item.field
            extras[name] = extra
    try:
        prices, unreachable = _domain_prices(session, providers, issues, new_domains, account.currency), None
    except ProviderUnavailable as exc:
        # Answered with 503 only when nothing else is wrong: the other problems are the client's to fix.
        prices, unreachable = {}, exc
    limit = settings.max_mailboxes_for(provider) if provider else settings.max_mailboxes_per_domain
    targets = {name: _Target(provider, limit, buyable=name in prices) for name in new_domains} | _existing_targets(
        session, account_domains
    )
    mailboxes = _plan_mailboxes(session, settings, issues, request.mailboxes, targets, providers, account.currency)
    if unreachable is not None and not issues:
        raise unreachable
    issues.raise_if_any(order=field_position)
    assert provider is not None

    contact = _registrant(session, providers, account.id, registrant)
    domains = []
    for name, field in new_domains.items():
        years, forward_to, masked = extras[name]
        domains.append(PlannedDomain(name, provider, prices[name] * years, limit, field, years, forward_to, masked))
    plan = OrderPlan("domains", account.id, account.currency, domains, mailboxes, options=options or OrderOptions())
    plan.registrant = contact
    return _with_pictures(plan, request.mailboxes)


def _registrant(session: Session, providers: Providers, account_id: str, choice: owners.RegistrantChoice) -> dict[str, Any] | None:
    """The contact an order's domains are registered to, decided when the order is created; None
    means the account's domain owner (read again when the order is processed, with its default
    forwarding). Raises domain_owner_required when there is none; each face words its own advice."""
    if choice.user_contact is not None:
        return choice.user_contact
    if owners.get_owner(session, account_id) is not None:
        return None
    default = owners.default_registrant_for(session, providers.registrar_is_sandbox) if choice.operator_default else None
    if default is None:
        raise RuleViolation("domain_owner_required", DOMAIN_OWNER_REQUIRED)
    return default


def plan_mailbox_order(
    session: Session,
    settings: Settings,
    providers: Providers,
    account: Account,
    request: MailboxOrderRequest,
    issues: FieldIssues | None = None,
    options: OrderOptions | None = None,
) -> OrderPlan:
    issues = issues if issues is not None else FieldIssues()
    targets = _existing_targets(session, _active_domains(session, account.id, _names_in([], request.mailboxes)))
    mailboxes = _plan_mailboxes(session, settings, issues, request.mailboxes, targets, providers, account.currency)
    issues.raise_if_any(order=field_position)
    plan = OrderPlan("mailboxes", account.id, account.currency, mailboxes=mailboxes, options=options or OrderOptions())
    return _with_pictures(plan, request.mailboxes)


def place_order(session: Session, runtime: Runtime, plan: OrderPlan) -> Order:
    """Create and process at once. Raises RuleViolation (the transaction then rolls back).
    Recorded as processing from the start: no other request can see it created, and the plan is
    at hand, not read back from the order."""
    order = create_order(session, plan, processed_at=clock.now())
    _charge_and_provision(session, runtime, order, plan)
    return order


def create_order(session: Session, plan: OrderPlan, *, processed_at: dt.datetime | None = None) -> Order:
    """Record the validated plan and its price; nothing is charged and no name is held yet
    (`processed_at`: the caller processes it in this transaction, place_order)."""
    order = Order(
        account_id=plan.account_id,
        user_id=plan.options.user_id,
        kind=plan.kind,
        status=OrderStatus.CREATED if processed_at is None else OrderStatus.PROCESSING,
        processed_at=processed_at,
        total_minor=plan.total_minor,
        currency=plan.currency,
        plan_json=plan.to_json(),
        auto_renew=plan.options.auto_renew is not False,
        billing_cycle=plan.options.billing_cycle,
        export_settings=json.dumps(plan.options.export_settings) if plan.options.export_settings else None,
    )
    session.add(order)
    session.flush()
    for email, picture in plan.pictures.items():
        session.add(
            OrderPicture(
                order_id=order.id,
                email=email,
                content_type=picture.content_type,
                width=picture.width,
                height=picture.height,
                data=picture.data,
            )
        )
    session.flush()
    return order


def process_order(session: Session, runtime: Runtime, account_id: str, order_id: str) -> tuple[Order, bool]:
    """Charge, record the items and enqueue provisioning, all in the caller's transaction.

    Returns (order, True) when this call processed it, (order, False) when it already had been.
    Raises RuleViolation (insufficient funds, a name taken meanwhile, expired); the caller's
    rollback then leaves the order created and unprocessed."""
    order = get_order(session, account_id, order_id)
    if order.status != OrderStatus.CREATED:
        return order, False
    if status_of(runtime.settings, order) == OrderStatus.EXPIRED:
        raise RuleViolation(
            "order_expired",
            f"The order expired {runtime.settings.unprocessed_order_hours} hours after it was created "
            "without being processed; create a new order",
        )
    if not transition(session, Order, order.id, OrderStatus.CREATED, status=OrderStatus.PROCESSING, processed_at=clock.now()):
        session.refresh(order)
        return order, False  # processed concurrently by another request
    session.refresh(order)
    plan = OrderPlan.from_json(order.plan_json or "")
    _charge_and_provision(session, runtime, order, plan)
    return order, True


def status_of(settings: Settings, order: Order) -> str:
    """The order's status as shown: a created order past its time is expired."""
    if order.status == OrderStatus.CREATED:
        if clock.now() - order.created_at > dt.timedelta(hours=settings.unprocessed_order_hours):
            return OrderStatus.EXPIRED
    return order.status


def _charge_and_provision(session: Session, runtime: Runtime, order: Order, plan: OrderPlan) -> None:
    _check_claims(session, plan)
    wallet.debit(
        session, plan.account_id, Money(plan.total_minor, plan.currency), f"Order {order.id}: {plan.describe()}", order_id=order.id
    )
    domain_ids = _insert_domains(session, runtime, plan, order.id)
    _insert_mailboxes(session, runtime, plan, order.id, domain_ids)
    session.flush()
    subscriptions.record_order(session, order.id, auto_renew=plan.options.auto_renew)
    runtime.enqueue(session, PROVISION_ORDER_WORKFLOW, f"order-{order.id}", order.id)


def retry_order(session: Session, runtime: Runtime, order: Order) -> Order:
    """Resume an order whose items wait for a person (status needs_action), once the person has
    acted: each parked item goes back to where it stopped and provisioning runs again.
    Raises RuleViolation when the order is not waiting."""
    if not transition(session, Order, order.id, OrderStatus.NEEDS_ACTION, status=OrderStatus.PROCESSING, retries=order.retries + 1):
        raise RuleViolation(
            "order_not_retriable",
            f"Only an order waiting for action (needs_action) can be retried; this one is {order.status}",
        )
    for model, parked_status, first_status in (
        (Domain, DomainStatus.NEEDS_ACTION, DomainStatus.ORDERED),
        (Mailbox, MailboxStatus.NEEDS_ACTION, MailboxStatus.ORDERED),
    ):
        parked = session.execute(
            sa.select(model.id, model.resume_status).where(model.order_id == order.id, model.status == parked_status)
        ).all()
        for item_id, resume_status in parked:
            transition(
                session, model, item_id, parked_status, status=resume_status or first_status, resume_status=None, failure_reason=None
            )
    session.flush()
    session.refresh(order)
    runtime.enqueue(session, PROVISION_ORDER_WORKFLOW, f"order-{order.id}-retry-{order.retries}", order.id)
    return order


def find_order(session: Session, order_id: str) -> Order:
    """Any account's order (operators)."""
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound("order")
    return order


def list_orders(session: Session, *, account_id: str | None = None, status: str | None = None, limit: int = 50) -> list[Order]:
    # Without the plan (loaded if read): an order of 1,000 domains carries hundreds of KB of it.
    query = sa.select(Order).options(defer(Order.plan_json)).order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)
    if account_id:
        query = query.where(Order.account_id == account_id)
    if status:
        query = query.where(Order.status == status)
    return list(session.scalars(query))


# An order's item is done once it is one of these (what its progress counts).
FINISHED = {Domain: (DomainStatus.READY, DomainStatus.FAILED), Mailbox: (MailboxStatus.LIVE, MailboxStatus.FAILED)}


def progress(session: Session, order_ids: list[str]) -> dict[str, tuple[int, int]]:
    """order id -> (items done, items), its domains and mailboxes counted in the database (an
    order of thousands is not loaded to count it)."""
    totals = {order_id: (0, 0) for order_id in order_ids}
    if not order_ids:
        return totals
    for model, finished in FINISHED.items():
        rows = session.execute(
            sa.select(model.order_id, sa.func.sum(sa.case((model.status.in_(finished), 1), else_=0)), sa.func.count())
            .where(model.order_id.in_(order_ids))
            .group_by(model.order_id)
        )
        for order_id, done, items in rows:
            totals[order_id] = (totals[order_id][0] + int(done or 0), totals[order_id][1] + int(items))
    return totals


def parked_items(session: Session, order_ids: list[str]) -> dict[str, list[tuple[str, str | None]]]:
    """order id -> its domains and mailboxes in needs_action, (name, reason) by name: what an
    operator looks at, read without the order's other items."""
    parked: dict[str, list[tuple[str, str | None]]] = {order_id: [] for order_id in order_ids}
    if not order_ids:
        return parked
    for name, model, status in ((Domain.name, Domain, DomainStatus.NEEDS_ACTION), (Mailbox.email, Mailbox, MailboxStatus.NEEDS_ACTION)):
        rows = session.execute(
            sa.select(model.order_id, name, model.failure_reason)
            .where(model.order_id.in_(order_ids), model.status == status)
            .order_by(name)
        )
        for order_id, item, reason in rows:
            parked[order_id].append((item, reason))
    return parked


def order_items(session: Session, order_id: str, page: PageRequest) -> tuple[Page[Domain], Page[Mailbox]]:
    """One page of the order's domains and the same page of its mailboxes, each by name, paged in
    the database."""
    domains = fetch(session, sa.select(Domain).where(Domain.order_id == order_id).order_by(Domain.name, Domain.id), page)
    boxes = fetch(session, sa.select(Mailbox).where(Mailbox.order_id == order_id).order_by(Mailbox.email, Mailbox.id), page)
    return domains, boxes


def get_order(session: Session, account_id: str, order_id: str) -> Order:
    order = session.get(Order, order_id)
    if order is None or order.account_id != account_id:
        raise NotFound("order")
    return order


def _domain_extras(issues: FieldIssues, item: RequestedDomain) -> tuple[int, str | None, bool]:
    """Years, forwarding target and masking of one requested domain."""
    years = item.years
    if isinstance(years, str) and check.ascii_digits(years.strip()) and len(years.strip()) <= 2:
        years = int(years)
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= MAX_YEARS:
        issues.add(item.years_field or f"{item.field}.years", YEARS_RANGE, check.shown(item.years))
        years = 1
    forward_to = None
    if item.forward_to not in (None, ""):
        value = item.forward_to
        if isinstance(value, str) and "://" not in value and normalize_domain(value.strip()):
            value = f"http://{value.strip()}"  # a bare domain name forwards to its web site
        forward_to = check.web_url(issues, item.forward_to_field or f"{item.field}.forwardTo", value)
    masked = item.mask_forwarding
    if masked in (None, ""):
        masked = False
    if not isinstance(masked, bool):
        issues.add(item.mask_forwarding_field or f"{item.field}.maskForwarding", "Must be true or false", check.shown(masked))
        masked = False
    return years, forward_to, masked


def picture_url(issues: FieldIssues, settings: Settings, field: str, value: object) -> str | None:
    """An https URL of a picture whose host resolves to public addresses only (the outbound
    guard checks again when the workflow fetches it: DNS answers change)."""
    cleaned = check.web_url(issues, field, value, any_host=True)
    if cleaned is None:
        return None
    policy = OutboundPolicy.of(settings)
    if urlsplit(cleaned).scheme not in pictures.url_schemes(policy):
        issues.add(field, "Must be an https URL of a PNG or JPEG image", cleaned)
        return None
    try:
        pictures.check_picture_url(cleaned, policy)
    except pictures.PictureRejected as exc:
        issues.add(field, str(exc), cleaned)
        return None
    return cleaned


def _with_pictures(plan: OrderPlan, requested: list[RequestedMailbox]) -> OrderPlan:
    planned = {m.email for m in plan.mailboxes}
    for item in requested:
        parts = split_email(item.email) if isinstance(item.email, str) else None
        address = f"{parts[0]}@{parts[1]}" if parts else None
        if item.picture is not None and address in planned:
            plan.pictures[address] = item.picture
    return plan


def _provider(issues: FieldIssues, providers: Providers, value: object, field: str) -> str | None:
    if value is None or value == "":
        issues.add(field, check.REQUIRED, check.shown(value))
        return None
    if value not in providers.mailbox_provider_names:
        issues.add(field, provider_sentence(providers), check.shown(value))
        return None
    return str(value)


def _names_in(domains: list[RequestedDomain], mailboxes: list[RequestedMailbox]) -> set[str]:
    """Every domain an order names: its new domains and its mailboxes' domains."""
    names = {name for name in map(normalize_domain, (item.value for item in domains)) if name}
    return names | {parts[1] for parts in map(split_email, (m.email for m in mailboxes)) if parts}


def _active_domains(session: Session, account_id: str, names: set[str]) -> dict[str, sa.Row[Any]]:
    """The account's domains among `names` (id, name, provider, max_mailboxes): only what the
    order names is looked up, however many domains the account holds."""
    if not names:
        return {}
    query = sa.select(Domain.id, Domain.name, Domain.provider, Domain.max_mailboxes).where(
        Domain.account_id == account_id, Domain.name_claim.in_(sorted(names))
    )
    return {row.name: row for row in session.execute(query)}


def _existing_targets(session: Session, domains: dict[str, sa.Row[Any]]) -> dict[str, _Target]:
    if not domains:
        return {}
    counts = dict(
        session.execute(
            sa.select(Mailbox.domain_id, sa.func.count())
            .where(Mailbox.domain_id.in_([d.id for d in domains.values()]), Mailbox.email_claim.is_not(None))
            .group_by(Mailbox.domain_id)
        ).all()
    )
    return {
        name: _Target(d.provider, d.max_mailboxes, counts.get(d.id, 0), d.id) for name, d in domains.items()
    }


def _plan_mailboxes(
    session: Session,
    settings: Settings,
    issues: FieldIssues,
    requested: list[RequestedMailbox],
    targets: dict[str, _Target],
    providers: Providers,
    currency: str,
) -> list[PlannedMailbox]:
    emails = [split_email(m.email) for m in requested]
    addresses = [f"{e[0]}@{e[1]}" for e in emails if e]
    taken = set(session.scalars(sa.select(Mailbox.email_claim).where(Mailbox.email_claim.in_(addresses)))) if addresses else set()
    seen: set[str] = set()
    per_domain: Counter[str] = Counter()
    prices = price_book.mailbox_prices(session, currency)  # once: a bulk order has thousands of mailboxes
    planned = []
    for item, parts in zip(requested, emails):
        first = check.text(issues, item.first_name_field, item.first_name, max_length=NAME_MAX_LENGTH)
        last = check.text(issues, item.last_name_field, item.last_name, max_length=NAME_MAX_LENGTH)
        url = None
        if item.picture_url not in (None, ""):
            url = picture_url(issues, settings, item.picture_field, item.picture_url)
            if url is None:
                continue
        if item.email is None or item.email == "":
            issues.add(item.email_field, check.REQUIRED, check.shown(item.email))
            continue
        if parts is None or len(item.email) > 254:
            issues.add(item.email_field, check.EMAIL_FORMAT, check.shown(item.email))
            continue
        local, domain = parts
        address = f"{local}@{domain}"
        target = targets.get(domain)
        if address in seen:
            issues.add(item.email_field, "Email is listed more than once in this order", item.email)
            continue
        seen.add(address)
        if target is None:
            issues.add(item.email_field, EMAIL_DOMAIN_UNKNOWN, item.email)
            continue
        if target.buyable and address in taken:
            issues.add(item.email_field, mailboxes.ADDRESS_TAKEN, item.email)
            continue
        per_domain[domain] += 1
        if target.existing_mailboxes + per_domain[domain] > target.max_mailboxes:
            issues.add(
                item.email_field,
                f"A domain can have at most {target.max_mailboxes} mailboxes (max_mailboxes)",
                item.email,
            )
            continue
        if first is None or last is None or target.provider is None:
            continue
        price = prices.get(target.provider)
        if price is None:
            issues.add(item.email_field, f"{target.provider} mailboxes are not sold in {currency}", item.email)
            continue
        planned.append(
            PlannedMailbox(
                address, local, domain, first, last, target.provider, price.minor, item.email_field, target.existing_domain_id, url
            )
        )
    return planned


def _domain_prices(session: Session, providers: Providers, issues: FieldIssues, fields: dict[str, str], currency: str) -> dict[str, int]:
    """The yearly price of each domain that can be bought; every other one is named in `issues`."""
    prices = {}
    for answer in catalog.check_domains(session, providers, list(fields), currency):
        field = fields[answer.domain]
        if not answer.available:
            issues.add(field, DOMAIN_UNAVAILABLE, answer.domain, code="domain_unavailable")
        elif answer.price is None:
            issues.add(field, PRICE_UNAVAILABLE, answer.domain, code="domain_price_unavailable")
        else:
            prices[answer.domain] = answer.price.minor
    return prices


def _check_claims(session: Session, plan: OrderPlan) -> None:
    """Names and addresses may have been taken since planning; the unique claims are the last word.
    As in planning, the addresses on a domain held by someone else are not looked up."""
    issues = FieldIssues()
    names = [d.name for d in plan.domains]
    held = set(session.scalars(sa.select(Domain.name_claim).where(Domain.name_claim.in_(names)))) if names else set()
    for d in plan.domains:
        if d.name in held:
            issues.add(d.field, DOMAIN_UNAVAILABLE, d.name, code="domain_unavailable")
    emails = [m.email for m in plan.mailboxes if m.domain_name not in held]
    taken = set(session.scalars(sa.select(Mailbox.email_claim).where(Mailbox.email_claim.in_(emails)))) if emails else set()
    for m in plan.mailboxes:
        if m.email in taken:
            issues.add(m.field, mailboxes.ADDRESS_TAKEN, m.email)
    issues.raise_if_any(order=field_position)


# Rows of an order are inserted in bulk into the tables (one executemany per table, without the
# ORM's per-object bookkeeping): an order may hold 1,000 domains and 3,000 mailboxes.


def _insert_mailboxes(session: Session, runtime: Runtime, plan: OrderPlan, order_id: str, domain_ids: dict[str, str]) -> None:
    if not plan.mailboxes:
        return
    rows = [
        {
            "id": new_id(),
            "account_id": plan.account_id,
            "user_id": plan.options.user_id,
            "domain_id": m.existing_domain_id or domain_ids[m.domain_name],
            "order_id": order_id,
            "email": m.email,
            "email_claim": m.email,
            "ordered_email": m.email,
            "local_part": m.local_part,
            "first_name": m.first_name,
            "last_name": m.last_name,
            "provider": m.provider,
            "price_minor": m.price_minor,
            "currency": plan.currency,
            "password_enc": runtime.secrets.encrypt(new_password()),
            "totp_secret_enc": runtime.secrets.encrypt(new_seed()),
            "profile_picture_source_url": m.picture_url,
        }
        for m in plan.mailboxes
    ]
    session.execute(sa.insert(Mailbox.__table__), rows)
    # Pictures sent with the order (multipart): checked at intake, attached now.
    ids = {row["email"]: row["id"] for row in rows}
    for p in session.scalars(sa.select(OrderPicture).where(OrderPicture.order_id == order_id)):
        mailbox = session.get(Mailbox, ids[p.email])
        mailboxes.attach_picture(session, mailbox, CheckedPicture(p.data, p.content_type, p.width, p.height))


def _insert_domains(session: Session, runtime: Runtime, plan: OrderPlan, order_id: str) -> dict[str, str]:
    if not plan.domains:
        return {}
    owner = owners.get_owner(session, plan.account_id)
    if owner is None and plan.registrant is None:
        raise RuleViolation("domain_owner_required", DOMAIN_OWNER_REQUIRED)
    snapshot = json.dumps(plan.registrant or owners.contact_dict(owner))
    default_redirect = owner.default_domain_redirect_url if owner else None
    default_forward = owner.default_email_forward_address if owner else None
    rows = []
    for d in plan.domains:
        redirect = d.forward_to or default_redirect
        # The owner's default forwarding, where the mailbox host can forward (never kept unapplied).
        forward = default_forward if host_forwards(runtime, d.provider) else None
        rows.append(
            {
                "id": new_id(),
                "account_id": plan.account_id,
                "user_id": plan.options.user_id,
                "order_id": order_id,
                "name": d.name,
                "name_claim": d.name,
                "provider": d.provider,
                "price_minor": d.price_minor,
                "currency": plan.currency,
                "max_mailboxes": d.max_mailboxes,
                "owner_snapshot": snapshot,
                "domain_redirect_url": redirect,
                "mask_forwarding": d.mask_forwarding,
                "years": d.years,
                "email_forward_address": forward,
                "settings_version": 1 if (redirect or forward) else 0,
            }
        )
    session.execute(sa.insert(Domain.__table__), rows)
    return {row["name"]: row["id"] for row in rows}
