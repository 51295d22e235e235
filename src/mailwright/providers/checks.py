"""`mailwright providers check`: each configured role's adapter asked the cheapest question that
needs its credentials (base.AccountCheck), and the sandbox named wherever it still plays a role
beside a real provider, so that nothing is sold for real by accident, nor believed sold when it
was not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mailwright.config import Settings
from mailwright.providers.base import NeedsActionError, ProviderError, ProviderUnavailable, RetriableError
from mailwright.providers.registry import MAILBOX_HOST_ROLE, REGISTRAR_ROLE, Providers, Role

# Settings whose values must never be shown, whatever an adapter's message says.
_SECRET_WORDS = ("key", "secret", "token", "password")
# Where each role's adapter is chosen, for people.
_SETTING = {REGISTRAR_ROLE: "MAILWRIGHT_REGISTRAR", "dns_host": "MAILWRIGHT_DNS_HOST"}


@dataclass(frozen=True)
class CheckResult:
    role: Role
    adapter: str  # the adapter's class name
    reachable: bool | None  # None: not known (the check did not get that far)
    authenticated: bool | None
    supports: tuple[str, ...]
    message: str  # the adapter's sentence, or what went wrong

    @property
    def ok(self) -> bool:
        return bool(self.reachable and self.authenticated)

    def payload(self) -> dict[str, Any]:
        return {
            "role": self.role.role,
            "mailbox_provider": self.role.mailbox_provider,
            "provider": self.role.provider,
            "adapter": self.adapter,
            "sandbox": self.role.is_sandbox,
            "ok": self.ok,
            "reachable": self.reachable,
            "authenticated": self.authenticated,
            "supports": list(self.supports),
            "message": self.message,
        }


def check_role(role: Role, settings: Settings) -> CheckResult:
    """Calls the adapter's `probe()`; its typed errors say how far it got."""
    adapter = role.adapter
    supports = tuple(sorted(str(c) for c in getattr(adapter, "SUPPORTS", frozenset())))
    name = type(adapter).__name__
    try:
        sentence = adapter.probe()
    except NeedsActionError as exc:
        return CheckResult(role, name, True, False, supports, redact(f"Not authenticated: {exc}", settings))
    except ProviderUnavailable as exc:
        return CheckResult(role, name, False, None, supports, redact(f"Unreachable: {exc}", settings))
    except RetriableError as exc:  # it answered, with a rate limit or a failure of its own
        return CheckResult(role, name, True, None, supports, redact(f"Failed for now: {exc}", settings))
    except ProviderError as exc:
        return CheckResult(role, name, True, None, supports, redact(f"Refused: {exc}", settings))
    except Exception as exc:  # an adapter's bug: its text may hold anything, so only its kind
        return CheckResult(role, name, None, None, supports, f"Unexpected error in the adapter: {type(exc).__name__}")
    return CheckResult(role, name, True, True, supports, redact(str(sentence), settings))


def check_all(providers: Providers, settings: Settings) -> list[CheckResult]:
    return [check_role(role, settings) for role in providers.roles()]


def redact(text: str, settings: Settings) -> str:
    """`text` with the value of every secret setting (API keys, secrets, tokens) masked."""
    for field, value in settings.model_dump().items():
        if any(word in field for word in _SECRET_WORDS) and isinstance(value, str) and len(value) >= 4:
            text = text.replace(value, "***")
    return text


def sandbox_warning(providers: Providers) -> list[str]:
    """The lines `serve` (and `worker`) print at start when a real provider is configured while
    other roles still run on the sandbox; empty otherwise (all sandbox, or all real)."""
    if not providers.uses_real_provider:
        return []
    left = providers.sandbox_roles()
    if not left:
        return []
    real_hosts = [f"{role.mailbox_provider}={role.provider}" for role in providers.roles() if role.role == MAILBOX_HOST_ROLE and not role.is_sandbox]
    lines = [
        "!" * 76,
        f"WARNING: a real provider is configured (MAILWRIGHT_REGISTRAR={providers.registrar_name},",
        f"MAILWRIGHT_DNS_HOST={providers.dns_host_name}"
        + (f", MAILWRIGHT_MAILBOX_HOSTS: {', '.join(real_hosts)}" if real_hosts else "")
        + "), but these roles still run on the SANDBOX,",
        "which buys and creates NOTHING real:",
    ]
    lines += [f"  - {role.label}: {_consequence(role)}" for role in left]
    lines += [
        "Customers are charged for these as for real ones. Configure a real provider",
        "for each, or sell nothing that needs them (`mailwright providers check`).",
        "!" * 76,
    ]
    return lines


def _consequence(role: Role) -> str:
    if role.role == REGISTRAR_ROLE:
        return "domains are NOT registered anywhere (MAILWRIGHT_REGISTRAR)"
    if role.role == MAILBOX_HOST_ROLE:
        return "mailboxes are NOT created anywhere (MAILWRIGHT_MAILBOX_HOSTS)"
    return f"zones are served on loopback only, seen by no one ({_SETTING[role.role]})"
