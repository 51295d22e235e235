"""The RFC 2136 DnsHost against a real BIND (Debian's bind9, installed by ./mw test) on loopback:
provision a domain's records through the adapter, resolve every one with real DNS queries, and
verify a DKIM signature made with the domain's key by fetching the key from that server."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dkim
import dns.message
import dns.query
import dns.rdatatype
import pytest

from mailwright.dns.dkim import dkim_txt_value, generate_private_key_pem
from mailwright.dns.records import DKIM_SELECTOR, sending_records
from mailwright.dns.verify import observe, query
from mailwright.dns.zone import checked_zone, origin_of
from mailwright.providers.base import MailSetup, NeedsActionError, RecordSpec
from mailwright.providers.rfc2136 import Rfc2136DnsHost
from tests.conftest import unique, wait_until
from tests.support.postgres import free_port

NAMED = os.environ.get("MAILWRIGHT_NAMED", "/usr/sbin/named")  # checked by scripts/test-prerequisites
KEY_NAME = "mailwright-key"


@dataclass
class Bind:
    port: int
    secret: str
    zone: str

    def host(self, **overrides: object) -> Rfc2136DnsHost:
        options: dict[str, object] = {"key_name": KEY_NAME, "secret": self.secret, "nameservers": (f"ns1.{self.zone}.",)}
        return Rfc2136DnsHost("127.0.0.1", self.port, **(options | overrides))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def bind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bind]:
    """named in the foreground with a generated config: one primary zone open to updates
    signed with our TSIG key, as an operator would create it."""
    root: Path = tmp_path_factory.mktemp("bind")
    os.chmod(root, 0o777)  # named may drop to the bind user
    zone = unique("bind") + ".test"
    port = free_port()
    secret = base64.b64encode(secrets.token_bytes(32)).decode()
    (root / f"{zone}.db").write_text(
        f"$TTL 300\n@ IN SOA ns1.{zone}. hostmaster.{zone}. 1 3600 600 86400 300\n@ IN NS ns1.{zone}.\nns1 IN A 127.0.0.1\n"
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
zone "{zone}" {{ type primary; file "{root}/{zone}.db"; allow-update {{ key "{KEY_NAME}"; }}; }};
"""
    )
    log = (root / "named.log").open("w")
    process = subprocess.Popen([NAMED, "-g", "-n", "1", "-c", str(root / "named.conf")], stdout=log, stderr=subprocess.STDOUT)
    server = Bind(port, secret, zone)
    try:
        wait_until(lambda: process.poll() is not None or _answers(server), timeout=60, interval=0.1)
        assert process.poll() is None, (root / "named.log").read_text()
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _answers(server: Bind) -> bool:
    return query((("127.0.0.1", server.port),), origin_of(server.zone), dns.rdatatype.SOA, 1.0) is not None


def test_a_domain_provisioned_through_rfc2136_is_served_and_signs(bind: Bind) -> None:
    host = bind.host()
    assert host.ensure_zone(bind.zone) == (f"ns1.{bind.zone}.",)
    key = generate_private_key_pem()
    setup = MailSetup(
        mx=(RecordSpec("MX", "@", "mx1.maildoso.com.", priority=10), RecordSpec("MX", "@", "mx2.maildoso.com.", priority=20)),
        spf_includes=("_spf.maildoso.com",),
    )
    planned = sending_records(
        setup, own_dkim=dkim_txt_value(key), dmarc_rua="dmarc@piedpiper.com", tracking_label="track", tracking_target="t.example.net"
    )
    specs = [p.spec for p in planned]
    checked_zone(bind.zone, specs, host.nameservers(bind.zone))
    host.replace_records(bind.zone, specs)
    host.replace_records(bind.zone, specs)  # a retried step publishes nothing twice

    # Every record, resolved with real queries against BIND.
    seen = observe(bind.zone, specs, host.query_servers(bind.zone), timeout=5)
    assert [o.valid for o in seen] == [True] * len(specs), seen
    mx = query(host.query_servers(bind.zone), origin_of(bind.zone), dns.rdatatype.MX, 5)
    assert sorted(r.to_text() for r in mx or []) == ["10 mx1.maildoso.com.", "20 mx2.maildoso.com."]

    # A message signed with the domain's key verifies against the key BIND publishes.
    message = (
        f"From: Richard <richard@{bind.zone}>\r\nTo: gavin@hooli.com\r\nSubject: Compression\r\n"
        "Message-ID: <1@piedpiper>\r\n\r\nMiddle-out.\r\n"
    ).encode()
    signature = dkim.sign(message, DKIM_SELECTOR.encode(), bind.zone.encode(), key.encode(), include_headers=[b"from", b"to", b"subject"])
    fetched: list[str] = []

    def from_bind(name: bytes, timeout: float = 5) -> bytes:
        fetched.append(name.decode())
        answer = dns.query.tcp(dns.message.make_query(name.decode(), "TXT"), "127.0.0.1", timeout=timeout, port=bind.port)
        return b"".join(s for rrset in answer.answer for r in rrset for s in r.strings)

    assert dkim.verify(signature + message, dnsfunc=from_bind)
    assert fetched == [f"{DKIM_SELECTOR}._domainkey.{bind.zone}."]
    assert not dkim.verify(signature + message.replace(b"Middle-out", b"Inside-out"), dnsfunc=from_bind)


