"""Woodpecker (woodpecker.co) as a sending platform: a live mailbox becomes a Woodpecker email
account (an SMTP mailbox with its IMAP), through Woodpecker's public API as documented at
https://developers.woodpecker.co/docs/:

- getting-started/authentication: the base URL is https://api.woodpecker.co/rest and every
  request carries the key in the `x-api-key` header; `GET /v1/me` is the documented check of a
  key, so it is `probe()`;
- mailboxes/post-mailboxes ("Add mailboxes in bulk"; also the help-center article "Adding
  mailboxes", docs.woodpecker.co/en/articles/9428731): `POST /v2/mailboxes/manual_connection/bulk`
  with `{"mailboxes": [{smtp_email, smtp_login, smtp_password, smtp_server, smtp_port,
  smtp_from_name, imap_email, imap_password, imap_server, imap_port, daily_sending_limit, ...}]}`
  answers 202 `{"batch_id": integer}`, or 400/409/500 `{"code": string, "details": [string]}`;
- mailboxes/get-batch-summary: `GET /v2/mailboxes/manual_connection/bulk/{batch_id}/summary`
  (`processing_finished`, `pending_mailboxes_count`, `connected_mailboxes_count`,
  `conditionally_connected_mailboxes`, `failed_mailboxes` with Woodpecker's `error_message`):
  Woodpecker connects the mailboxes in the background, signing in to SMTP and IMAP;
- mailboxes/get-mailboxes and get-mailbox: `GET /v2/mailboxes`, one object per SMTP and per IMAP
  configuration (`id`, `type` "SMTP"|"IMAP", `details.email`, ... and for SMTP `imap_id`,
  `daily_limit`, `in_slot`);
- the v2 error bodies `{"title", "status", "details", "timestamp"}` (401 and the others, as the
  v2 domain endpoints document them), the v1 error codes (`E_SESSION` for a key that is wrong)
  and the rate limits of the API reference (docs.woodpecker.co/en/articles/5388048): one request
  processed at a time, at most 6 waiting, each for at most 15 s; more are dropped.

Choices:
- Exactly the documented fields are sent. The login of both SMTP and IMAP is the mailbox's address
  (`smtp_login`; the IMAP login is `imap_email`), the from name is `smtp_from_name` (left out when
  the mailbox has no name: the API refuses a blank one), the operator's daily limit is
  `daily_sending_limit` (Woodpecker accepts 1 to 5500). Woodpecker's API takes no warm-up setting:
  warm-up is switched on in Woodpecker's app.
- `GET /v2/mailboxes` is documented as one JSON array, without pages. The adapter also reads the
  paged form of Woodpecker's v2 lists (`content` with `pagination_data`, `page` counted from 0, as
  /v2/users documents it), page after page, so an address on a later page is never missed, and
  reads 204 (Woodpecker's "empty dataset") as no mailbox.
- Creating waits for the batch (a few short polls of its summary). A mailbox Woodpecker could not
  connect fails with Woodpecker's own `error_message`; 409 (the address is already there) is looked
  up and returned when it is this account's own; a connected account with no free paid slot
  (`in_slot` false: Woodpecker does not send from it) is refused, saying what to do; a batch still
  being processed is retried later.
- The API has no call that removes an email account: `delete_account` finds the account and, when
  it is there, says it is removed in Woodpecker's app (Settings, Accounts); one already gone is not
  an error.
- Answers are mapped to the typed errors in one place (`_refusal`); a wrong key is a
  NeedsActionError on every call. The key goes only in its header and the mailbox password only in
  the request body; neither is ever in an error (Woodpecker's words are scrubbed of both).

CSV: Woodpecker's bulk import (help-center article "Bulk adding mailboxes to Woodpecker",
docs.woodpecker.co/en/articles/9791673) takes a CSV file of at most 200 accounts and 200 KB whose
mandatory fields it names; the sample file itself is only offered inside the app, so `CSV_HEADER`
is those mandatory fields, in the article's order and words."""

from __future__ import annotations

import time
from typing import Any

