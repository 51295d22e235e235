"""The Smartlead adapter against the loopback emulator of Smartlead's email-account API (called
directly: no workflow engine, no database), and both against the documented example bodies in
fixtures/."""

from __future__ import annotations

import csv
import io
import json
import logging
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from mailwright.exports.platforms import AccountToExport, RemoteAccount, SendingPlatform
from mailwright.exports.smartlead import (
    CSV_HEADER,
    DEFAULT_BASE_URL,
    SmartleadPlatform,
    _message,
    accounts_of,
    csv_row,
    save_body,
    saved_id,
)
from mailwright.net.outbound import OutboundPolicy
from mailwright.providers.base import NeedsActionError, ProviderError, ProviderUnavailable, RetriableError, TerminalError
from tests.exports.smartlead.conftest import platform_for
from tests.exports.smartlead.emulator import DOCUMENTED_SAVE_FIELDS, SmartleadEmulator

FIXTURES = Path(__file__).with_name("fixtures")
ACCOUNT = AccountToExport(
    email="sam.carter@brand-mail.example", first_name="Sam", last_name="Carter", password="Pw-7d3f!kQ9#zz",
    smtp_host="smtp.brand-mail.example", smtp_port=465, imap_host="imap.brand-mail.example", imap_port=993,
    daily_limit=25, warmup=True,
)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def shape(value: Any) -> Any:
    """Keys and value types, recursively (a list by its first element); null is "any type"."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None if value is None else type(value).__name__


def assert_fits(documented: Any, answered: Any, where: str = "") -> None:
    """Every documented key is answered, with the documented type where both are not null."""
    if isinstance(documented, dict):
        assert isinstance(answered, dict), where
        for key, value in documented.items():
            assert key in answered, f"{where}.{key} missing"
            if value is not None and answered[key] is not None:
                assert_fits(value, answered[key], f"{where}.{key}")
    elif isinstance(documented, list):
        assert isinstance(answered, list), where
        if documented and answered:
            assert_fits(documented[0], answered[0], f"{where}[0]")
    elif documented is not None and answered is not None:
        assert documented == answered, f"{where}: {answered} where {documented} is documented"


_HTTP = httpx.Client(timeout=5, trust_env=False)  # one client: building one per call costs a TLS context each


def raw(emulator: SmartleadEmulator, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """A call straight to the emulator, with the valid key unless `params` says otherwise."""
    params = {"api_key": emulator.api_key, **kwargs.pop("params", {})}
    return _HTTP.request(method, emulator.url + path, params=params, **kwargs)


# ------------------------------------------------------------------ documented bodies


def test_the_adapter_reads_the_documented_bodies() -> None:
    accounts = accounts_of(fixture("list_email_accounts"))
    assert accounts is not None and [(a["id"], a["from_email"]) for a in accounts] == [(123, "john@example.com")]
    assert accounts_of({"data": fixture("list_email_accounts")}) == accounts
    assert accounts_of(fixture("error_invalid_api_key")) is None
    assert saved_id(fixture("save_ok")) == "123"
    assert saved_id(fixture("save_ok_earlier")) == "2849"
    assert saved_id(fixture("save_already_exists")) == "123"
    assert _message(fixture("error_invalid_api_key")) == "Invalid API Key"
    assert _message(fixture("error_unauthorized_guide")) == "Invalid or missing API key (UNAUTHORIZED)"
    assert _message(fixture("error_validation")) == "limit must be less than or equal to 100"
    assert _message(fixture("error_rate_limited")) == "Too many requests. Please retry after 30 seconds. (RATE_LIMIT_EXCEEDED)"
    assert _message(fixture("save_already_exists")) == (
        "Email account already exist. Please pass id to update it (ACCOUNT_ALREADY_EXIST)"
    )
    assert _message(fixture("save_verification_failed")) == (
        "Email account verification failed. Please verify account details.: error message (ACCOUNT_VERIFICATION_FAILED)"
    )
    # The body the adapter sends has the documented request's fields and types.
    documented = shape(fixture("save_request"))
    sent = shape(save_body(ACCOUNT))
    assert set(sent) <= DOCUMENTED_SAVE_FIELDS
    assert {k: v for k, v in sent.items() if k in documented} == {k: documented[k] for k in sent if k in documented}


def test_the_emulator_answers_in_the_documented_shapes(emulator: SmartleadEmulator) -> None:
    documented_request = fixture("save_request")
    saved = raw(emulator, "POST", "/email-accounts/save", json=documented_request)
    assert saved.status_code == 200
    assert shape(saved.json()) == shape(fixture("save_ok"))
    account_id = saved.json()["data"]["id"]
    listing = raw(emulator, "GET", "/email-accounts/", params={"offset": 0, "limit": 10, "fetch_campaigns": "true"})
    assert listing.headers["x-ratelimit-limit"] == "60"
    documented = fixture("list_email_accounts")[0]
    documented.pop("campaign_ids")  # only with fetch_campaigns on the single-account call here
    assert_fits(shape(documented), shape(listing.json()[0]))
    one = raw(emulator, "GET", f"/email-accounts/{account_id}/", params={"fetch_campaigns": "true"})
    by_id = {k: v for k, v in fixture("get_email_account").items() if k != "warmup_details"}  # a fuller warm-up object
    assert_fits(shape(by_id), shape(one.json()))
    assert shape(raw(emulator, "POST", "/email-accounts/save", json=documented_request).json()) == shape(
        fixture("save_already_exists"))
    assert shape(raw(emulator, "DELETE", f"/email-accounts/{account_id}").json()) == shape(fixture("delete_ok"))
    missing = raw(emulator, "DELETE", f"/email-accounts/{account_id}")
    assert (missing.status_code, missing.json()) == (404, fixture("save_not_found"))
    wrong_key = raw(emulator, "GET", "/email-accounts/", params={"api_key": "nope"})
    assert (wrong_key.status_code, wrong_key.json()) == (401, fixture("error_invalid_api_key"))
    too_many = raw(emulator, "GET", "/email-accounts/", params={"limit": 101})
    assert (too_many.status_code, too_many.json()) == (422, fixture("error_validation"))
    emulator.refuse_sign_in["john@example.com"] = "error message"
    refused = raw(emulator, "POST", "/email-accounts/save", json=documented_request)
    assert (refused.status_code, refused.json()) == (400, fixture("save_verification_failed"))
    emulator.save_answer = "earlier"
    emulator.refuse_sign_in.clear()
    assert shape(raw(emulator, "POST", "/email-accounts/save", json=documented_request).json()) == shape(
        fixture("save_ok_earlier"))


def test_the_emulator_validates_the_save_body_as_documented(emulator: SmartleadEmulator) -> None:
    body = save_body(ACCOUNT)
    for name in ("from_name", "from_email", "user_name", "password", "smtp_host", "smtp_port", "imap_host", "imap_port",
                 "warmup_enabled"):
        answer = raw(emulator, "POST", "/email-accounts/save", json={k: v for k, v in body.items() if k != name})
        assert (answer.status_code, answer.json()) == (422, {"error": f"{name} is required"})
    for name, value, why in (("smtp_port", "465", "must be a number"), ("imap_port", True, "must be a number"),
                             ("warmup_enabled", "true", "must be a boolean"), ("max_email_per_day", "25", "must be a number"),
                             ("from_email", "not-an-address", "must be a valid email"), ("type", "IMAP", "must be one of")):
        answer = raw(emulator, "POST", "/email-accounts/save", json=body | {name: value})
        assert answer.status_code == 422 and answer.json()["error"].startswith(f"{name} {why}"), (name, answer.text)
    assert emulator.accounts == {}
    updated = raw(emulator, "POST", "/email-accounts/save", json=body | {"id": 999})
    assert (updated.status_code, updated.json()["errorCode"]) == (404, "ACCOUNT_NOT_FOUND")


# ------------------------------------------------------------------ probe


def test_probe_with_a_good_key(emulator: SmartleadEmulator, smartlead: SmartleadPlatform) -> None:
    platform: SendingPlatform = smartlead
    assert platform.platform == "SMARTLEAD"
    assert "accepted" in platform.probe()
    (call,) = emulator.calls
    assert (call.method, call.path, call.query) == ("GET", "/email-accounts/", {"api_key": emulator.api_key, "offset": "0",
                                                                               "limit": "1"})


def test_probe_with_a_wrong_key_needs_the_customer(emulator: SmartleadEmulator) -> None:
    wrong = "bad-key-5c1d0e7f"
    with pytest.raises(NeedsActionError) as refused:
        platform_for(emulator, api_key=wrong).probe()
    assert "Invalid API Key" in str(refused.value) and "HTTP 401" in str(refused.value)
    assert wrong not in str(refused.value)
    # Every call, not only the probe, says the same.
    with pytest.raises(NeedsActionError):
        platform_for(emulator, api_key=wrong).create_account(ACCOUNT)
    assert emulator.accounts == {}


# ------------------------------------------------------------------ create


def test_create_sends_exactly_the_documented_fields(emulator: SmartleadEmulator, smartlead: SmartleadPlatform) -> None:
    created = smartlead.create_account(ACCOUNT)
    stored = emulator.account_by_email(ACCOUNT.email)
    assert stored is not None and created == RemoteAccount(str(stored.id), ACCOUNT.email)
    assert stored.body == {
        "id": None, "from_name": "Sam Carter", "from_email": ACCOUNT.email, "user_name": ACCOUNT.email,
        "password": ACCOUNT.password, "smtp_host": "smtp.brand-mail.example", "smtp_port": 465,
        "imap_host": "imap.brand-mail.example", "imap_port": 993, "max_email_per_day": 25, "warmup_enabled": True,
        "type": "SMTP",
    }
    assert set(stored.body) <= DOCUMENTED_SAVE_FIELDS
    # Looked first (by the address), then saved once, the key in the query string only.
    assert [(c.method, c.path) for c in emulator.calls] == [("GET", "/email-accounts/"), ("POST", "/email-accounts/save")]
    assert emulator.calls[0].query["username"] == ACCOUNT.email
    save = emulator.calls[1]
    assert save.query == {"api_key": emulator.api_key} and "api_key" not in save.body
    assert smartlead.find_account(ACCOUNT.email.upper()) == created


def test_create_looks_first_and_never_adds_twice(emulator: SmartleadEmulator, smartlead: SmartleadPlatform) -> None:
    first = smartlead.create_account(ACCOUNT)
    again = smartlead.create_account(ACCOUNT)
    assert again == first and len(emulator.accounts) == 1
    assert len(emulator.requests("POST", "/email-accounts/save")) == 1
    no_warmup = AccountToExport(**{**ACCOUNT.__dict__, "email": "lee.park@brand-mail.example", "first_name": "",
                                   "last_name": "", "warmup": False, "daily_limit": 40})
    smartlead.create_account(no_warmup)
    body = emulator.account_by_email(no_warmup.email).body  # type: ignore[union-attr]
    assert (body["from_name"], body["warmup_enabled"], body["max_email_per_day"]) == ("lee.park", False, 40)


def test_a_duplicate_answered_by_smartlead_is_the_same_account(emulator: SmartleadEmulator, smartlead: SmartleadPlatform) -> None:
    # Added by hand with a short username: the username filter does not find it, Smartlead's
    # duplicate answer names it, and the adapter reads it back instead of failing or adding it again.
    by_hand = emulator.add_account(ACCOUNT.email.upper(), username="sam")
    assert smartlead.find_account(ACCOUNT.email) is None
    assert smartlead.create_account(ACCOUNT) == RemoteAccount(str(by_hand.id), ACCOUNT.email.upper())
    assert len(emulator.accounts) == 1
    assert [c.path for c in emulator.calls[-2:]] == ["/email-accounts/save", f"/email-accounts/{by_hand.id}/"]


def test_an_address_held_by_another_workspace_is_refused(emulator: SmartleadEmulator, smartlead: SmartleadPlatform) -> None:
    emulator.other_workspaces[ACCOUNT.email] = 777
    with pytest.raises(TerminalError) as refused:
        smartlead.create_account(ACCOUNT)
    message = str(refused.value)
    assert "Email account already exist. Please pass id to update it" in message
    assert "another Smartlead workspace" in message and emulator.accounts == {}


def test_a_field_smartlead_refuses_fails_with_its_message(emulator: SmartleadEmulator, smartlead: SmartleadPlatform) -> None:
    bad = AccountToExport(**{**ACCOUNT.__dict__, "email": "not-an-address"})
    with pytest.raises(TerminalError) as refused:
        smartlead.create_account(bad)
    assert "HTTP 422" in str(refused.value) and "from_email must be a valid email" in str(refused.value)


def test_credentials_smartlead_cannot_sign_in_with(emulator: SmartleadEmulator, smartlead: SmartleadPlatform) -> None:
    # The mail server's words come back, even when they quote the password: it is blanked.
    emulator.refuse_sign_in[ACCOUNT.email] = f"Invalid login: 535 5.7.8 Authentication failed for {ACCOUNT.password}"
    with pytest.raises(TerminalError) as refused:
        smartlead.create_account(ACCOUNT)
    message = str(refused.value)
    assert "Email account verification failed" in message and "535 5.7.8" in message
    assert ACCOUNT.password not in message and "[redacted]" in message
    assert emulator.accounts == {}


def test_a_plan_limit_is_refused_with_smartleads_message(emulator: SmartleadEmulator, smartlead: SmartleadPlatform) -> None:
    emulator.account_limit = 1
    smartlead.create_account(ACCOUNT)
    with pytest.raises(TerminalError) as refused:
        smartlead.create_account(AccountToExport(**{**ACCOUNT.__dict__, "email": "lee@brand-mail.example"}))
    assert "maximum number of email accounts" in str(refused.value) and len(emulator.accounts) == 1


def test_the_earlier_success_answer_is_read(emulator: SmartleadEmulator, smartlead: SmartleadPlatform) -> None:
    emulator.save_answer = "earlier"
    created = smartlead.create_account(ACCOUNT)
    assert created.remote_id == str(emulator.account_by_email(ACCOUNT.email).id)  # type: ignore[union-attr]


# ------------------------------------------------------------------ find, delete


@pytest.mark.parametrize("username_filter", [True, False], ids=["filtered", "filter-ignored"])
def test_find_by_email_across_pages(emulator: SmartleadEmulator, smartlead: SmartleadPlatform, username_filter: bool) -> None:
    # 230 accounts whose usernames all contain the address (the filter is a partial match), the
    # one wanted last: three pages of 100 either way.
    emulator.username_filter = username_filter
    for n in range(229):
        emulator.add_account(f"{n}.{ACCOUNT.email}")
    wanted = emulator.add_account(ACCOUNT.email)
    assert smartlead.find_account(f"  {ACCOUNT.email.title()} ") == RemoteAccount(str(wanted.id), ACCOUNT.email)
    assert [(c.query["offset"], c.query["limit"]) for c in emulator.calls] == [("0", "100"), ("100", "100"), ("200", "100")]
    assert smartlead.find_account("nobody@brand-mail.example") is None


def test_delete_removes_the_account_and_is_idempotent(emulator: SmartleadEmulator, smartlead: SmartleadPlatform) -> None:
    created = smartlead.create_account(ACCOUNT)
    smartlead.delete_account(ACCOUNT.email)
    assert emulator.accounts == {}
    assert emulator.requests("DELETE")[0].path == f"/email-accounts/{created.remote_id}"
    smartlead.delete_account(ACCOUNT.email)  # already gone: looked up, nothing to delete
    assert len(emulator.requests("DELETE")) == 1


def test_delete_of_an_account_gone_meanwhile(emulator: SmartleadEmulator, smartlead: SmartleadPlatform) -> None:
    held = emulator.add_account(ACCOUNT.email)
    emulator.fail_next(404, path=f"/email-accounts/{held.id}")  # removed in Smartlead's app between lookup and delete
    smartlead.delete_account(ACCOUNT.email)
    emulator.fail_next(400, path=f"/email-accounts/{held.id}")
    with pytest.raises(TerminalError):
        smartlead.delete_account(ACCOUNT.email)


# ------------------------------------------------------------------ hiccups


def test_429_is_retriable_with_retry_after(emulator: SmartleadEmulator, smartlead: SmartleadPlatform) -> None:
    emulator.fail_next(429, retry_after=7)
    with pytest.raises(RetriableError) as limited:
        smartlead.create_account(ACCOUNT)
    assert limited.value.retry_after == 7.0 and "429" in str(limited.value)
    assert emulator.accounts == {}
    assert smartlead.create_account(ACCOUNT).email == ACCOUNT.email  # the retry goes through


def test_the_documented_rate_limit_window(emulator: SmartleadEmulator, smartlead: SmartleadPlatform) -> None:
    emulator.rate_limit = 3
    for _ in range(3):
        smartlead.probe()
    with pytest.raises(RetriableError) as limited:
        smartlead.probe()
    assert limited.value.retry_after is not None and 1 <= limited.value.retry_after <= 60


def test_5xx_is_retriable(emulator: SmartleadEmulator, smartlead: SmartleadPlatform) -> None:
    for status in (500, 503):
        emulator.fail_next(status, path="/email-accounts/save")
        with pytest.raises(RetriableError) as failed:
            smartlead.create_account(ACCOUNT)
        assert str(status) in str(failed.value)
    assert emulator.accounts == {}


def test_an_unreachable_platform_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ProviderUnavailable):
        SmartleadPlatform("k", f"http://127.0.0.1:{port}/api/v1", OutboundPolicy(allow_private=True)).probe()


def test_a_base_url_that_is_not_smartleads(emulator: SmartleadEmulator) -> None:
    with pytest.raises(NeedsActionError) as wrong:
        platform_for(emulator, base_url=emulator.url.removesuffix("/api/v1") + "/api/v2").probe()
    assert "base URL" in str(wrong.value) and DEFAULT_BASE_URL in str(wrong.value)


def test_the_default_policy_refuses_a_loopback_base_url(emulator: SmartleadEmulator) -> None:
    with pytest.raises(TerminalError) as refused:
        SmartleadPlatform(emulator.api_key, emulator.url, OutboundPolicy()).probe()
    assert "loopback" in str(refused.value) and emulator.api_key not in str(refused.value)
    assert emulator.calls == []
    assert SmartleadPlatform("k", None, OutboundPolicy()).base_url == DEFAULT_BASE_URL == "https://server.smartlead.ai/api/v1"


def test_the_api_key_never_in_errors_or_logs(emulator: SmartleadEmulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")
    smartlead = platform_for(emulator)
    errors: list[ProviderError] = []
    faults: list[tuple[int, float | None]] = [(429, 3), (500, None), (503, 1)]
    for status, retry_after in faults:
        emulator.fail_next(status, retry_after=retry_after)
        with pytest.raises(ProviderError) as caught:
            smartlead.probe()
        errors.append(caught.value)
    emulator.other_workspaces[ACCOUNT.email] = 1
    for attempt in (lambda: smartlead.create_account(ACCOUNT),
                    lambda: platform_for(emulator, base_url=emulator.url + "/nowhere").probe(),
                    lambda: SmartleadPlatform(emulator.api_key, emulator.url, OutboundPolicy()).probe()):
        with pytest.raises(ProviderError) as caught:
            attempt()
        errors.append(caught.value)
    smartlead.delete_account("nobody@brand-mail.example")
    assert len(errors) == 6 and emulator.calls
    for error in errors:
        for text in (str(error), repr(error), str(error.__cause__ or "")):
            assert emulator.api_key not in text
    assert any("HTTP Request" in r.getMessage() for r in caplog.records)  # httpx did log the URLs ...
    assert emulator.api_key not in caplog.text  # ... without the key
    assert "api_key=[redacted]" in caplog.text


# ------------------------------------------------------------------ CSV


def test_csv_header_and_row() -> None:
    documented = next(csv.reader(io.StringIO((FIXTURES / "bulk_import_header.csv").read_text())))
    assert list(CSV_HEADER) == documented and len(CSV_HEADER) == 19
    tricky = AccountToExport(**{**ACCOUNT.__dict__, "first_name": "Sam, Jr.", "password": 'p"w,1'})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    writer.writerows([csv_row(ACCOUNT), csv_row(tricky)])
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0] == {
        "from_name": "Sam Carter", "from_email": ACCOUNT.email, "user_name": ACCOUNT.email, "password": ACCOUNT.password,
        "smtp_host": "smtp.brand-mail.example", "smtp_port": "465", "imap_host": "imap.brand-mail.example",
        "imap_port": "993", "max_email_per_day": "25", "custom_tracking_url": "", "warmup_enabled": "TRUE",
        "total_warmup_per_day": "", "daily_rampup": "", "reply_rate_percentage": "", "bcc": "", "signature": "",
        "different_reply_to_address": "", "imap_user_name": ACCOUNT.email, "imap_password": ACCOUNT.password,
    }
    assert (rows[1]["from_name"], rows[1]["password"], rows[1]["imap_password"]) == ("Sam, Jr. Carter", 'p"w,1', 'p"w,1')
