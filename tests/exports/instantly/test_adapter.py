"""The Instantly export adapter called directly against the loopback emulator of Instantly's API
v2 (one per module, reset for each test): the key check, finding, adding and removing email
accounts, warm-up, refusals, rate limits, the outbound guard, secrets, the bulk-import CSV, and
the documented bodies the emulator and the adapter share."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mailwright.exports.instantly import (
    CSV_HEADER,
    DEFAULT_BASE_URL,
    InstantlyPlatform,
    account_body,
    csv_row,
)
from mailwright.exports.platforms import AccountToExport, RemoteAccount, SendingPlatform
from mailwright.net.outbound import OutboundPolicy
from mailwright.providers.base import NeedsActionError, ProviderError, RetriableError, TerminalError
from tests.conftest import unique
from tests.exports.instantly.emulator import ACCOUNT_FIELDS, CREATE_SCHEMA, InstantlyEmulator

FIXTURES = Path(__file__).parent / "fixtures"
PASSWORD = "Mailbox-Secret-2031!"
LOOPBACK = OutboundPolicy(allow_private=True)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(scope="module")
def server() -> Iterator[InstantlyEmulator]:
    emulator = InstantlyEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def instantly(server: InstantlyEmulator) -> InstantlyEmulator:
    """The module's emulator as a fresh workspace for each test."""
    server.reset()
    return server


@pytest.fixture
def platform(instantly: InstantlyEmulator) -> InstantlyPlatform:
    return InstantlyPlatform(instantly.api_key, instantly.url, LOOPBACK)


def mailbox(**changes: Any) -> AccountToExport:
    fields: dict[str, Any] = {
        "email": f"{unique('jane')}@outreach-example.com",
        "first_name": "Jane",
        "last_name": "Doe",
        "password": PASSWORD,
        "smtp_host": "smtp.outreach-example.com",
        "smtp_port": 587,
        "imap_host": "imap.outreach-example.com",
        "imap_port": 993,
        "daily_limit": 30,
        "warmup": True,
    }
    return AccountToExport(**(fields | changes))


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0, verify=False) as http:  # loopback http: no TLS context to load
        yield http


@pytest.fixture
def raw(instantly: InstantlyEmulator, client: httpx.Client) -> Callable[..., httpx.Response]:
    """Calls straight to the emulator, as any client of Instantly's API would make them."""

    def call(method: str, path: str, *, key: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {} if key == "" else {"Authorization": f"Bearer {key or instantly.api_key}"}
        return client.request(method, instantly.url + path, headers=headers, **kwargs)

    return call


def assert_no_secret(error: BaseException, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in str(error)


# ------------------------------------------------------------------ the documented bodies


def test_the_adapter_sends_only_documented_create_fields_with_their_documented_types() -> None:
    documented = fixture("create_account_schema.json")
    body = account_body(mailbox())
    assert set(documented["required"]) <= set(body)
    assert set(body) <= set(documented["properties"])
    json_types = {str: "string", int: "number", float: "number", bool: "boolean", dict: "object"}
    for name, value in body.items():
        allowed = documented["properties"][name]
        assert json_types[type(value)] in (allowed if isinstance(allowed, list) else [allowed]), name
    assert body["provider_code"] in documented["provider_code"]
    assert body["provider_code"] == 1  # Custom IMAP/SMTP


def test_the_emulator_validates_the_documented_create_schema() -> None:
    documented = fixture("create_account_schema.json")
    assert CREATE_SCHEMA["required"] == documented["required"]
    assert CREATE_SCHEMA["additionalProperties"] is documented["additionalProperties"] is False
    assert {k: v["type"] for k, v in CREATE_SCHEMA["properties"].items()} == documented["properties"]
    assert CREATE_SCHEMA["properties"]["provider_code"]["enum"] == documented["provider_code"]


def test_the_documented_example_request_is_answered_with_the_documented_account(instantly: InstantlyEmulator, raw: Callable[..., httpx.Response]) -> None:
    answer = raw("POST", "/api/v2/accounts", json=fixture("create_account_request.json"))
    assert answer.status_code == 200
    documented = fixture("account.json")
    body = answer.json()
    assert set(body) <= set(documented) == set(ACCOUNT_FIELDS)
    assert body["email"] == "user@example.com" and body["provider_code"] == 2
    assert {k: type(v) for k, v in body["warmup"].items()} == {k: type(v) for k, v in documented["warmup"].items()}
    assert not {"imap_password", "smtp_password", "imap_username", "smtp_username"} & set(body)
    listed = raw("GET", "/api/v2/accounts").json()
    assert set(listed) <= set(fixture("accounts_page.json")) and [a["email"] for a in listed["items"]] == ["user@example.com"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"smtp_port": None}, "body must have required property 'smtp_port'"),
        ({"imap_port": "993"}, "body/imap_port must be number"),
        ({"provider_code": 5}, "body/provider_code must be equal to one of the allowed values"),
        ({"email": "not-an-address"}, 'body/email must match format "email"'),
        ({"password": "x"}, "body must NOT have additional properties"),
    ],
)
def test_a_missing_or_mistyped_field_is_answered_with_the_documented_400(instantly: InstantlyEmulator, change: dict[str, Any], message: str, raw: Callable[..., httpx.Response]) -> None:
    body = fixture("create_account_request.json") | change
    body = {k: v for k, v in body.items() if v is not None}
    answer = raw("POST", "/api/v2/accounts", json=body)
    assert answer.status_code == 400
    assert set(answer.json()) == set(fixture("error_400.json"))
    assert answer.json() == {"statusCode": 400, "error": "Bad Request", "message": message}
    assert instantly.accounts == {}


