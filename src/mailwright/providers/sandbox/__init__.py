from mailwright.providers.sandbox.service import (
    SANDBOX_NAMESERVERS,
    SandboxDnsHost,
    SandboxMailboxHost,
    SandboxRegistrar,
)

__all__ = ["SANDBOX_NAMESERVERS", "SandboxDnsHost", "SandboxMailboxHost", "SandboxRegistrar"]
