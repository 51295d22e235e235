"""`mailwright providers check` as processes of their own, run side by side:
all sandbox (table and --json), and RFC 2136 pointed at a port where nothing answers (fails,
exit 1, the sandbox roles marked)."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import Cli
from tests.support.postgres import free_port

# What the command reports, and how, does not depend on the database behind the sandbox.
pytestmark = pytest.mark.backend_independent

SECRET = "c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1zaG93"


def run_side_by_side(*runs: tuple[dict[str, str], list[str]]) -> list[subprocess.CompletedProcess[str]]:
    started = [Cli(env).start(args) for env, args in runs]
    return [command.wait(timeout=180) for command in started]


def test_providers_check_reports_every_role_and_fails_when_one_cannot_be_reached(cli: Cli) -> None:
    wide = cli.env | {"COLUMNS": "250"}
    port = free_port()
    rfc2136 = {
        "MAILWRIGHT_DNS_HOST": "rfc2136",
        "MAILWRIGHT_RFC2136_PORT": str(port),
        "MAILWRIGHT_RFC2136_TSIG_KEY_NAME": "mailwright",
        "MAILWRIGHT_RFC2136_TSIG_SECRET": SECRET,
        "MAILWRIGHT_DNS_QUERY_TIMEOUT_SECONDS": "1",
    }
    sandbox_json, sandbox_table, real_json, real_table = run_side_by_side(
        (cli.env, ["providers", "check", "--json"]),
        (wide, ["providers", "check"]),
        (cli.env | rfc2136, ["providers", "check", "--json"]),
        (wide | rfc2136, ["providers", "check"]),
    )

    assert sandbox_json.returncode == 0, sandbox_json.stderr
    report = json.loads(sandbox_json.stdout)
    assert report["ok"] is True and report["real_provider_configured"] is False
    assert [(p["role"], p["mailbox_provider"], p["provider"], p["adapter"]) for p in report["providers"]] == [
        ("registrar", None, "sandbox", "SandboxRegistrar"),
        ("dns_host", None, "sandbox", "SandboxDnsHost"),
        ("mailbox_host", "MAILDOSO", "sandbox", "SandboxMailboxHost"),
        ("mailbox_host", "MAILFORGE", "sandbox", "SandboxMailboxHost"),
        ("mailbox_host", "GOOGLE", "sandbox", "SandboxMailboxHost"),
        ("mailbox_host", "MICROSOFT", "sandbox", "SandboxMailboxHost"),
    ]
    assert all(p["sandbox"] and p["reachable"] and p["authenticated"] and p["ok"] for p in report["providers"])
    assert report["providers"][1]["supports"] == ["dns_records", "web_redirect", "zones"]

    assert sandbox_table.returncode == 0, sandbox_table.stderr
    assert "Providers" in sandbox_table.stdout and "SandboxRegistrar" in sandbox_table.stdout
    assert "SANDBOX" not in sandbox_table.stdout and "WARNING" not in sandbox_table.stdout  # nothing real: no warning

    # RFC 2136 where nothing answers: that row fails, the rest are marked as the sandbox.
    assert real_json.returncode == 1, real_json.stderr
    assert real_json.stderr == ""  # --json: the object says it all
    real = json.loads(real_json.stdout)
    assert real["ok"] is False and real["real_provider_configured"] is True
    dns_host = real["providers"][1]
    assert dns_host == {
        "role": "dns_host",
        "mailbox_provider": None,
        "provider": "rfc2136",
        "adapter": "Rfc2136DnsHost",
        "sandbox": False,
        "ok": False,
        "reachable": False,
        "authenticated": None,
        "supports": ["dns_records", "web_redirect"],
        "message": dns_host["message"],
    }
    assert dns_host["message"].startswith(f"Unreachable: The DNS server 127.0.0.1:{port} cannot be reached")
    assert [p["sandbox"] for p in real["providers"]] == [True, False, True, True, True, True]
    assert real_table.returncode == 1
    assert real_table.stdout.count("SANDBOX") == 6  # five rows and the warning
    assert "WARNING: a real provider is configured (MAILWRIGHT_REGISTRAR=sandbox,\n" in real_table.stdout
    assert "  - mailbox host GOOGLE: mailboxes are NOT created anywhere (MAILWRIGHT_MAILBOX_HOSTS)\n" in real_table.stdout
    assert real_table.stderr == "Error: the check failed for: DNS host\n"
    for done in (real_json, real_table):
        assert SECRET not in done.stdout + done.stderr

