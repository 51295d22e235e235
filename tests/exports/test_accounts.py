"""A mailbox as a sending platform's account (exports/accounts.py): its credentials, the
operator's defaults (MAILWRIGHT_EXPORT_*), and which mailboxes an export by API refuses, decided
by the capabilities the configured mailbox host adapters declare."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from mailwright.config import Settings
from mailwright.crypto import SecretBox
from mailwright.exports.accounts import ExportDefaults, account_to_export, api_export_refusal
from mailwright.exports.platforms import AccountToExport
from mailwright.mailboxes.models import Mailbox, MailboxStatus
from mailwright.providers.base import Capability
from mailwright.providers.registry import Providers, build_providers
from mailwright.runtime import Runtime
from tests.providers.google_workspace.emulator import GoogleWorkspaceEmulator

SECRETS = SecretBox(["a passphrase for these tests only, long enough"])


def mailbox(status: str = MailboxStatus.LIVE, provider: str = "MAILDOSO", **fields: object) -> Mailbox:
    values: dict[str, object] = {
        "id": "06Hmailbox",
        "email": "gilfoyle@piedpiper.com",
        "first_name": "Bertram",
        "last_name": "Gilfoyle",
        "provider": provider,
        "status": status,
        "password_enc": SECRETS.encrypt("Son-of-Anton-7"),
        "smtp_host": "smtp.maildoso.com",
        "smtp_port": 465,
        "imap_host": "imap.maildoso.com",
        "imap_port": 993,
    }
    return Mailbox(**(values | fields))


def test_a_live_mailbox_is_its_decrypted_credentials_with_the_operators_defaults() -> None:
    account = account_to_export(mailbox(), SECRETS, ExportDefaults(daily_limit=45, warmup=False))
    assert account == AccountToExport(
        email="gilfoyle@piedpiper.com", first_name="Bertram", last_name="Gilfoyle", password="Son-of-Anton-7",
        smtp_host="smtp.maildoso.com", smtp_port=465, imap_host="imap.maildoso.com", imap_port=993,
        daily_limit=45, warmup=False,
    )


def test_the_address_is_the_one_the_host_signs_in_with_while_a_rename_is_applied() -> None:
    renamed = mailbox(email="bertram@piedpiper.com", host_email="gilfoyle@piedpiper.com")
    assert account_to_export(renamed, SECRETS, ExportDefaults(30, True)).email == "gilfoyle@piedpiper.com"


@pytest.mark.parametrize("status", [MailboxStatus.ORDERED, MailboxStatus.SUSPENDED, MailboxStatus.DELETED])
def test_a_mailbox_that_is_not_live_has_nothing_to_export(status: str) -> None:
    with pytest.raises(ValueError, match="is not live"):
        account_to_export(mailbox(status), SECRETS, ExportDefaults(30, True))


def test_the_defaults_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ExportDefaults.from_settings(Settings()) == ExportDefaults(daily_limit=30, warmup=True)
    monkeypatch.setenv("MAILWRIGHT_EXPORT_DAILY_LIMIT", "10000")
    monkeypatch.setenv("MAILWRIGHT_EXPORT_WARMUP", "false")
    assert ExportDefaults.from_settings(Settings()) == ExportDefaults(daily_limit=10000, warmup=False)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("EXPORT_DAILY_LIMIT", "0"), ("EXPORT_DAILY_LIMIT", "10001"), ("EXPORT_DAILY_LIMIT", "thirty"), ("EXPORT_WARMUP", "sometimes")],
)
def test_a_wrong_default_names_its_setting(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(f"MAILWRIGHT_{variable}", value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert [error["loc"] for error in caught.value.errors()] == [(variable.lower(),)]


# ------------------------------------------------------------------ which mailboxes an API export refuses


@pytest.fixture(scope="module")
def providers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Providers]:
    """Real adapters as the registry builds them: Google Workspace (at a loopback emulator, never
    called here), Microsoft 365, the sandbox for MAILDOSO, and MAILFORGE withdrawn."""
    google = GoogleWorkspaceEmulator().start()
    root = tmp_path_factory.mktemp("export-hosts")
    key = google.add_service_account(root / "key.json")
    settings = Settings(**{
        **google.settings(key.key_file),
        "database_url": f"sqlite:///{root / 'sandbox.db'}",
        "mailbox_hosts": json.dumps({"GOOGLE": "google_workspace", "MICROSOFT": "microsoft365", "MAILDOSO": "sandbox", "MAILFORGE": "off"}),
        "microsoft_tenant_id": "84841066-274d-4ec0-a5c1-276be684bdd3",
        "microsoft_client_id": "535fb089-9ff3-47b6-9bfb-4f1264799865",
        "microsoft_client_secret": "not used here",
    })
    built = build_providers(settings)
    yield built
    built.close()
    google.stop()


def test_a_live_mailbox_at_a_host_that_takes_its_password_can_be_exported(providers: Providers) -> None:
    assert Capability.PASSWORD_SIGN_IN in providers.mailbox_host("MAILDOSO").SUPPORTS  # type: ignore[attr-defined]
    assert api_export_refusal(mailbox(provider="MAILDOSO"), providers) is None


def test_the_process_runtime_is_asked_when_no_providers_are_given(runtime: Runtime) -> None:
    # The session's runtime runs every provider on the sandbox.
    assert api_export_refusal(mailbox(provider="GOOGLE")) is None
    assert "is not live (its status is ordered)" in str(api_export_refusal(mailbox(MailboxStatus.ORDERED)))


def test_google_workspace_mailboxes_are_refused_with_what_to_do_instead(providers: Providers) -> None:
    refusal = api_export_refusal(mailbox(provider="GOOGLE", email="jared@piedpiper.com"), providers)
    assert refusal is not None and refusal.startswith("jared@piedpiper.com is a Google Workspace mailbox")
    assert "OAuth 2.0 or an app password" in refusal and "with its Google sign-in" in refusal


def test_microsoft_365_mailboxes_are_refused_with_what_to_do_instead(providers: Providers) -> None:
    refusal = api_export_refusal(mailbox(provider="MICROSOFT"), providers)
    assert refusal is not None and "is a Microsoft 365 mailbox" in refusal
    assert "SMTP AUTH" in refusal and '"Sign in with Microsoft"' in refusal


@pytest.mark.parametrize("status", [MailboxStatus.ORDERED, MailboxStatus.SUSPENDED, MailboxStatus.NEEDS_ACTION, MailboxStatus.DELETED])
def test_a_mailbox_that_is_not_live_is_refused_with_its_status(providers: Providers, status: str) -> None:
    refusal = api_export_refusal(mailbox(status), providers)
    assert refusal == f"gilfoyle@piedpiper.com is not live (its status is {status}): only live mailboxes can be exported"


def test_a_mailbox_of_a_withdrawn_host_is_refused(providers: Providers) -> None:
    refusal = api_export_refusal(mailbox(provider="MAILFORGE"), providers)
    assert refusal == "gilfoyle@piedpiper.com: its mailbox host (MAILFORGE) is withdrawn here, so nothing can be exported from it"