def test_documented_error_bodies(instantly: InstantlyEmulator, raw: Callable[..., httpx.Response]) -> None:
    assert raw("GET", "/api/v2/accounts", key="").json() == fixture("error_401.json")
    assert raw("GET", "/api/v2/accounts/nobody@example.com").json() == fixture("error_404.json")
    instantly.throttle_next()
    assert raw("GET", "/api/v2/accounts").json() == fixture("error_429.json")
    instantly.workspace.paid_plan = False
    assert raw("GET", "/api/v2/accounts").json() == fixture("error_402.json")


def test_the_emulator_pages_with_the_documented_cursor(instantly: InstantlyEmulator, raw: Callable[..., httpx.Response]) -> None:
    for name in ("a", "b", "c"):
        instantly.add_account(f"{name}@paged-example.com")
    first = raw("GET", "/api/v2/accounts", params={"limit": 2}).json()
    assert [a["email"] for a in first["items"]] == ["a@paged-example.com", "b@paged-example.com"]
    created, _, email = first["next_starting_after"].partition("&")  # "timestamp_created&email"
    assert email == "b@paged-example.com" and created == first["items"][1]["timestamp_created"]
    second = raw("GET", "/api/v2/accounts", params={"limit": 2, "starting_after": first["next_starting_after"]}).json()
    assert [a["email"] for a in second["items"]] == ["c@paged-example.com"] and "next_starting_after" not in second
    assert raw("GET", "/api/v2/accounts", params={"limit": 101}).json()["message"] == "querystring/limit must be <= 100"


# ------------------------------------------------------------------ probe


def test_the_platform_name_and_the_public_api_by_default() -> None:
    adapter: SendingPlatform = InstantlyPlatform("a-key", None, LOOPBACK)
    assert adapter.platform == "INSTANTLY"
    assert DEFAULT_BASE_URL == "https://api.instantly.ai"
    assert InstantlyPlatform("a-key", None, LOOPBACK).http.base_url == DEFAULT_BASE_URL


def test_probe_with_a_good_key_lists_one_account_with_the_bearer_key(instantly: InstantlyEmulator, platform: InstantlyPlatform) -> None:
    assert platform.probe() == "API key accepted: the workspace's email accounts can be read"
    (call,) = instantly.calls
    assert (call.method, call.path, call.query) == ("GET", "/api/v2/accounts", {"limit": "1"})
    assert call.authorization == f"Bearer {instantly.api_key}"
    assert call.user_agent.startswith("Mailwright/")


