"""The sandbox providers. Their names load `service` (dnspython, DKIM keys) when first asked for,
so that importing `mailwright.providers.sandbox.models` (every process's tables) stays cheap."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mailwright.providers.sandbox.service import SANDBOX_NAMESERVERS, SandboxDnsHost, SandboxMailboxHost, SandboxRegistrar

__all__ = ["SANDBOX_NAMESERVERS", "SandboxDnsHost", "SandboxMailboxHost", "SandboxRegistrar"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from mailwright.providers.sandbox import service

        return getattr(service, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
