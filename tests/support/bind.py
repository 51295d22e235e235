"""A real BIND (Debian's bind9, installed by ./mw test) on a loopback port, with one primary zone
open to dynamic updates signed with a generated TSIG key, as an operator would create it, and to
zone transfers from loopback (`Bind.zone_for`: a test's own DNS server answering with its records)."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dns.name
import dns.query
import dns.rdatatype
import dns.zone

from mailwright.dns.verify import query
from mailwright.dns.zone import origin_of
from mailwright.providers.rfc2136 import Rfc2136DnsHost
from tests.conftest import wait_until
from tests.support.postgres import free_port
from tests.support.serve import end

NAMED = os.environ.get("MAILWRIGHT_NAMED", "/usr/sbin/named")  # checked by scripts/test-prerequisites
KEY_NAME = "mailwright-key"


@dataclass
class Bind:
    port: int
    secret: str
    zone: str
    labels: tuple[str, ...] = ("ns1",)  # the zone's nameservers, each a name in it for 127.0.0.1

    @property
    def nameserver(self) -> str:
        return self.nameservers[0]

    @property
    def nameservers(self) -> tuple[str, ...]:
        return tuple(f"{label}.{self.zone}." for label in self.labels)

    def host(self, **overrides: object) -> Rfc2136DnsHost:
        options: dict[str, object] = {"key_name": KEY_NAME, "secret": self.secret, "nameservers": self.nameservers}
        return Rfc2136DnsHost("127.0.0.1", self.port, **(options | overrides))  # type: ignore[arg-type]

    def zone_for(self, qname: dns.name.Name) -> dns.zone.Zone | None:
        """The zone as BIND serves it now (a zone transfer), when `qname` is in it: a
        SandboxDnsServer lookup, for a test's DNS server that answers with BIND's records."""
        if not qname.is_subdomain(origin_of(self.zone)):
            return None
        return dns.zone.from_xfr(dns.query.xfr("127.0.0.1", self.zone, port=self.port, lifetime=5))

    def settings(self) -> dict[str, str]:
        """The MAILWRIGHT_* settings (lower-case names) of a process publishing to this server."""
        return {
            "dns_host": "rfc2136",
            "rfc2136_server": "127.0.0.1",
            "rfc2136_port": str(self.port),
            "rfc2136_tsig_key_name": KEY_NAME,
            "rfc2136_tsig_secret": self.secret,
            "rfc2136_nameservers": ",".join(self.nameservers),
        }


@contextmanager
def running_bind(root: Path, zone: str, nameservers: tuple[str, ...] = ("ns1",)) -> Iterator[Bind]:
    """named in the foreground with a generated config in `root`, serving `zone` with these
    nameservers (labels in the zone; some registrars want two to delegate to)."""
    os.chmod(root, 0o777)  # named may drop to the bind user
    port = free_port()
    secret = base64.b64encode(secrets.token_bytes(32)).decode()
    (root / f"{zone}.db").write_text(
        f"$TTL 300\n@ IN SOA {nameservers[0]}.{zone}. hostmaster.{zone}. 1 3600 600 86400 300\n"
        + "".join(f"@ IN NS {label}.{zone}.\n{label} IN A 127.0.0.1\n" for label in nameservers)
    )
    (root / "named.conf").write_text(
        f"""
options {{
    directory "{root}";
    pid-file "{root}/named.pid";
    session-keyfile "{root}/session.key";
    managed-keys-directory "{root}";
    listen-on port {port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    notify no;
    dnssec-validation no;
}};
key "{KEY_NAME}" {{ algorithm hmac-sha256; secret "{secret}"; }};
controls {{ }};
zone "{zone}" {{ type primary; file "{root}/{zone}.db"; allow-update {{ key "{KEY_NAME}"; }}; allow-transfer {{ 127.0.0.1; }}; }};
"""
    )
    log = (root / "named.log").open("w")
    process = subprocess.Popen([NAMED, "-g", "-n", "1", "-c", str(root / "named.conf")], stdout=log, stderr=subprocess.STDOUT)
    server = Bind(port, secret, zone, nameservers)
    try:
        wait_until(lambda: process.poll() is not None or _answers(server), timeout=60, interval=0.1)
        assert process.poll() is None, (root / "named.log").read_text()
        yield server
    finally:
        end(process)
        log.close()


def _answers(server: Bind) -> bool:
    return query((("127.0.0.1", server.port),), origin_of(server.zone), dns.rdatatype.SOA, 1.0) is not None