@pytest.mark.parametrize("key", ["not-an-instantly-key", "revoked"])
def test_probe_with_a_bad_key_needs_action_and_never_shows_the_key(instantly: InstantlyEmulator, key: str) -> None:
    if key == "revoked":
        key = instantly.add_key()
        instantly.revoke(key)
    with pytest.raises(NeedsActionError) as caught:
        InstantlyPlatform(key, instantly.url, LOOPBACK).probe()
    assert "401: Invalid API key" in str(caught.value) and "API Keys" in str(caught.value)
    assert_no_secret(caught.value, key)


def test_a_bad_key_needs_action_on_every_call(instantly: InstantlyEmulator) -> None:
    adapter = InstantlyPlatform("wrong-key-123456", instantly.url, LOOPBACK)
    for call in (lambda: adapter.find_account("x@example.com"), lambda: adapter.create_account(mailbox()), lambda: adapter.delete_account("x@example.com")):
        with pytest.raises(NeedsActionError) as caught:
            call()
        assert_no_secret(caught.value, "wrong-key-123456", PASSWORD)
    assert instantly.accounts == {}


def test_an_empty_key_is_refused_before_any_call(instantly: InstantlyEmulator) -> None:
    adapter = InstantlyPlatform("  ", instantly.url, LOOPBACK)
    for call in (adapter.probe, lambda: adapter.find_account("x@outreach-example.com")):
        with pytest.raises(NeedsActionError, match="no API key"):
            call()
    assert instantly.calls == []


def test_probe_of_a_base_url_that_is_not_instantly_needs_action(instantly: InstantlyEmulator) -> None:
    with pytest.raises(NeedsActionError, match="check the base URL"):
        InstantlyPlatform(instantly.api_key, instantly.url + "/elsewhere", LOOPBACK).probe()


def test_an_answer_that_is_not_instantlys_json_needs_action_and_names_its_status(instantly: InstantlyEmulator, platform: InstantlyPlatform) -> None:
    instantly.answer_next(403, "<html>error code: 1010</html>")  # an edge in front of the API
    with pytest.raises(NeedsActionError, match="HTTP 403 without Instantly's API v2 answer"):
        platform.create_account(mailbox())
    assert instantly.accounts == {}


def test_probe_of_a_workspace_without_a_paid_plan_needs_action(instantly: InstantlyEmulator, platform: InstantlyPlatform) -> None:
    instantly.workspace.paid_plan = False
    with pytest.raises(NeedsActionError, match="Workspace does not have an active paid plan"):
        platform.probe()


# ------------------------------------------------------------------ find, create, delete


def test_find_by_email(instantly: InstantlyEmulator, platform: InstantlyPlatform) -> None:
    instantly.add_account("found@outreach-example.com")
    assert platform.find_account("found@outreach-example.com") == RemoteAccount("found@outreach-example.com", "found@outreach-example.com")
    assert platform.find_account("Found@Outreach-Example.com") is not None
    assert platform.find_account("absent@outreach-example.com") is None
    assert [c.path for c in instantly.calls] == ["/api/v2/accounts/found@outreach-example.com", "/api/v2/accounts/Found@Outreach-Example.com", "/api/v2/accounts/absent@outreach-example.com"]


def test_an_account_in_another_workspace_is_not_found(instantly: InstantlyEmulator, platform: InstantlyPlatform) -> None:
    other, _ = instantly.add_workspace()
    instantly.add_account("theirs@outreach-example.com", other)
    assert platform.find_account("theirs@outreach-example.com") is None


