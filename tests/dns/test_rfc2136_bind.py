"""The RFC 2136 DnsHost against a real BIND (Debian's bind9, installed by ./mw test) on loopback:
provision a domain's records through the adapter, resolve every one with real DNS queries, and
verify a DKIM signature made with the domain's key by fetching the key from that server."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator

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
from tests.conftest import unique
from tests.support.bind import Bind, running_bind


@pytest.fixture(scope="module")
def bind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bind]:
    with running_bind(tmp_path_factory.mktemp("bind"), unique("bind") + ".test") as server:
        yield server


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
