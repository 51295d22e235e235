"""Choosing providers: settings read at start, no silent fall-back to the sandbox, the account
checks of the sandbox and RFC 2136 adapters, and the sandbox named loudly beside a real provider.
In process: no command is started here (see test_providers_check_cli.py for the command)."""

from __future__ import annotations

import re
import sys

import pytest
from pydantic import ValidationError

from mailwright import cli
from mailwright.config import SettingProblem, Settings
from mailwright.providers.checks import check_role, redact, sandbox_warning
from mailwright.providers.registry import Providers, Role, build_providers
from mailwright.providers.rfc2136 import Rfc2136DnsHost
from mailwright.runtime import Runtime
from tests.support.postgres import free_port


def test_only_providers_with_an_adapter_are_accepted(tmp_path) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(registrar="gandi")
    assert raised.value.errors()[0]["loc"] == ("registrar",)
    with pytest.raises(ValidationError) as raised:
        Settings(dns_host="nsone")
    assert raised.value.errors()[0]["loc"] == ("dns_host",)
    # A name that got past the settings without a branch in the registry stops, never falls back.
    unchecked = Settings.model_construct(**(Settings(data_dir=tmp_path).model_dump() | {"registrar": "gandi"}))
    with pytest.raises(SettingProblem) as problem:
        build_providers(unchecked)
    assert problem.value.setting == "MAILWRIGHT_REGISTRAR" and "'gandi' has no adapter" in problem.value.message


@pytest.mark.parametrize(
    ("text", "address"),
    [("127.0.0.1:5353", ("127.0.0.1", 5353)), ("[::1]:53", ("::1", 53)), (" 10.0.0.2:53 ", ("10.0.0.2", 53)), ("", None)],
)
def test_the_verify_server_is_an_address_and_a_port(text: str, address: tuple[str, int] | None) -> None:
    assert Settings(dns_verify_server=text).verify_server == address