def test_create_looks_first_then_adds_the_mailbox_with_its_credentials(instantly: InstantlyEmulator, platform: InstantlyPlatform) -> None:
    account = mailbox(warmup=False)
    remote = platform.create_account(account)
    assert remote == RemoteAccount(account.email, account.email)
    assert [(c.method, c.path) for c in instantly.calls] == [("GET", f"/api/v2/accounts/{account.email}"), ("POST", "/api/v2/accounts")]
    (post,) = instantly.calls_to("POST", "/api/v2/accounts")
    assert post.body == {
        "email": account.email, "first_name": "Jane", "last_name": "Doe", "provider_code": 1,
        "imap_username": account.email, "imap_password": PASSWORD, "imap_host": "imap.outreach-example.com", "imap_port": 993,
        "smtp_username": account.email, "smtp_password": PASSWORD, "smtp_host": "smtp.outreach-example.com", "smtp_port": 587,
        "daily_limit": 30,
    }
    stored = instantly.accounts[account.email]
    assert (stored["smtp_password"], stored["imap_password"], stored["daily_limit"], stored["warmup_status"]) == (PASSWORD, PASSWORD, 30, 0)
    assert platform.find_account(account.email) == remote


def test_create_of_an_account_already_there_adds_nothing(instantly: InstantlyEmulator, platform: InstantlyPlatform) -> None:
    account = mailbox()
    first = platform.create_account(account)
    before = dict(instantly.accounts[account.email])
    assert platform.create_account(account) == first
    assert len(instantly.calls_to("POST", "/api/v2/accounts")) == 1
    assert instantly.accounts[account.email] == before


def test_warm_up_is_switched_on_when_instantly_starts_a_new_account_paused(instantly: InstantlyEmulator, platform: InstantlyPlatform) -> None:
    account = mailbox(warmup=True)
    platform.create_account(account)
    (switch,) = instantly.calls_to("POST", "/api/v2/accounts/warmup/enable")
    assert switch.body == {"emails": [account.email]}
    assert instantly.accounts[account.email]["warmup_status"] == 1
    assert set(instantly.warmup_jobs[0]) == set(fixture("background_job.json"))


def test_warm_up_is_switched_off_when_instantly_starts_a_new_account_warming(instantly: InstantlyEmulator, platform: InstantlyPlatform) -> None:
    instantly.new_account_warmup_status = 1
    off, on = mailbox(warmup=False), mailbox(warmup=True)
    platform.create_account(off)
    platform.create_account(on)
    assert [c.body for c in instantly.calls_to("POST", "/api/v2/accounts/warmup/disable")] == [{"emails": [off.email]}]
    assert instantly.calls_to("POST", "/api/v2/accounts/warmup/enable") == []
    assert (instantly.accounts[off.email]["warmup_status"], instantly.accounts[on.email]["warmup_status"]) == (0, 1)


def test_a_warm_up_switch_that_fails_says_the_account_was_added(instantly: InstantlyEmulator, platform: InstantlyPlatform) -> None:
    account = mailbox(warmup=True)
    instantly.throttle_next(retry_after=4, call="POST /api/v2/accounts/warmup/enable")
    with pytest.raises(RetriableError) as caught:
        platform.create_account(account)
    assert f"{account.email} was added to Instantly but its warm-up was not enabled" in str(caught.value)
    assert caught.value.retry_after == 4
    assert instantly.accounts[account.email]["warmup_status"] == 0


def test_a_duplicate_answered_by_instantly_is_looked_up_and_returned(instantly: InstantlyEmulator, platform: InstantlyPlatform) -> None:
    account = mailbox()
    instantly.concurrent_create(account.email)  # a racing export adds it between our look and our create
    remote = platform.create_account(account)
    assert remote.email == account.email
    gets = instantly.calls_to("GET", f"/api/v2/accounts/{account.email}")
    assert len(gets) == 2 and len(instantly.calls_to("POST", "/api/v2/accounts")) == 1
    assert len(instantly.accounts) == 1


def test_an_address_another_workspace_holds_is_refused_with_instantlys_message(instantly: InstantlyEmulator, platform: InstantlyPlatform) -> None:
    account = mailbox()
    other, _ = instantly.add_workspace()
    instantly.add_account(account.email, other)
    with pytest.raises(TerminalError) as caught:
        platform.create_account(account)
    assert f"Email account {account.email} is already connected to another workspace" in str(caught.value)
    assert_no_secret(caught.value, instantly.api_key, PASSWORD)
    assert instantly.accounts == {}


def test_credentials_instantly_cannot_sign_in_with_are_refused_without_the_password(instantly: InstantlyEmulator, platform: InstantlyPlatform) -> None:
    account = mailbox()
    instantly.refuse_logins[account.email] = f"IMAP connection failed for {account.email} with password {PASSWORD}: AUTHENTICATIONFAILED"
    with pytest.raises(TerminalError) as caught:
        platform.create_account(account)
    assert f"IMAP connection failed for {account.email} with password [secret]: AUTHENTICATIONFAILED (400)" in str(caught.value)
    assert_no_secret(caught.value, PASSWORD, instantly.api_key)


def test_a_create_instantly_refuses_as_invalid_carries_its_message(instantly: InstantlyEmulator, platform: InstantlyPlatform) -> None:
    with pytest.raises(TerminalError) as caught:
        platform.create_account(mailbox(email="no-at-sign.example.com"))
    assert 'Instantly refused: body/email must match format "email" (400)' in str(caught.value)


def test_a_workspace_without_a_paid_plan_refuses_for_good(instantly: InstantlyEmulator, platform: InstantlyPlatform) -> None:
    instantly.workspace.paid_plan = False
    for call in (lambda: platform.create_account(mailbox()), lambda: platform.find_account("x@outreach-example.com")):
        with pytest.raises(TerminalError) as caught:
            call()
        assert "Instantly refused: Workspace does not have an active paid plan (402)" in str(caught.value)


def test_a_documented_402_on_create_is_not_looked_up_again(instantly: InstantlyEmulator, platform: InstantlyPlatform) -> None:
    instantly.answer_next(402, fixture("error_402.json"), call="POST /api/v2/accounts")
    with pytest.raises(TerminalError, match="Workspace does not have an active paid plan"):
        platform.create_account(mailbox())
    assert [c.method for c in instantly.calls] == ["GET", "POST"]
    assert instantly.accounts == {}


def test_delete_and_delete_of_one_gone_already(instantly: InstantlyEmulator, platform: InstantlyPlatform) -> None:
    instantly.add_account("leaving@outreach-example.com")
    platform.delete_account("leaving@outreach-example.com")
    assert instantly.accounts == {}
    platform.delete_account("leaving@outreach-example.com")
    assert [(c.method, c.path) for c in instantly.calls] == [("DELETE", "/api/v2/accounts/leaving@outreach-example.com")] * 2


def test_delete_leaves_another_workspaces_account_alone(instantly: InstantlyEmulator, platform: InstantlyPlatform) -> None:
    other, _ = instantly.add_workspace()
    instantly.add_account("theirs@outreach-example.com", other)
    platform.delete_account("theirs@outreach-example.com")
    assert "theirs@outreach-example.com" in other.accounts


# ------------------------------------------------------------------ rate limits and failures


def test_a_429_with_retry_after_is_retriable_after_that_long(instantly: InstantlyEmulator, platform: InstantlyPlatform) -> None:
    instantly.throttle_next(retry_after=7)
    with pytest.raises(RetriableError) as caught:
        platform.find_account("x@outreach-example.com")
    assert caught.value.retry_after == 7.0 and "429" in str(caught.value)
    instantly.throttle_next(retry_after=None)
    with pytest.raises(RetriableError) as caught:
        platform.probe()
    assert caught.value.retry_after is None
    assert platform.find_account("x@outreach-example.com") is None


def test_the_workspace_rate_limit_is_shared_by_its_keys(instantly: InstantlyEmulator, platform: InstantlyPlatform) -> None:
    instantly.per_second = 2
    second_key = InstantlyPlatform(instantly.add_key(), instantly.url, LOOPBACK)
    platform.probe()
    second_key.probe()
    with pytest.raises(RetriableError) as caught:
        platform.find_account("x@outreach-example.com")
    assert caught.value.retry_after == 1.0
    other, other_key = instantly.add_workspace()  # another workspace has its own budget
    assert InstantlyPlatform(other_key, instantly.url, LOOPBACK).find_account("x@outreach-example.com") is None


