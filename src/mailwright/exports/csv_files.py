"""Credentials as CSV files, in each sending platform's bulk-import format (Instantly, Smartlead,
Woodpecker: the header row and row of each platform's adapter module) or `generic`, with every
credential column. One row per LIVE mailbox of one owner (optionally one domain), ordered by
address.

`stream_csv` reads the mailboxes in pages, each in a short read transaction of its own, and
yields the file's text page by page: ten thousand mailboxes never sit in memory together, and a
slow download holds no database connection while it waits.

Names are the customer's words, so every cell is made safe for spreadsheets as OWASP's "CSV
Injection" page advises: a cell starting with = + - @, a tab or a carriage return gets a leading
apostrophe, and every cell is quoted. (Values Mailwright makes never start with one of them:
passwords and addresses start with a letter or digit, hosts and ports too.)"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from mailwright import clock
from mailwright.errors import FieldIssues
from mailwright.exports import instantly, smartlead, woodpecker
from mailwright.exports.accounts import ExportDefaults, account_to_export
from mailwright.exports.platforms import AccountToExport
from mailwright.mailboxes.models import Mailbox, MailboxStatus
from mailwright.runtime import Runtime
from mailwright.validation import REQUIRED, shown

PAGE_SIZE = 500
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _generic_row(account: AccountToExport, mailbox: Mailbox) -> list[str]:
    return [
        account.email,
        account.first_name,
        account.last_name,
        account.password,
        account.smtp_host,
        str(account.smtp_port),
        account.imap_host,
        str(account.imap_port),
        mailbox.sign_in_note or "",
    ]


@dataclass(frozen=True)
class CsvFormat:
    name: str  # as the `format` parameter names it
    header: tuple[str, ...]
    row: Callable[[AccountToExport, Mailbox], list[str]]


# Every credential the mailbox's credentials endpoints show, under plain names. The one-time code
# is not here: those endpoints show only the current code, never its seed, and a code in a file
# is stale within a minute.
GENERIC_HEADER: tuple[str, ...] = (
    "email",
    "first_name",
    "last_name",
    "password",
    "smtp_host",
    "smtp_port",
    "imap_host",
    "imap_port",
    "sign_in_note",
)

FORMATS: dict[str, CsvFormat] = {
    "instantly": CsvFormat("instantly", instantly.CSV_HEADER, lambda account, _: instantly.csv_row(account)),
    "smartlead": CsvFormat("smartlead", smartlead.CSV_HEADER, lambda account, _: smartlead.csv_row(account)),
    "woodpecker": CsvFormat("woodpecker", woodpecker.CSV_HEADER, lambda account, _: woodpecker.csv_row(account)),
    "generic": CsvFormat("generic", GENERIC_HEADER, _generic_row),
}
FORMAT_NAMES: tuple[str, ...] = tuple(FORMATS)
FORMAT_RULE = f"Must be one of: {', '.join(FORMAT_NAMES)}"


def format_named(issues: FieldIssues, value: str | None, field: str = "format") -> CsvFormat | None:
    """The format a request names (any case); a missing or unknown one is noted against `field`."""
    chosen = FORMATS.get((value or "").strip().lower())
    if chosen is None:
        issues.add(field, FORMAT_RULE if value else f"{REQUIRED}; {FORMAT_RULE[0].lower()}{FORMAT_RULE[1:]}", shown(value))
    return chosen


@dataclass(frozen=True)
class ExportScope:
    """Whose mailboxes: an account's, or only those of one of its reseller users; optionally one domain's.
    The caller has checked that the user and the domain are the account's."""

    account_id: str
    user_id: str | None = None  # None: every mailbox of the account
    domain_id: str | None = None


def filename(csv_format: CsvFormat) -> str:
    """e.g. mailwright-instantly-2026-12-01.csv"""
    return f"mailwright-{csv_format.name}-{clock.now().date().isoformat()}.csv"


def stream_csv(runtime: Runtime, scope: ExportScope, csv_format: CsvFormat, *, page_size: int = PAGE_SIZE) -> Iterator[str]:
    """The file's text: the header line, then the rows of each page of mailboxes."""
    defaults = ExportDefaults.from_settings(runtime.settings)
    yield _lines([csv_format.header])
    after: tuple[str, str] | None = None
    while True:
        with runtime.db.read() as session:
            page = list(session.scalars(_live_mailboxes(scope, after).limit(page_size)))
            rows = [csv_format.row(account_to_export(m, runtime.secrets, defaults), m) for m in page]
        if rows:
            yield _lines(rows)
        if len(page) < page_size:
            return
        after = (page[-1].email, page[-1].id)


def _live_mailboxes(scope: ExportScope, after: tuple[str, str] | None) -> sa.Select[tuple[Mailbox]]:
    """The scope's live mailboxes after `after` (email, id), in that order: a page of a keyset
    walk that stays right while mailboxes come and go."""
    statement = sa.select(Mailbox).where(Mailbox.account_id == scope.account_id, Mailbox.status == MailboxStatus.LIVE)
    if scope.user_id is not None:
        statement = statement.where(Mailbox.user_id == scope.user_id)
    if scope.domain_id is not None:
        statement = statement.where(Mailbox.domain_id == scope.domain_id)
    if after is not None:
        email, mailbox_id = after
        statement = statement.where(sa.or_(Mailbox.email > email, sa.and_(Mailbox.email == email, Mailbox.id > mailbox_id)))
    return statement.order_by(Mailbox.email, Mailbox.id)


def _lines(rows: Iterable[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerows([[_safe(cell) for cell in row] for row in rows])
    return out.getvalue()


def _safe(cell: str) -> str:
    """A cell no spreadsheet reads as a formula (OWASP, CSV Injection)."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell
