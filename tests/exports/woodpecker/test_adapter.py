"""The Woodpecker sending platform called directly against the loopback emulator of Woodpecker's
API (one per module, a fresh account for each test), and both against the example bodies of
Woodpecker's documentation in fixtures/."""

from __future__ import annotations

import csv
import inspect
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mailwright.exports.platforms import AccountToExport, RemoteAccount, SendingPlatform
from mailwright.exports.woodpecker import CSV_HEADER, DEFAULT_BASE_URL, WoodpeckerPlatform, csv_row
from mailwright.net.outbound import OutboundPolicy
from mailwright.providers.base import NeedsActionError, ProviderError, RetriableError, TerminalError
from tests.exports.woodpecker.emulator import Emulator, Mailbox

FIXTURES = Path(__file__).with_name("fixtures")
PASSWORD = "Mailbox-Pass-8841!"
KEY = Emulator().api_key
ACCOUNT = AccountToExport(
    email="richard@hooli-mail.com", first_name="Richard", last_name="Hendricks", password=PASSWORD,
    smtp_host="smtp.hooli-mail.com", smtp_port=465, imap_host="imap.hooli-mail.com", imap_port=993,
    daily_limit=40, warmup=True,
)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def shape(value: Any) -> Any:
    """Keys and value types, recursively (a list by its first element; null as an optional value)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def account(email: str, **changes: Any) -> AccountToExport:
    values = {**ACCOUNT.__dict__, "email": email, **changes}
    return AccountToExport(**values)


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    emulator = Emulator().start()
    yield emulator
    emulator.stop()
    CLIENT.close()


@pytest.fixture
def emulator(server: Emulator) -> Emulator:
    server.reset()
    return server


def platform_for(emulator: Emulator, key: str | None = None) -> WoodpeckerPlatform:
    platform = WoodpeckerPlatform(key or emulator.api_key, emulator.url, OutboundPolicy(allow_private=True))
    platform.poll_delays = (0.0, 0.0, 0.0)
    return platform


@pytest.fixture
def woodpecker(emulator: Emulator) -> WoodpeckerPlatform:
    return platform_for(emulator)


def raised(call: Any, kind: type[ProviderError], *secrets: str) -> ProviderError:
    """The error `call` raises, of `kind`, with no secret in its words."""
    with pytest.raises(kind) as caught:
        call()
    for secret in (PASSWORD, KEY, *secrets):
        assert secret not in str(caught.value)
    return caught.value


CLIENT = httpx.Client(trust_env=False, timeout=5, verify=False)  # plain HTTP on loopback: no TLS context to build per call


def direct(emulator: Emulator, method: str, path: str, body: Any = None, key: str | None = None) -> httpx.Response:
    """A request to the emulator as any Woodpecker client would send it."""
    return CLIENT.request(method, emulator.url + path, json=body, headers={"x-api-key": key or emulator.api_key})


# ------------------------------------------------------------------ documented bodies


def test_the_emulator_answers_the_documented_bodies(emulator: Emulator) -> None:
    documented = fixture("get_mailbox_smtp")["details"]
    emulator.add_mailbox(
        "jared@getpiedpiper.com", smtp_id=456789, server="mail.privateemail.com", port=587, imap_server="mail.privateemail.com",
        from_name=documented["from_name"], daily_limit=100, bcc=documented["bcc_crm"], signature=documented["signature"],
        open_url="mail.getpiedpiper.com", click_url="mail.getpiedpiper.com", unsubscribe_url="mail.getpiedpiper.com",
        warmup_status="RUNNING",
    )
    listing = direct(emulator, "GET", "/v2/mailboxes")
    assert listing.status_code == 200 and listing.json() == fixture("get_mailboxes")
    assert direct(emulator, "GET", "/v2/mailboxes/456789").json() == fixture("get_mailbox_smtp")

    accepted = direct(emulator, "POST", "/v2/mailboxes/manual_connection/bulk", fixture("post_bulk_request"))
    assert accepted.status_code == 202 and shape(accepted.json()) == shape(fixture("post_bulk_accepted"))
    summary = direct(emulator, "GET", f"/v2/mailboxes/manual_connection/bulk/{accepted.json()['batch_id']}/summary").json()
    assert shape(summary) == shape(fixture("batch_summary_finished"))
    assert summary["processing_finished"] is True and summary["connected_mailboxes_count"] == 1
    assert emulator.mailboxes["smtp@mail.com"].smtp()["details"]["frequency_to"] == 20_000  # seconds sent, ms listed

    again = direct(emulator, "POST", "/v2/mailboxes/manual_connection/bulk", fixture("post_bulk_request"))
    assert again.status_code == 409 and shape(again.json()) == shape(fixture("post_bulk_error"))
    unauthorized = direct(emulator, "GET", "/v2/mailboxes", key="not-the-key")
    assert unauthorized.status_code == 401 and shape(unauthorized.json()) == shape(fixture("error_401"))
    assert unauthorized.json()["title"] == "Unauthorized"

    emulator.page_size = 1
    page = direct(emulator, "GET", "/v2/mailboxes?page=1").json()
    assert set(page) == set(fixture("paged_list")) and shape(page["pagination_data"]) == shape(fixture("paged_list")["pagination_data"])
    assert page["pagination_data"]["current_page_number"] == 2 and page["content"] == [fixture("get_mailboxes")[1]]


def test_the_adapter_reads_the_documented_listing(emulator: Emulator, woodpecker: WoodpeckerPlatform) -> None:
    emulator.add_mailbox("jared@getpiedpiper.com", smtp_id=456789)
    assert woodpecker.find_account("Jared@GetPiedPiper.com") == RemoteAccount("456789", "jared@getpiedpiper.com")
    assert woodpecker.find_account("someone@getpiedpiper.com") is None
    assert woodpecker.platform == "WOODPECKER" and DEFAULT_BASE_URL == "https://api.woodpecker.co/rest"
    for name in ("probe", "find_account", "create_account", "delete_account"):
        assert inspect.signature(getattr(WoodpeckerPlatform, name)) == inspect.signature(getattr(SendingPlatform, name)), name


def test_an_empty_dataset_answered_204_is_no_mailbox(emulator: Emulator, woodpecker: WoodpeckerPlatform) -> None:
    emulator.fail_next(204)  # "If Woodpecker API returns empty dataset, you will receive 204 No Content"
    assert woodpecker.find_account(ACCOUNT.email) is None
    assert woodpecker.find_account(ACCOUNT.email) is None  # the documented empty array


def test_the_emulator_validates_as_documented(emulator: Emulator) -> None:
    good = fixture("post_bulk_request")["mailboxes"][0]
    cases = {
        "smtp_port": ({"smtp_port": 0}, "mailboxes[0].smtp_port: must be provided and in range <1; 65535>"),
        "imap_port": ({"imap_port": "993"}, "mailboxes[0].imap_port: must be provided and in range <1; 65535>"),
        "smtp_password": ({"smtp_password": " "}, "mailboxes[0].smtp_password: must be provided and not blank"),
        "smtp_email": ({"smtp_email": "not-an-address"}, "mailboxes[0].smtp_email: must be provided and a valid email address"),
        "smtp_from_name": ({"smtp_from_name": ""}, "mailboxes[0].smtp_from_name: must not be blank"),
        "daily_sending_limit": ({"daily_sending_limit": 5501}, "mailboxes[0].daily_sending_limit: must be in range <1; 5500>"),
        "wait": ({"sending_wait_time_from": 30, "sending_wait_time_to": 25},
                 "mailboxes[0].sending_wait_time_from: must be smaller than sending_wait_time_to"),
        "bcc": ({"bcc": "nobody"}, "mailboxes[0].bcc: must be a valid email address"),
        "unknown": ({"warmup_enabled": True}, "mailboxes[0].warmup_enabled: unknown field"),
    }
    for name, (change, detail) in cases.items():
        answer = direct(emulator, "POST", "/v2/mailboxes/manual_connection/bulk", {"mailboxes": [{**good, **change}]})
        assert answer.status_code == 400, name
        assert answer.json() == {"code": "BAD_REQUEST", "details": [detail]}, name
    assert direct(emulator, "POST", "/v2/mailboxes/manual_connection/bulk", {"mailboxes": [good] * 201}).status_code == 400
    assert emulator.batches == {} and emulator.mailboxes == {}


# ------------------------------------------------------------------ probe


def test_probe_with_a_good_key(emulator: Emulator, woodpecker: WoodpeckerPlatform) -> None:
    assert woodpecker.probe() == "Woodpecker accepted the API key (GET /v1/me)"
    call = emulator.calls[-1]
    assert (call.method, call.path, call.headers["x-api-key"]) == ("GET", "/v1/me", emulator.api_key)


def test_a_wrong_key_needs_action_on_every_call(emulator: Emulator) -> None:
    wrong = platform_for(emulator, key="wp-wrong-key-0000")
    error = raised(wrong.probe, NeedsActionError, "wp-wrong-key-0000")
    assert "Woodpecker refused the API key" in str(error) and "API keys" in str(error) and "401" in str(error)
    raised(lambda: wrong.find_account(ACCOUNT.email), NeedsActionError, "wp-wrong-key-0000")
    raised(lambda: wrong.create_account(ACCOUNT), NeedsActionError, "wp-wrong-key-0000")
    raised(lambda: wrong.delete_account(ACCOUNT.email), NeedsActionError, "wp-wrong-key-0000")
    assert emulator.mailboxes == {} and emulator.batches == {}
    # Woodpecker's v1 error code for a key that is wrong or no longer valid (help-center "Error codes")
    emulator.fail_next(400, body={"status": {"status": "ERROR", "code": "E_SESSION", "msg": "Invalid API key"}})
    assert "E_SESSION Invalid API key" in str(raised(platform_for(emulator).probe, NeedsActionError))


# ------------------------------------------------------------------ create


def test_create_after_looking_sends_exactly_the_documented_fields(emulator: Emulator, woodpecker: WoodpeckerPlatform) -> None:
    assert woodpecker.find_account(ACCOUNT.email) is None
    created = woodpecker.create_account(ACCOUNT)

    mailbox = emulator.mailboxes[ACCOUNT.email]
    assert created == RemoteAccount(str(mailbox.smtp_id), ACCOUNT.email)
    posted = [call.body for call in emulator.calls if call.method == "POST"]
    assert posted == [{"mailboxes": [{
        "smtp_email": ACCOUNT.email, "smtp_login": ACCOUNT.email, "smtp_password": PASSWORD,
        "smtp_server": "smtp.hooli-mail.com", "smtp_port": 465, "smtp_from_name": "Richard Hendricks",
        "imap_email": ACCOUNT.email, "imap_password": PASSWORD, "imap_server": "imap.hooli-mail.com", "imap_port": 993,
        "daily_sending_limit": 40,
    }]}]
    assert emulator.paths() == [
        "/v2/mailboxes", "/v2/mailboxes/manual_connection/bulk",
        f"/v2/mailboxes/manual_connection/bulk/{max(emulator.batches)}/summary", "/v2/mailboxes",
    ]
    details = mailbox.smtp()["details"]
    assert (details["login"], details["server"], details["port"], details["from_name"], details["daily_limit"]) == (
        ACCOUNT.email, "smtp.hooli-mail.com", 465, "Richard Hendricks", 40)
    assert (mailbox.password, mailbox.imap_server, mailbox.imap_port, mailbox.imap_password) == (PASSWORD, "imap.hooli-mail.com", 993, PASSWORD)
    assert woodpecker.find_account(ACCOUNT.email) == created


def test_a_mailbox_without_a_name_is_sent_without_a_from_name(emulator: Emulator, woodpecker: WoodpeckerPlatform) -> None:
    woodpecker.create_account(account("info@hooli-mail.com", first_name="", last_name=""))
    assert "smtp_from_name" not in emulator.calls[0].body["mailboxes"][0]
    assert emulator.mailboxes["info@hooli-mail.com"].from_name is None


def test_a_duplicate_woodpecker_answers_is_looked_up_and_returned(emulator: Emulator, woodpecker: WoodpeckerPlatform) -> None:
    first = woodpecker.create_account(ACCOUNT)
    again = woodpecker.create_account(ACCOUNT)  # a retry that did not look first
    assert again == first and len(emulator.mailboxes) == 1 and len(emulator.batches) == 1
    assert [call.path for call in emulator.calls if call.method == "POST"] == ["/v2/mailboxes/manual_connection/bulk"] * 2


def test_an_address_held_by_another_account_is_refused_with_woodpeckers_words(emulator: Emulator, woodpecker: WoodpeckerPlatform) -> None:
    emulator.taken.add(ACCOUNT.email)
    error = raised(lambda: woodpecker.create_account(ACCOUNT), TerminalError)
    assert "Mailbox richard@hooli-mail.com is already connected to another Woodpecker account" in str(error)
    assert "409" in str(error) and emulator.mailboxes == {}


def test_fields_woodpecker_refuses_are_terminal_with_its_words(emulator: Emulator, woodpecker: WoodpeckerPlatform) -> None:
    error = raised(lambda: woodpecker.create_account(account("bulk@hooli-mail.com", daily_limit=9000)), TerminalError)
    assert "mailboxes[0].daily_sending_limit: must be in range <1; 5500> (BAD_REQUEST)" in str(error)
    assert emulator.batches == {}


def test_credentials_woodpecker_cannot_sign_in_with_fail_that_mailbox(emulator: Emulator, woodpecker: WoodpeckerPlatform) -> None:
    emulator.refuse[ACCOUNT.email] = f"Authentication failed for login {ACCOUNT.email} with password {PASSWORD}"
    error = raised(lambda: woodpecker.create_account(ACCOUNT), TerminalError)
    assert f"Woodpecker could not connect {ACCOUNT.email}" in str(error)
    assert "Authentication failed for login richard@hooli-mail.com with password [secret]" in str(error)
    assert emulator.mailboxes == {}
    assert woodpecker.create_account(account("other@hooli-mail.com")).email == "other@hooli-mail.com"  # the rest go on


def test_a_conditionally_connected_mailbox_is_exported(emulator: Emulator, woodpecker: WoodpeckerPlatform) -> None:
    emulator.conditional.add(ACCOUNT.email)
    created = woodpecker.create_account(ACCOUNT)
    assert created.remote_id == str(emulator.mailboxes[ACCOUNT.email].smtp_id)
    summary = direct(emulator, "GET", f"/v2/mailboxes/manual_connection/bulk/{max(emulator.batches)}/summary").json()
    assert summary["conditionally_connected_mailboxes_count"] == 1 and summary["connected_mailboxes_count"] == 0


def test_no_free_slot_is_refused_saying_what_to_do(emulator: Emulator, woodpecker: WoodpeckerPlatform) -> None:
    emulator.slots = 1
    woodpecker.create_account(account("first@hooli-mail.com"))
    error = raised(lambda: woodpecker.create_account(ACCOUNT), TerminalError)
    assert "no free slot" in str(error) and "in_slot false" in str(error) and "Slots" in str(error)
    assert emulator.mailboxes[ACCOUNT.email].in_slot is False


def test_a_batch_still_connecting_is_retried_and_then_found(emulator: Emulator, woodpecker: WoodpeckerPlatform) -> None:
    emulator.connect_polls = 10
    error = raised(lambda: woodpecker.create_account(ACCOUNT), RetriableError)
    assert isinstance(error, RetriableError) and error.retry_after == 30.0 and "still connecting" in str(error)
    assert len(emulator.paths("GET")) == 1 + len(woodpecker.poll_delays)
    assert woodpecker.find_account(ACCOUNT.email) is None
    emulator.finish_batches()
    assert woodpecker.find_account(ACCOUNT.email) == RemoteAccount(str(emulator.mailboxes[ACCOUNT.email].smtp_id), ACCOUNT.email)


def test_find_by_email_across_pages(emulator: Emulator, woodpecker: WoodpeckerPlatform) -> None:
    emulator.page_size = 2
    boxes = [emulator.add_mailbox(f"sender{n}@hooli-mail.com") for n in range(5)]
    assert woodpecker.find_account("sender4@hooli-mail.com") == RemoteAccount(str(boxes[4].smtp_id), "sender4@hooli-mail.com")
    pages = [call.query.get("page", ["0"])[0] for call in emulator.calls]
    assert pages == ["0", "1", "2", "3", "4"]  # ten entries (SMTP and IMAP), two a page
    emulator.calls.clear()
    assert woodpecker.find_account("nobody@hooli-mail.com") is None and len(emulator.calls) == 5


# ------------------------------------------------------------------ delete


def test_delete_says_removal_is_done_in_woodpeckers_app(emulator: Emulator, woodpecker: WoodpeckerPlatform) -> None:
    assert woodpecker.delete_account(ACCOUNT.email) is None  # not there: nothing to do
    box = emulator.add_mailbox(ACCOUNT.email)
    error = raised(lambda: woodpecker.delete_account(ACCOUNT.email), TerminalError)
    assert "Woodpecker's API cannot remove an email account" in str(error) and "Settings, Accounts" in str(error)
    assert str(box.smtp_id) in str(error) and ACCOUNT.email in emulator.mailboxes
    assert emulator.paths("DELETE") == [] and direct(emulator, "DELETE", f"/v2/mailboxes/{box.smtp_id}").status_code == 405


# ------------------------------------------------------------------ rate limits, failures, the outbound guard


def test_429_is_retriable_with_retry_after(emulator: Emulator, woodpecker: WoodpeckerPlatform) -> None:
    emulator.fail_next(429, retry_after=7)
    error = raised(lambda: woodpecker.find_account(ACCOUNT.email), RetriableError)
    assert isinstance(error, RetriableError) and error.retry_after == 7.0 and "429" in str(error)
    assert woodpecker.find_account(ACCOUNT.email) is None


def test_a_request_past_woodpeckers_queue_is_dropped_and_retriable(emulator: Emulator, woodpecker: WoodpeckerPlatform) -> None:
    assert emulator.processing.acquire(timeout=5)  # a request of the same key being processed
    try:
        emulator.queue_limit = 0  # the documented queue (6) already full: dropped at once
        assert "rate limited (429)" in str(raised(woodpecker.probe, RetriableError))
        emulator.queue_limit, emulator.queue_seconds = 6, 0.05  # queued, for longer than allowed
        assert "rate limited (429)" in str(raised(woodpecker.probe, RetriableError))
    finally:
        emulator.processing.release()
    assert woodpecker.probe().startswith("Woodpecker accepted")


def test_5xx_is_retriable(emulator: Emulator, woodpecker: WoodpeckerPlatform) -> None:
    emulator.fail_next(500)
    error = raised(lambda: woodpecker.create_account(ACCOUNT), RetriableError)
    assert "the platform failed (500)" in str(error) and emulator.batches == {}
    emulator.fail_next(503, retry_after=12)
    assert raised(woodpecker.probe, RetriableError).retry_after == 12.0  # type: ignore[attr-defined]


def test_the_default_policy_refuses_a_loopback_base_url(emulator: Emulator) -> None:
    guarded = WoodpeckerPlatform(emulator.api_key, emulator.url, OutboundPolicy())
    error = raised(guarded.probe, TerminalError)
    assert "loopback" in str(error) and "Woodpecker GET /v1/me" in str(error)
    raised(lambda: guarded.create_account(ACCOUNT), TerminalError)
    assert emulator.calls == []


# ------------------------------------------------------------------ CSV


def test_the_csv_header_and_row(emulator: Emulator) -> None:
    assert CSV_HEADER == ("SMTP email", "SMTP login", "SMTP password", "SMTP server", "SMTP port", "SMTP from name",
                          "IMAP email", "IMAP password", "IMAP server", "IMAP port")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    writer.writerow(csv_row(ACCOUNT))
    writer.writerow(csv_row(account("info@hooli-mail.com", first_name="", last_name="")))
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert rows[0] == {
        "SMTP email": ACCOUNT.email, "SMTP login": ACCOUNT.email, "SMTP password": PASSWORD, "SMTP server": "smtp.hooli-mail.com",
        "SMTP port": "465", "SMTP from name": "Richard Hendricks", "IMAP email": ACCOUNT.email, "IMAP password": PASSWORD,
        "IMAP server": "imap.hooli-mail.com", "IMAP port": "993",
    }
    assert rows[1]["SMTP from name"] == "info@hooli-mail.com"  # mandatory in Woodpecker's import


def test_mailbox_entries_keep_the_documented_types() -> None:
    smtp = Mailbox(1, 2, "a@b.co", "a@b.co", "p", "smtp.b.co", 465, "a@b.co", "p", "imap.b.co", 993).smtp()
    assert shape(smtp) == shape({**fixture("get_mailbox_smtp"), "details": {**fixture("get_mailbox_smtp")["details"], "from_name": None}})
