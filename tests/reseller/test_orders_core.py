"""Orders created without being processed, then processed: through the core services on the
real database and workflow engine (the HTTP faces are tested in the other test_orders files)."""

from __future__ import annotations

import datetime as dt
import hashlib
import http.server
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from mailwright import clock
from mailwright.accounts.models import Account
from mailwright.domains.models import Domain
from mailwright.errors import InvalidFields, RuleViolation
from mailwright.mailboxes.models import Mailbox, MailboxStatus
from mailwright.mailboxes.pictures import check_picture
from mailwright.orders import service as orders
from mailwright.orders.models import Order, OrderStatus
from mailwright.orders.requests import DomainOrderRequest, OrderOptions, RequestedDomain, RequestedMailbox
from mailwright.owners import service as owners
from mailwright.providers.sandbox.models import SandboxDomain, SandboxMailbox
from mailwright.wallet import service as wallet
from tests.conftest import OWNER, unique, wait_until
from tests.reseller.images import png
from tests.support.loopback_http import serve

YEARLY_COM = 1300
MONTHLY_GOOGLE = 600


def with_owner(runtime, customer) -> Account:
    with runtime.db.write() as session:
        owners.replace_owner(session, customer.id, owners.validate_owner(OWNER))
    with runtime.db.read() as session:
        return session.get(Account, customer.id)


def domain_request(name: str, mailboxes: list[RequestedMailbox] | None = None, **extra) -> DomainOrderRequest:
    return DomainOrderRequest("GOOGLE", [RequestedDomain(name, "domains[0].domain", **extra)], mailboxes or [])


def mailbox(email: str, **extra) -> RequestedMailbox:
    return RequestedMailbox(email, "Jane", "Doe", "m.email", "m.first", "m.last", **extra)


def create(runtime, account: Account, request: DomainOrderRequest, settings=None, options=None) -> Order:
    with runtime.db.read() as session:
        plan = orders.plan_domain_order(session, settings or runtime.settings, runtime.providers, account, request, options=options)
    with runtime.db.write() as session:
        return orders.create_order(session, plan)


def process(runtime, account: Account, order_id: str) -> bool:
    with runtime.db.write() as session:
        return orders.process_order(session, runtime, account.id, order_id)[1]


def balance(runtime, account: Account) -> int:
    with runtime.db.read() as session:
        return wallet.balance(session, account).minor


def order_status(runtime, order_id: str) -> str:
    with runtime.db.read() as session:
        return session.get(Order, order_id).status


def final(runtime, order_id: str) -> str:
    return wait_until(lambda: (s := order_status(runtime, order_id)) in OrderStatus.FINAL and s, timeout=60)


def test_created_order_charges_nothing_and_holds_no_name(runtime, make_account):
    first, second = with_owner(runtime, make_account()), with_owner(runtime, make_account())
    name = f"{unique('held')}.com"
    order = create(runtime, first, domain_request(name, [mailbox(f"jane@{name}")]))
    assert order.status == OrderStatus.CREATED
    assert order.total_minor == YEARLY_COM + MONTHLY_GOOGLE
    assert balance(runtime, first) == 100_000
    with runtime.db.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Domain).where(Domain.name == name)) == 0
    # Another customer may order the same name meanwhile; whoever processes first gets it.
    rival = create(runtime, second, domain_request(name))
    assert process(runtime, second, rival.id) is True
    with pytest.raises(RuleViolation) as refused:
        process(runtime, first, order.id)
    assert refused.value.code == "domain_unavailable"
    assert refused.value.fields[0].field == "domains[0].domain"
    assert order_status(runtime, order.id) == OrderStatus.CREATED
    assert balance(runtime, first) == 100_000


def test_processing_twice_charges_once(runtime, make_account):
    account = with_owner(runtime, make_account())
    name = f"{unique('twice')}.com"
    order = create(runtime, account, domain_request(name, [mailbox(f"jane@{name}")]))
    assert process(runtime, account, order.id) is True
    assert process(runtime, account, order.id) is False
    assert balance(runtime, account) == 100_000 - YEARLY_COM - MONTHLY_GOOGLE
    assert final(runtime, order.id) == OrderStatus.COMPLETED
    assert process(runtime, account, order.id) is False
    assert balance(runtime, account) == 100_000 - YEARLY_COM - MONTHLY_GOOGLE


