"""A mailbox as a sending platform's email account: the one place that turns a Mailbox row into
the AccountToExport every platform adapter and CSV file uses, and that says whether a mailbox
can be pushed to a platform over its API at all.

Whether the password signs in to SMTP and IMAP is the mailbox host adapter's to declare
(Capability.PASSWORD_SIGN_IN in its SUPPORTS): the sandbox hosts do; Google Workspace and
Microsoft 365 do not (their modules say why), and an account added with a password that cannot
sign in would only fail at the platform later."""

from __future__ import annotations

from dataclasses import dataclass

from mailwright import runtime
from mailwright.config import Settings
from mailwright.crypto import SecretBox
from mailwright.exports.platforms import AccountToExport
from mailwright.mailboxes.models import Mailbox, MailboxStatus
from mailwright.providers.base import Capability
from mailwright.providers.registry import Providers


@dataclass(frozen=True)
class ExportDefaults:
    """The operator's starting values of every exported account (MAILWRIGHT_EXPORT_*)."""

    daily_limit: int
    warmup: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> ExportDefaults:
        return cls(daily_limit=settings.export_daily_limit, warmup=settings.export_warmup)


def account_to_export(mailbox: Mailbox, secrets: SecretBox, defaults: ExportDefaults) -> AccountToExport:
    """The live mailbox's credentials as a platform account. The address is the one the host
    signs in with now (it differs from `email` only while a change of address is applied)."""
    if mailbox.status != MailboxStatus.LIVE or not mailbox.smtp_host or not mailbox.imap_host:
        raise ValueError(f"mailbox {mailbox.id} is not live: it has no credentials to export")
    return AccountToExport(
        email=mailbox.address_at_host,
        first_name=mailbox.first_name,
        last_name=mailbox.last_name,
        password=secrets.decrypt(mailbox.password_enc),
        smtp_host=mailbox.smtp_host,
        smtp_port=int(mailbox.smtp_port or 0),
        imap_host=mailbox.imap_host,
        imap_port=int(mailbox.imap_port or 0),
        daily_limit=defaults.daily_limit,
        warmup=defaults.warmup,
    )


# Why a host's mailboxes cannot be added by password, and what the customer can do instead.
_NO_PASSWORD_SIGN_IN = {
    "GOOGLE": (
        "is a Google Workspace mailbox, and Google accepts no account password over SMTP and IMAP "
        "from other apps (only OAuth 2.0 or an app password, which no Google API can create), so it "
        "cannot be added by API: connect it in the sending platform with its Google sign-in instead"
    ),
    "MICROSOFT": (
        "is a Microsoft 365 mailbox, and Exchange Online refuses the password over IMAP (OAuth 2.0 "
        "only) and over SMTP unless the tenant allows SMTP AUTH, so it cannot be added by API: "
        "connect it in the sending platform with \"Sign in with Microsoft\" instead"
    ),
}


def api_export_refusal(mailbox: Mailbox, providers: Providers | None = None) -> str | None:
    """None when the mailbox can be pushed to a sending platform over its API; otherwise one
    sentence saying why not. `providers`: the process's (runtime.current()) unless given."""
    if mailbox.status != MailboxStatus.LIVE:
        return f"{mailbox.email} is not live (its status is {mailbox.status}): only live mailboxes can be exported"
    if providers is None:
        providers = runtime.current().providers
    host = providers.mailbox_hosts.get(mailbox.provider)
    if host is None:
        return f"{mailbox.email}: its mailbox host ({mailbox.provider}) is withdrawn here, so nothing can be exported from it"
    if Capability.PASSWORD_SIGN_IN in getattr(host, "SUPPORTS", frozenset()):
        return None
    why = _NO_PASSWORD_SIGN_IN.get(
        mailbox.provider,
        f"is hosted where SMTP and IMAP do not accept the mailbox password ({mailbox.provider}), so it cannot be added by API",
    )
    return f"{mailbox.email} {why}"