def test_changed_records_replace_the_old_ones_and_redirects_publish_an_address(bind: Bind) -> None:
    host = bind.host(redirect_address="192.0.2.80")
    servers = host.query_servers(bind.zone)
    host.replace_records(bind.zone, [RecordSpec("TXT", "_dmarc", "v=DMARC1; p=none")])
    host.replace_records(bind.zone, [RecordSpec("TXT", "_dmarc", "v=DMARC1; p=quarantine")])
    dmarc = query(servers, origin_of(f"_dmarc.{bind.zone}"), dns.rdatatype.TXT, 5)
    assert [b"".join(r.strings) for r in dmarc or []] == [b"v=DMARC1; p=quarantine"]

    host.set_web_redirect(bind.zone, "https://piedpiper.com")
    assert [r.to_text() for r in query(servers, origin_of(bind.zone), dns.rdatatype.A, 5) or []] == ["192.0.2.80"]
    host.set_web_redirect(bind.zone, None)
    assert query(servers, origin_of(bind.zone), dns.rdatatype.A, 5) == []
    with pytest.raises(NeedsActionError, match="MAILWRIGHT_RFC2136_REDIRECT_ADDRESS"):
        bind.host().set_web_redirect(bind.zone, "https://piedpiper.com")


def test_what_the_operator_must_fix_is_said_plainly(bind: Bind) -> None:
    # Zones are not created by updates: a zone the server does not host parks the domain.
    with pytest.raises(NeedsActionError, match="does not host the zone"):
        bind.host().ensure_zone(unique("elsewhere") + ".test")
    with pytest.raises(NeedsActionError, match="refused the update"):
        bind.host().replace_records(unique("elsewhere") + ".test", [RecordSpec("TXT", "@", "v=spf1 -all")])
    wrong = base64.b64encode(secrets.token_bytes(32)).decode()
    with pytest.raises(NeedsActionError, match="TSIG"):
        bind.host(secret=wrong).replace_records(bind.zone, [RecordSpec("TXT", "probe", "x")])
    with pytest.raises(NeedsActionError, match="refused the update"):
        bind.host(key_name="").replace_records(bind.zone, [RecordSpec("TXT", "probe", "x")])
    assert query(bind.host().query_servers(bind.zone), origin_of(f"probe.{bind.zone}"), dns.rdatatype.TXT, 5) == []


def test_a_removed_record_set_is_no_longer_served(bind: Bind) -> None:
    host = bind.host()
    servers = host.query_servers(bind.zone)
    srv = RecordSpec("SRV", "_sip._tcp", "5 5060 sip.example.com.", priority=10)
    host.replace_records(bind.zone, [RecordSpec("A", "shop", "192.0.2.20"), srv])
    served = query(servers, origin_of(f"_sip._tcp.{bind.zone}"), dns.rdatatype.SRV, 5)
    assert [r.to_text() for r in served or []] == ["10 5 5060 sip.example.com."]
    host.remove_records(bind.zone, "shop", "A")
    host.remove_records(bind.zone, "shop", "A")  # removing what is gone is fine
    assert query(servers, origin_of(f"shop.{bind.zone}"), dns.rdatatype.A, 5) == []
    assert query(servers, origin_of(f"_sip._tcp.{bind.zone}"), dns.rdatatype.SRV, 5)  # other sets untouched