def test_insufficient_funds_leaves_the_order_unprocessed(runtime, make_account):
    account = with_owner(runtime, make_account(credit="10.00"))
    name = f"{unique('poor')}.com"
    order = create(runtime, account, domain_request(name, [mailbox(f"jane@{name}")]))
    with pytest.raises(wallet.InsufficientFunds) as refused:
        process(runtime, account, order.id)
    assert "19.00" in refused.value.message and "10.00" in refused.value.message
    assert order_status(runtime, order.id) == OrderStatus.CREATED
    assert balance(runtime, account) == 1_000
    with runtime.db.read() as session:
        assert session.scalar(sa.select(Domain.id).where(Domain.order_id == order.id)) is None
    with runtime.db.write() as session:
        wallet.credit(session, wallet.lock_account(session, account.id), wallet.Money(1_000, "USD"), "top-up")
    assert process(runtime, account, order.id) is True
    assert balance(runtime, account) == 100
    assert final(runtime, order.id) == OrderStatus.COMPLETED


def test_years_multiply_the_price_and_reach_the_registrar(runtime, make_account):
    account = with_owner(runtime, make_account())
    name = f"{unique('years')}.com"
    order = create(runtime, account, domain_request(name, years=3))
    assert order.total_minor == 3 * YEARLY_COM
    assert process(runtime, account, order.id)
    assert final(runtime, order.id) == OrderStatus.COMPLETED
    with runtime.db.read() as session:
        domain = session.scalar(sa.select(Domain).where(Domain.order_id == order.id))
        assert domain.years == 3
        assert domain.expires_at.year - domain.registered_at.year == 3


@pytest.mark.parametrize("years", [0, 11, -1, "two", 2.5, True])
def test_years_outside_one_to_ten_are_refused(runtime, make_account, years):
    account = with_owner(runtime, make_account())
    with pytest.raises(InvalidFields) as refused:
        create(runtime, account, domain_request(f"{unique('y')}.com", years=years, years_field="domains[0].years"))
    assert [(f.field, f.issue) for f in refused.value.fields] == [("domains[0].years", orders.YEARS_RANGE)]


def test_forwarding_masked_reaches_the_dns_host(runtime, make_account):
    account = with_owner(runtime, make_account())
    name = f"{unique('fwd')}.com"
    order = create(runtime, account, domain_request(name, forward_to="piedpiper.com", mask_forwarding=True))
    assert process(runtime, account, order.id)
    assert final(runtime, order.id) == OrderStatus.COMPLETED

    def applied():
        with runtime.db.read() as session:
            row = session.get(SandboxDomain, name)
            return row if row is not None and row.web_redirect else None

    row = wait_until(applied)
    assert (row.web_redirect, row.web_redirect_masked) == ("http://piedpiper.com", True)
    assert settings_steps(runtime, domain_id(runtime, name)) == ["apply_domain_settings"]


def test_nothing_to_set_makes_no_settings_call(runtime, make_account):
    account = with_owner(runtime, make_account())
    name = f"{unique('plain')}.com"
    order = create(runtime, account, domain_request(name, [mailbox(f"jane@{name}")]))
    assert process(runtime, account, order.id)
    assert final(runtime, order.id) == OrderStatus.COMPLETED
    with runtime.db.read() as session:
        box = session.scalar(sa.select(Mailbox).where(Mailbox.email == f"jane@{name}"))
    assert box.status == MailboxStatus.LIVE
    assert settings_steps(runtime, domain_id(runtime, name)) == []


def domain_id(runtime, name: str) -> str:
    with runtime.db.read() as session:
        return session.scalar(sa.select(Domain.id).where(Domain.name == name))


def settings_steps(runtime, domain: str) -> list[str]:
    """The settings steps the domain's provisioning workflow ran (DBOS's record of its steps)."""
    client = runtime.workflow_client
    workflows = [w for w in client.list_workflows(name="provision_domain", load_output=False) if w.input and w.input["args"][0] == domain]
    assert len(workflows) == 1
    names = [step["function_name"] for step in client.list_workflow_steps(workflows[0].workflow_id, load_output=False)]
    return [name for name in names if name in ("apply_domain_settings", "apply_mailbox_settings")]