@pytest.mark.parametrize("status", [500, 503])
def test_a_5xx_is_retriable(instantly: InstantlyEmulator, platform: InstantlyPlatform, status: int) -> None:
    account = mailbox()
    instantly.throttle_next(status=status, retry_after=None)
    with pytest.raises(RetriableError, match=f"the platform failed \\({status}\\)"):
        platform.create_account(account)
    assert instantly.accounts == {}
    platform.create_account(account)
    assert account.email in instantly.accounts


def test_the_default_outbound_policy_refuses_a_loopback_base_url(instantly: InstantlyEmulator) -> None:
    adapter = InstantlyPlatform(instantly.api_key, instantly.url, OutboundPolicy())
    for call in (adapter.probe, lambda: adapter.create_account(mailbox())):
        with pytest.raises(TerminalError) as caught:
            call()
        assert "loopback" in str(caught.value) and "only public addresses are allowed" in str(caught.value)
        assert_no_secret(caught.value, instantly.api_key, PASSWORD)
    assert instantly.calls == []


def test_no_secret_in_any_error(instantly: InstantlyEmulator, platform: InstantlyPlatform) -> None:
    """Every error path at once, with a platform that echoes the key and the password."""
    errors: list[ProviderError] = []
    account = mailbox()

    def collect(call: Any) -> None:
        try:
            call()
        except ProviderError as exc:
            errors.append(exc)

    def echo(status: int, *, password: bool = False) -> dict[str, Any]:
        said = f"key {instantly.api_key}" + (f" password {PASSWORD}" if password else "")
        return {"statusCode": status, "error": "Echo", "message": said}

    for status in (400, 401, 402, 403, 409, 422):
        instantly.answer_next(status, echo(status, password=True), call="POST /api/v2/accounts")
        collect(lambda: platform.create_account(account))
    for status in (401, 402, 403):
        instantly.answer_next(status, echo(status))
        collect(platform.probe)
    instantly.answer_next(400, echo(400), call=f"DELETE /api/v2/accounts/{account.email}")
    collect(lambda: platform.delete_account(account.email))
    instantly.throttle_next(status=429)
    collect(platform.probe)
    instantly.throttle_next(status=502)
    collect(lambda: platform.find_account(account.email))
    collect(InstantlyPlatform(instantly.api_key, "http://127.0.0.1:9", LOOPBACK).probe)  # nothing listens there
    assert len(errors) == 13
    for exc in errors:
        assert_no_secret(exc, instantly.api_key, PASSWORD)


# ------------------------------------------------------------------ the bulk-import CSV


def test_csv_row_under_instantlys_bulk_import_header() -> None:
    assert CSV_HEADER == (
        "Email", "First Name", "Last Name", "IMAP Username", "IMAP Password", "IMAP Host", "IMAP Port",
        "SMTP Username", "SMTP Password", "SMTP Host", "SMTP Port", "Daily Limit", "Warmup Enabled",
        "Warmup Limit", "Warmup Increment",
    )
    account = mailbox(email="jane@outreach-example.com", first_name="Jane, Jr.", warmup=False)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    writer.writerow(csv_row(account))
    header, row = list(csv.reader(io.StringIO(out.getvalue())))
    assert tuple(header) == CSV_HEADER
    assert dict(zip(header, row)) == {
        "Email": "jane@outreach-example.com", "First Name": "Jane, Jr.", "Last Name": "Doe",
        "IMAP Username": "jane@outreach-example.com", "IMAP Password": PASSWORD, "IMAP Host": "imap.outreach-example.com", "IMAP Port": "993",
        "SMTP Username": "jane@outreach-example.com", "SMTP Password": PASSWORD, "SMTP Host": "smtp.outreach-example.com", "SMTP Port": "587",
        "Daily Limit": "30", "Warmup Enabled": "FALSE", "Warmup Limit": "", "Warmup Increment": "",
    }
    assert csv_row(mailbox(warmup=True))[CSV_HEADER.index("Warmup Enabled")] == "TRUE"