from mailwright.exports.platforms import AccountToExport, Method, PlatformAnswer, PlatformHttp, RemoteAccount
from mailwright.net.outbound import OutboundPolicy
from mailwright.providers.base import NeedsActionError, RetriableError, TerminalError

PLATFORM = "Woodpecker"
DEFAULT_BASE_URL = "https://api.woodpecker.co/rest"

# The mandatory fields of Woodpecker's bulk-import CSV, as its help-center article "Bulk adding
# mailboxes to Woodpecker" (docs.woodpecker.co/en/articles/9791673) lists them: "SMTP email, SMTP
# login, SMTP password, SMTP server, SMTP port, SMPT from name, IMAP email, IMAP password, IMAP
# server, IMAP port" (its "SMPT" is a slip of the pen for SMTP). The optional columns of the sample
# file are not published; they are set in Woodpecker after the import.
CSV_HEADER: tuple[str, ...] = (
    "SMTP email",
    "SMTP login",
    "SMTP password",
    "SMTP server",
    "SMTP port",
    "SMTP from name",
    "IMAP email",
    "IMAP password",
    "IMAP server",
    "IMAP port",
)

# Seconds between the polls of a new batch's summary: Woodpecker signs in to SMTP and IMAP in the
# background, usually within seconds. Past them the step is retried (RETRY_PENDING_SECONDS later).
POLL_DELAYS: tuple[float, ...] = (1.0, 2.0, 3.0, 5.0, 8.0)
RETRY_PENDING_SECONDS = 30.0
MAX_PAGES = 1000  # of the paged form of GET /v2/mailboxes, a bound on a list that never ends
KEY_ADVICE = "create a key in Woodpecker (Marketplace, Integrations, API keys) and save it for this platform again"


def csv_row(account: AccountToExport) -> list[str]:
    """One line of Woodpecker's bulk-import CSV, in CSV_HEADER's order. The from name is mandatory
    there: a mailbox without a name has its address."""
    return [
        account.email,
        account.email,
        account.password,
        account.smtp_host,
        str(account.smtp_port),
        account.from_name or account.email,
        account.email,
        account.password,
        account.imap_host,
        str(account.imap_port),
    ]