def test_bad_forwarding_fields_are_named(runtime, make_account):
    account = with_owner(runtime, make_account())
    request = domain_request(
        f"{unique('f')}.com", forward_to="not a url", mask_forwarding="yes",
        forward_to_field="domains[0].forwardTo", mask_forwarding_field="domains[0].maskForwarding",
    )
    with pytest.raises(InvalidFields) as refused:
        create(runtime, account, request)
    assert sorted(f.field for f in refused.value.fields) == ["domains[0].forwardTo", "domains[0].maskForwarding"]


def test_uploaded_picture_is_kept_with_the_order_and_pushed_to_the_host(runtime, make_account):
    account = with_owner(runtime, make_account())
    name = f"{unique('pic')}.com"
    image = png()
    options = OrderOptions(auto_renew=True, export_settings={"microsoftOauthRoute": "https://example.com/cb"})
    order = create(runtime, account, domain_request(name, [mailbox(f"jane@{name}", picture=check_picture(image, runtime.decode_budget))]), options=options)
    assert order.auto_renew is True
    assert process(runtime, account, order.id)
    assert final(runtime, order.id) == OrderStatus.COMPLETED

    def pushed():
        with runtime.db.read() as session:
            return session.scalar(sa.select(SandboxMailbox.picture_sha256).where(SandboxMailbox.email == f"jane@{name}"))

    assert wait_until(pushed) == hashlib.sha256(image).hexdigest()


@pytest.fixture
def image_server() -> Iterator[str]:
    """A loopback HTTP server: /ok.png is a PNG, /huge is over the size limit, /text is not an image."""
    image = png(16)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            body = {"/ok.png": image, "/text": b"hello, not an image", "/huge": b"\0" * (5 * 1024 * 1024 + 1)}.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args) -> None:
            pass

    server = serve(Handler)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_picture_url_is_fetched_by_the_workflow(runtime, make_account, image_server):
    account = with_owner(runtime, make_account())
    name = f"{unique('url')}.com"
    boxes = [
        mailbox(f"ok@{name}", picture_url=f"{image_server}/ok.png"),
        mailbox(f"text@{name}", picture_url=f"{image_server}/text"),
        mailbox(f"huge@{name}", picture_url=f"{image_server}/huge"),
    ]
    order = create(runtime, account, domain_request(name, boxes))  # the tests' settings allow loopback
    assert process(runtime, account, order.id)
    assert final(runtime, order.id) == OrderStatus.COMPLETED
    with runtime.db.read() as session:
        rows = {m.local_part: m for m in session.scalars(sa.select(Mailbox).where(Mailbox.order_id == order.id))}
    assert all(m.status == MailboxStatus.LIVE for m in rows.values())
    assert rows["ok"].profile_picture_id is not None and rows["ok"].profile_picture_error is None
    assert rows["text"].profile_picture_id is None and "PNG or JPEG" in rows["text"].profile_picture_error
    assert rows["huge"].profile_picture_id is None and "5 MB" in rows["huge"].profile_picture_error


def test_picture_url_must_be_https(runtime, make_account):
    account = with_owner(runtime, make_account())
    name = f"{unique('u')}.com"
    request = domain_request(name, [mailbox(f"a@{name}", picture_url="http://example.com/a.png", picture_field="p")])
    public_only = runtime.settings.model_copy(update={"outbound_allow_private": False})
    with pytest.raises(InvalidFields) as refused:
        create(runtime, account, request, settings=public_only)
    assert [(f.field, f.issue) for f in refused.value.fields] == [("p", "Must be an https URL of a PNG or JPEG image")]


def test_an_unprocessed_order_expires(runtime, make_account):
    account = with_owner(runtime, make_account())
    order = create(runtime, account, domain_request(f"{unique('exp')}.com"))
    clock.advance(dt.timedelta(hours=runtime.settings.unprocessed_order_hours, minutes=1))
    try:
        with runtime.db.read() as session:
            assert orders.status_of(runtime.settings, session.get(Order, order.id)) == OrderStatus.EXPIRED
        with pytest.raises(RuleViolation) as refused:
            process(runtime, account, order.id)
        assert refused.value.code == "order_expired"
    finally:
        clock.reset()
    assert order_status(runtime, order.id) == OrderStatus.CREATED