@pytest.mark.parametrize("text", ["127.0.0.1", "127.0.0.1:", "localhost:53", "::1:53", "127.0.0.1:0", "127.0.0.1:70000", "1.2.3.4:5x"])
def test_a_verify_server_that_is_not_host_and_port_stops_at_start(text: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(dns_verify_server=text)
    error = raised.value.errors()[0]
    assert error["loc"] == ("dns_verify_server",) and "is not host:port with an IP address" in error["msg"]


def test_sandbox_adapters_say_what_they_are(runtime: Runtime) -> None:
    results = {role.label: check_role(role, runtime.settings) for role in runtime.providers.roles()}
    assert list(results) == [
        "registrar", "DNS host", "mailbox host MAILDOSO", "mailbox host MAILFORGE", "mailbox host GOOGLE", "mailbox host MICROSOFT"
    ]
    assert all(r.ok and r.role.is_sandbox for r in results.values())
    assert results["registrar"].adapter == "SandboxRegistrar"
    assert results["registrar"].supports == ("availability", "nameservers", "pricing", "registration", "renewal")
    assert re.fullmatch(r"Sandbox: \d+ domains in this database; registers nothing for real", results["registrar"].message)
    port = runtime.providers.dns_host.start_server()  # type: ignore[attr-defined]
    assert results["DNS host"].message.startswith(f"Sandbox DNS on 127.0.0.1 port {port}, ")
    assert re.fullmatch(r"Sandbox: \d+ GOOGLE mailboxes in this database; creates none for real", results["mailbox host GOOGLE"].message)
    # All on the sandbox: nothing to warn about.
    assert sandbox_warning(runtime.providers) == []


def test_rfc2136_unreachable_is_reported_as_such() -> None:
    port = free_port()
    host = Rfc2136DnsHost("127.0.0.1", port, key_name="mailwright", secret="c2VjcmV0c2VjcmV0c2VjcmV0", timeout=0.5)
    result = check_role(Role("dns_host", "rfc2136", host), Settings(rfc2136_tsig_secret="c2VjcmV0c2VjcmV0c2VjcmV0"))
    assert (result.ok, result.reachable, result.authenticated) == (False, False, None)
    assert result.message.startswith(f"Unreachable: The DNS server 127.0.0.1:{port} cannot be reached")
    assert result.supports == ("dns_records", "web_redirect")


def test_the_sandbox_is_named_loudly_beside_a_real_provider(runtime: Runtime) -> None:
    sandbox = runtime.providers
    mixed = Providers(
        registrar=sandbox.registrar,
        dns_host=Rfc2136DnsHost("127.0.0.1", 53),
        mailbox_hosts=sandbox.mailbox_hosts,
        registrar_name="sandbox",
        dns_host_name="rfc2136",
    )
    assert mixed.uses_real_provider and mixed.delegates and mixed.registrar_is_sandbox
    assert [r.label for r in mixed.sandbox_roles()] == [
        "registrar", "mailbox host MAILDOSO", "mailbox host MAILFORGE", "mailbox host GOOGLE", "mailbox host MICROSOFT"
    ]
    assert sandbox_warning(mixed) == [
        "!" * 76,
        "WARNING: a real provider is configured (MAILWRIGHT_REGISTRAR=sandbox,",
        "MAILWRIGHT_DNS_HOST=rfc2136), but these roles still run on the SANDBOX,",
        "which buys and creates NOTHING real:",
        "  - registrar: domains are NOT registered anywhere (MAILWRIGHT_REGISTRAR)",
        "  - mailbox host MAILDOSO: mailboxes are NOT created anywhere (MAILWRIGHT_MAILBOX_HOSTS)",
        "  - mailbox host MAILFORGE: mailboxes are NOT created anywhere (MAILWRIGHT_MAILBOX_HOSTS)",
        "  - mailbox host GOOGLE: mailboxes are NOT created anywhere (MAILWRIGHT_MAILBOX_HOSTS)",
        "  - mailbox host MICROSOFT: mailboxes are NOT created anywhere (MAILWRIGHT_MAILBOX_HOSTS)",
        "Customers are charged for these as for real ones. Configure a real provider",
        "for each, or sell nothing that needs them (`mailwright providers check`).",
        "!" * 76,
    ]


def test_secret_settings_never_show_in_a_check_sentence() -> None:
    settings = Settings(rfc2136_tsig_secret="c2VjcmV0c2VjcmV0c2VjcmV0")
    assert redact("rejected key c2VjcmV0c2VjcmV0c2VjcmV0 for zone", settings) == "rejected key *** for zone"


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("MAILWRIGHT_DNS_VERIFY_SERVER", "localhost", "'localhost' is not host:port with an IP address"),
        ("MAILWRIGHT_REGISTRAR", "gandi", "Input should be 'sandbox', 'porkbun' or 'namecheap'"),
    ],
)
def test_a_wrong_provider_setting_stops_a_command_with_one_line(monkeypatch, capsys, variable: str, value: str, says: str) -> None:
    monkeypatch.setenv(variable, value)
    monkeypatch.setattr(sys, "argv", ["mailwright", "providers", "check"])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith(f"Error: {variable}: ") and says in err


def test_a_real_providers_missing_setting_stops_even_a_command_that_does_not_use_it(monkeypatch, capsys, tmp_path) -> None:
    # The sandbox is made only when a command uses it; a real adapter is made (and checked) at start.
    for variable, value in {"MAILWRIGHT_REGISTRAR": "porkbun", "MAILWRIGHT_DATA_DIR": str(tmp_path), "MAILWRIGHT_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite"}.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("MAILWRIGHT_PORKBUN_API_KEY", raising=False)
    monkeypatch.setattr(sys, "argv", ["mailwright", "accounts", "list"])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 2
    assert capsys.readouterr() == ("", "Error: MAILWRIGHT_PORKBUN_API_KEY: must be set for MAILWRIGHT_REGISTRAR=porkbun\n")