class WoodpeckerPlatform:
    platform = "WOODPECKER"

    def __init__(self, api_key: str, base_url: str | None, policy: OutboundPolicy) -> None:
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.http = PlatformHttp(PLATFORM, self.base_url, policy, headers={"x-api-key": api_key})
        self._secrets: set[str] = {api_key} if api_key else set()
        self.poll_delays = POLL_DELAYS

    # ------------------------------------------------------------------ SendingPlatform

    def probe(self) -> str:
        """`GET /v1/me`, the call Woodpecker's authentication guide checks a key with."""
        answer = self._call("GET", "v1/me")
        if answer.status_code != 200:
            raise self._refusal("GET /v1/me", answer)
        return "Woodpecker accepted the API key (GET /v1/me)"

    def find_account(self, email: str) -> RemoteAccount | None:
        """The SMTP mailbox (the email account campaigns send from) with this address."""
        found = self._smtp_entry(email)
        return None if found is None else RemoteAccount(remote_id=found[0], email=str(found[1].get("email") or email))

    def create_account(self, account: AccountToExport) -> RemoteAccount:
        self._secrets.add(account.password)
        where = "POST /v2/mailboxes/manual_connection/bulk"
        answer = self._call("POST", "v2/mailboxes/manual_connection/bulk", json_body={"mailboxes": [self._mailbox(account)]})
        if answer.status_code == 409:
            found = self.find_account(account.email)
            if found is not None:
                return found
            raise TerminalError(f"Woodpecker refused {account.email} ({where}, 409): {self._message(answer)}")
        if answer.status_code in (400, 422):
            raise TerminalError(f"Woodpecker refused {account.email} ({where}, {answer.status_code}): {self._message(answer)}")
        if answer.status_code not in (200, 201, 202):
            raise self._refusal(where, answer)
        batch = answer.body.get("batch_id") if isinstance(answer.body, dict) else None
        if batch is None or isinstance(batch, bool):
            raise RetriableError(f"Woodpecker accepted {account.email} without a batch_id ({where}, {answer.status_code})")
        return self._await_batch(str(batch), account)

    def delete_account(self, email: str) -> None:
        """Woodpecker's API documents no removal of an email account: one still there is a
        TerminalError saying it is removed in Woodpecker's app; one already gone is done."""
        found = self.find_account(email)
        if found is None:
            return
        raise TerminalError(
            f"Woodpecker's API cannot remove an email account: remove {found.email} (SMTP mailbox {found.remote_id}) "
            "in Woodpecker's app (Settings, Accounts), which also disconnects its IMAP"
        )

    # ------------------------------------------------------------------ calls

    def _mailbox(self, account: AccountToExport) -> dict[str, Any]:
        """The documented fields of one manual connection, no others."""
        body: dict[str, Any] = {
            "smtp_email": account.email,
            "smtp_login": account.email,
            "smtp_password": account.password,
            "smtp_server": account.smtp_host,
            "smtp_port": int(account.smtp_port),
            "imap_email": account.email,
            "imap_password": account.password,
            "imap_server": account.imap_host,
            "imap_port": int(account.imap_port),
            "daily_sending_limit": int(account.daily_limit),
        }
        if account.from_name.strip():
            body["smtp_from_name"] = account.from_name.strip()
        return body

    def _await_batch(self, batch: str, account: AccountToExport) -> RemoteAccount:
        path = f"v2/mailboxes/manual_connection/bulk/{batch}/summary"
        for delay in (0.0, *self.poll_delays):
            if delay:
                time.sleep(delay)
            answer = self._call("GET", path)
            if answer.status_code != 200 or not isinstance(answer.body, dict):
                raise RetriableError(
                    f"Woodpecker answered {answer.status_code} for the summary of batch {batch} ({account.email})",
                    retry_after=RETRY_PENDING_SECONDS,
                )
            summary = answer.body
            if summary.get("processing_finished") is True or summary.get("pending_mailboxes_count") == 0:
                return self._connected(batch, summary, account)
        raise RetriableError(
            f"Woodpecker is still connecting {account.email} (batch {batch}); looked again {len(self.poll_delays)} times",
            retry_after=RETRY_PENDING_SECONDS,
        )

    def _connected(self, batch: str, summary: dict[str, Any], account: AccountToExport) -> RemoteAccount:
        """The account a finished batch made. A failure is Woodpecker's own words, unless the
        address is there all the same (Woodpecker reporting it as already connected)."""
        failed = [entry for entry in summary.get("failed_mailboxes") or [] if isinstance(entry, (dict, str))]
        found = self._smtp_entry(account.email)
        if found is None and (failed or summary.get("failed_mailboxes_count")):
            words = "; ".join(self._scrub(_failure_text(entry)) for entry in failed) or "no reason given"
            raise TerminalError(f"Woodpecker could not connect {account.email} (batch {batch}): {words}")
        if found is None:
            raise RetriableError(
                f"Woodpecker finished batch {batch} but does not list {account.email} yet", retry_after=RETRY_PENDING_SECONDS
            )
        entry_id, details = found
        if details.get("in_slot") is False:
            raise TerminalError(
                f"Woodpecker connected {account.email} (SMTP mailbox {entry_id}) but has no free slot for it (in_slot false), "
                "so it sends nothing from it: add a slot in Woodpecker (Marketplace, Slots) and activate the account"
            )
        return RemoteAccount(remote_id=entry_id, email=str(details.get("email") or account.email))

    def _smtp_entry(self, email: str) -> tuple[str, dict[str, Any]] | None:
        """(id, details) of the SMTP configuration with this address, from every page."""
        wanted = email.strip().casefold()
        for entry in self._mailboxes():
            details = entry.get("details")
            if not isinstance(details, dict) or entry.get("id") is None or str(entry.get("type") or "").upper() != "SMTP":
                continue
            if str(details.get("email") or "").strip().casefold() == wanted:
                return str(entry["id"]), details
        return None

    def _mailboxes(self) -> list[dict[str, Any]]:
        """Every SMTP and IMAP configuration: the documented array, or the v2 paged form page by page."""
        found: list[dict[str, Any]] = []
        page = 0
        while page < MAX_PAGES:
            answer = self._call("GET", "v2/mailboxes", params={"page": page} if page else None)
            if answer.status_code == 204 or answer.body in (None, ""):
                return found
            if answer.status_code != 200:
                raise self._refusal("GET /v2/mailboxes", answer)
            body = answer.body
            if isinstance(body, list):
                return found + [entry for entry in body if isinstance(entry, dict)]
            if not isinstance(body, dict) or not isinstance(body.get("content"), list):
                raise RetriableError(f"Woodpecker answered GET /v2/mailboxes with neither a list nor a page ({answer.status_code})")
            content = [entry for entry in body["content"] if isinstance(entry, dict)]
            found += content
            paging = body.get("pagination_data") if isinstance(body.get("pagination_data"), dict) else {}
            total_pages, current = paging.get("total_pages"), paging.get("current_page_number")
            if not content or not isinstance(total_pages, int) or not isinstance(current, int) or current >= total_pages:
                return found
            page += 1
        raise RetriableError(f"Woodpecker's list of mailboxes did not end within {MAX_PAGES} pages")

    def _call(self, method: Method, path: str, *, params: dict[str, Any] | None = None, json_body: Any = None) -> PlatformAnswer:
        """One call; a key Woodpecker refuses is a NeedsActionError, other answers go back to the caller."""
        answer = self.http.request(method, path, params=params, json_body=json_body)
        if answer.status_code in (401, 403) or _v1_code(answer.body) == "E_SESSION":
            raise NeedsActionError(
                f"Woodpecker refused the API key ({method} /{path}, {answer.status_code}: {self._message(answer)}): {KEY_ADVICE}"
            )
        return answer

    def _refusal(self, where: str, answer: PlatformAnswer) -> Exception:
        """The typed error an answer that is neither success nor handled by the caller means."""
        message = self._message(answer)
        if _v1_code(answer.body) == "E_TOO_MANY_REQUESTS":
            return RetriableError(f"Woodpecker {where}: too many requests at once ({message})")
        return TerminalError(f"Woodpecker {where} answered {answer.status_code}: {message}")

    def _message(self, answer: PlatformAnswer) -> str:
        """Woodpecker's own words from any of its error bodies, without our secrets."""
        return self._scrub(_error_text(answer.body) or f"HTTP {answer.status_code}")[:500]

    def _scrub(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret:
                text = text.replace(secret, "[secret]")
        return text


def _error_text(body: Any) -> str:
    """The message of a v2 problem body ({title, status, details}), of the mailbox endpoints'
    {code, details: [..]}, of a v1 body ({status: {code, msg}}), or a short text answer."""
    if isinstance(body, str):
        return body.strip()[:300]
    if not isinstance(body, dict):
        return ""
    details = body.get("details")
    if isinstance(details, list):
        words = "; ".join(str(item) for item in details if item not in (None, ""))
        code = str(body.get("code") or "")
        return f"{words} ({code})" if code and words else (words or code)
    if isinstance(details, str) and details.strip():
        title = str(body.get("title") or "")
        return f"{title}: {details.strip()}" if title else details.strip()
    status = body.get("status")
    if isinstance(status, dict):
        return " ".join(str(status.get(key) or "") for key in ("code", "msg")).strip()
    for key in ("message", "title", "error"):
        if isinstance(body.get(key), str) and body[key].strip():
            return body[key].strip()
    return ""


def _v1_code(body: Any) -> str:
    status = body.get("status") if isinstance(body, dict) else None
    return str(status.get("code") or "") if isinstance(status, dict) else ""


def _failure_text(entry: Any) -> str:
    if isinstance(entry, str):
        return entry
    for key in ("error_message", "error", "message", "reason"):
        if isinstance(entry.get(key), str) and entry[key].strip():
            return entry[key].strip()
    return "no reason given"
