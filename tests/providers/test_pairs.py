"""`mailwright serve` with a real registrar and a real DNS host, each a loopback emulator (or a real
BIND for RFC 2136), one `serve` per pair on its own SQLite file.

An order becomes ready only once the registrar holds the registration (bought once, at its price,
with the contact it takes), the registrar delegates the domain to the DNS host's nameservers, and
the records are served. Readiness is checked with real DNS through MAILWRIGHT_DNS_VERIFY_SERVER,
pointed at tests/support/delegated_dns.py: it answers the domain's NS from the registrar's state
(what the parent zone says) and everything else from the DNS host the delegation points at, so a
domain delegated elsewhere serves none of the records the DNS host holds.

A pair is one line of PAIRS; each side is a fixture named `<name>_registrar` / `<name>_dns_host`
(a registrar that is also the DNS host fits too: then there is no delegation to wait for).
One `serve` runs at a time: the next pair's stops it (each costs seconds of CPU to start and
polls its queues while it idles).
The sandbox registrar with RFC 2136 is end to end in tests/dns/test_verify_server_and_delegation.py;
Porkbun as both in tests/providers/porkbun/test_serve.py, Namecheap as both in
tests/providers/namecheap/test_serve.py.

And the faults a real registrar adds through `serve` (Porkbun, on the porkbun+cloudflare pair's
`serve`, the last pair, so the test after it finds it running): a SIGKILL while the registrar's
create is in flight, then a restart on the same database, buys nothing twice and still readies the
domain; a name taken between the availability check and the create fails only its own item, which
is refunded exactly its price and its mailbox's, with nothing charged at the registrar."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import dns.query
import dns.rdatatype
import dns.zone
import httpx
import pytest
import sqlalchemy as sa

from mailwright.dns.verify import delegated_nameservers, query
from mailwright.dns.zone import origin_of
from tests.conftest import OWNER, unique, wait_until
from tests.providers.cloudflare.dns_server import zone_of
from tests.providers.cloudflare.emulator import CloudflareEmulator
from tests.providers.namecheap.conftest import GENEROUS_LIMITS
from tests.providers.namecheap.dns_server import BasicDns
from tests.providers.namecheap.emulator import NamecheapEmulator
from tests.providers.porkbun.dns_server import EmulatedZones
from tests.providers.porkbun.emulator import NAMESERVERS as PORKBUN_NAMESERVERS
from tests.providers.porkbun.emulator import PorkbunEmulator
from tests.support.bind import Bind, running_bind
from tests.support.delegated_dns import Authority, DelegatedDns, host_name
from tests.support.serve import ServeProcess, serve_env

# Its own SQLite file whatever the backend under test: it runs once (tests/run.py), not per backend.
pytestmark = [pytest.mark.slow, pytest.mark.backend_independent]

KEY_LINE = re.compile(r"Its API key, shown only this once: (\S+)")
DOMAIN_PRICE, MAILBOX_PRICE = 1300, 400  # the price book's first figures: .com, MAILDOSO
DEMO_CREDIT = 50_000  # the demo account's credit on a first start

# (registrar, DNS host): each pair that makes sense and has adapters. One line per pair.
# The last one's `serve` goes on with the faults after it.
PAIRS = [
    pytest.param("porkbun", "rfc2136", id="porkbun+rfc2136"),
    pytest.param("namecheap", "cloudflare", id="namecheap+cloudflare"),
    pytest.param("namecheap", "rfc2136", id="namecheap+rfc2136"),
    pytest.param("porkbun", "cloudflare", id="porkbun+cloudflare"),
]


# ------------------------------------------------------------------ sides of a pair


class EmulatedRegistrar(Protocol):
    def settings(self) -> dict[str, str]:
        """The MAILWRIGHT_* settings (lower-case names, without the prefix) of this registrar."""
        ...

    def delegation(self, domain: str) -> Sequence[str] | None:
        """The nameservers it holds for `domain` (what the parent zone says); None: not held."""
        ...

    def authorities(self) -> list[Authority]:
        """Its own DNS hosting, when it has one (serving its parking records, say)."""
        ...

    def assert_holds(self, domain: str, contact: dict[str, str]) -> None:
        """Registered once, charged its price once, with `contact` (the owner contact the order
        was placed with) where this registrar takes a contact."""
        ...


class EmulatedDnsHost(Protocol):
    def new_domain(self) -> str: ...

    def settings(self) -> dict[str, str]: ...

    def nameservers(self, domain: str) -> Collection[str]:
        """The nameservers it assigned to the domain's zone."""
        ...

    def authority(self) -> Authority: ...

    def published(self, domain: str) -> set[tuple[str, str]]:
        """(type, full name) of every record it holds for the domain."""
        ...


@dataclass
class PorkbunRegistrarSide:
    emulator: PorkbunEmulator

    def settings(self) -> dict[str, str]:
        return {
            "registrar": "porkbun",
            "porkbun_api_key": self.emulator.api_key,
            "porkbun_secret_api_key": self.emulator.secret_api_key,
            "porkbun_base_url": self.emulator.base_url,
        }

    def delegation(self, domain: str) -> Sequence[str] | None:
        with self.emulator.lock:
            held = self.emulator.domains.get(domain)
            return list(held.ns) if held is not None else None

    def authorities(self) -> list[Authority]:
        return [Authority("Porkbun", self._hosts, EmulatedZones(self.emulator).zone_for)]

    def _hosts(self, domain: str) -> Collection[str]:
        return PORKBUN_NAMESERVERS if domain in self.emulator.domains else ()

    def price(self, domain: str) -> int:
        return int(Decimal(self.emulator.prices[domain.rsplit(".", 1)[1]][0]) * 100)

    def assert_holds(self, domain: str, contact: dict[str, str]) -> None:
        assert domain in self.emulator.domains
        assert [c for c in self.emulator.charges if c[1] == domain] == [("registration", domain, self.price(domain))]
        creates = [body for path, body, _ in self.emulator.calls if path == f"/domain/create/{domain}"]
        # Porkbun's API takes no contact: the registrant is the account's default contact, and
        # nothing of `contact` is sent.
        assert creates == [{"cost": self.price(domain), "agreeToTerms": "yes"}]
        assert not any(contact["email"] in str(body) for _, body, _ in self.emulator.calls)


@dataclass
class NamecheapRegistrarSide:
    emulator: NamecheapEmulator

    def settings(self) -> dict[str, str]:
        return {
            "registrar": "namecheap",
            "namecheap_api_user": self.emulator.api_user,
            "namecheap_api_key": self.emulator.api_key,
            "namecheap_username": self.emulator.username,
            "namecheap_client_ip": next(iter(self.emulator.whitelisted_ips)),
            "namecheap_base_url": self.emulator.url,
        }

    def delegation(self, domain: str) -> Sequence[str] | None:
        with self.emulator._lock:
            held = self.emulator.domains.get(domain)
            return list(held.nameservers) if held is not None else None

    def authorities(self) -> list[Authority]:
        return [Authority("Namecheap BasicDNS", self._hosts, BasicDns(self.emulator).zone_for)]

    def _hosts(self, domain: str) -> Collection[str]:
        held = self.emulator.domains.get(domain)
        return held.nameservers if held is not None and held.uses_our_dns else ()

    def assert_holds(self, domain: str, contact: dict[str, str]) -> None:
        held = self.emulator.domains[domain]
        # Every contact role is the order's owner contact.
        assert {role: c["EmailAddress"] for role, c in held.contacts.items()} == dict.fromkeys(("Registrant", "Tech", "Admin", "AuxBilling"), contact["email"])
        creates = [c for c in self.emulator.calls if c.command.lower() == "namecheap.domains.create" and c.params.get("DomainName") == domain]
        assert len(creates) == 1
        assert not held.uses_our_dns  # delegated to the DNS host (setCustom)


@dataclass
class CloudflareDnsHostSide:
    emulator: CloudflareEmulator
    token: str

    def new_domain(self) -> str:
        return f"{unique('pair')}.com"

    def settings(self) -> dict[str, str]:
        return {
            "dns_host": "cloudflare",
            "cloudflare_api_token": self.token,
            "cloudflare_account_id": self.emulator.account_id,
            "cloudflare_base_url": self.emulator.base_url,
        }

    def nameservers(self, domain: str) -> Collection[str]:
        zone = self.emulator.zone_named(domain)
        return list(zone["name_servers"]) if zone is not None else []

    def authority(self) -> Authority:
        return Authority("Cloudflare", self.nameservers, lambda qname: zone_of(self.emulator, qname))

    def published(self, domain: str) -> set[tuple[str, str]]:
        assert [z["name"] for z in self.emulator.zones.values()].count(domain) == 1
        return {(r["type"], r["name"]) for r in self.emulator.records_of(domain)}


@dataclass
class Rfc2136DnsHostSide:
    bind: Bind

    def new_domain(self) -> str:
        return self.bind.zone  # BIND hosts this one zone, which is the domain ordered

    def settings(self) -> dict[str, str]:
        return self.bind.settings()

    def nameservers(self, domain: str) -> Collection[str]:
        return list(self.bind.nameservers) if domain == self.bind.zone else []

    def authority(self) -> Authority:
        return Authority("BIND", self.nameservers, self.bind.zone_for)

    def published(self, domain: str) -> set[tuple[str, str]]:
        zone = dns.zone.from_xfr(dns.query.xfr("127.0.0.1", domain, port=self.bind.port, lifetime=5))
        return {
            (dns.rdatatype.to_text(rdataset.rdtype), name.derelativize(zone.origin).to_text(omit_final_dot=True))
            for name, node in zone.nodes.items()
            for rdataset in node.rdatasets
        }


@pytest.fixture(scope="module")
def porkbun() -> Iterator[PorkbunEmulator]:
    emulator = PorkbunEmulator().start()
    emulator.check_limit = 100  # every test's availability checks within Porkbun's 10 s window
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def namecheap() -> Iterator[NamecheapEmulator]:
    emulator = NamecheapEmulator(rate_limits=GENEROUS_LIMITS, balance="1000.00").start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def cloudflare() -> Iterator[CloudflareEmulator]:
    emulator = CloudflareEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def porkbun_registrar(porkbun: PorkbunEmulator) -> PorkbunRegistrarSide:
    return PorkbunRegistrarSide(porkbun)


@pytest.fixture
def namecheap_registrar(namecheap: NamecheapEmulator) -> NamecheapRegistrarSide:
    return NamecheapRegistrarSide(namecheap)


@pytest.fixture(scope="module")
def cloudflare_dns_host(cloudflare: CloudflareEmulator) -> CloudflareDnsHostSide:
    return CloudflareDnsHostSide(cloudflare, cloudflare.add_token())  # the module's: a serve may outlive a test


@pytest.fixture
def rfc2136_dns_host(tmp_path: Path) -> Iterator[Rfc2136DnsHostSide]:
    # A BIND per test: its one zone is the domain the test orders (about a second to start).
    root = tmp_path / "bind"
    root.mkdir()
    # Two nameservers, as registrars want to delegate to (Namecheap refuses fewer).
    with running_bind(root, f"{unique('pair')}.com", ("ns1", "ns2")) as bind:
        yield Rfc2136DnsHostSide(bind)


# ------------------------------------------------------------------ serve


@dataclass
class Served:
    serve: ServeProcess
    http: httpx.Client
    engine: sa.Engine
    internet: DelegatedDns  # what its readiness checks ask (MAILWRIGHT_DNS_VERIFY_SERVER)

    def order(self, domains: list[str]) -> str:
        body = {
            "provider": "MAILDOSO",
            "domains": domains,
            "mailboxes": [{"first_name": "Richard", "last_name": "Hendricks", "email": f"richard@{d}"} for d in domains],
        }
        response = self.http.post("/rest/v2/domains/order", json=body)
        assert response.status_code == 202, response.text
        return response.json()["order_id"]

    def settled(self, order_id: str, timeout: float = 90) -> dict[str, Any]:
        return wait_until(
            lambda: (b := self.http.get(f"/rest/v2/domains/orders/{order_id}").json())["status"] != "processing" and b,
            timeout=timeout,
            interval=0.2,
        )

    def ledger(self) -> list[tuple[str, int, str | None]]:
        """(kind, amount, domain name of a refund) of every entry, in order."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT e.kind, e.amount_minor, d.name FROM ledger_entries e LEFT JOIN domains d ON d.id = e.domain_id ORDER BY e.id"
            ))
            return [(kind, amount, name) for kind, amount, name in rows]

    def domain_status(self, name: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.text("SELECT status FROM domains WHERE name = :n"), {"n": name}).scalar()

    def close(self) -> None:
        self.serve.stop()
        self.http.close()
        self.engine.dispose()
        self.internet.stop()


@pytest.fixture(scope="module")
def pair_serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str, EmulatedRegistrar, EmulatedDnsHost], Served]]:
    """`serve` for a pair, on a SQLite file of its own with the owner contact set, its readiness
    checks sent to a DelegatedDns of the pair's sides. One at a time: another pair's stops it, the
    same pair's is the one still running."""
    running: dict[str, Served] = {}

    def serve_for(pair: str, registrar: EmulatedRegistrar, dns_host: EmulatedDnsHost) -> Served:
        served = running.get(pair)
        if served is not None and served.serve.process is not None and served.serve.process.poll() is None:
            return served
        for other in running.values():
            other.close()
        running.clear()
        root = tmp_path_factory.mktemp(pair)
        internet = DelegatedDns(registrar.delegation, [dns_host.authority(), *registrar.authorities()]).start()
        database_url = f"sqlite:///{root / 'mailwright.db'}"
        env = serve_env(database_url, root / "data", **registrar.settings(), **dns_host.settings(), **verify_settings(internet))
        serve = ServeProcess(env, cwd=root).start()
        served = running[pair] = Served(serve, httpx.Client(base_url=serve.base_url, timeout=60), sa.create_engine(database_url), internet)
        serve.wait_ready()
        served.http.headers["x-api-key"] = wait_until(lambda: (m := KEY_LINE.search(serve.text)) and m.group(1), timeout=30)
        assert served.http.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
        return served

    yield serve_for
    for served in running.values():
        served.close()


def verify_settings(internet: DelegatedDns) -> dict[str, str]:
    return {
        "dns_verify_server": internet.address,
        "dns_verify_attempts": "5",
        "dns_verify_retry_seconds": "0.2",
        "dns_verify_max_wait_seconds": "1",
        "dns_query_timeout_seconds": "2",
    }


# ------------------------------------------------------------------ the pairs


@pytest.mark.parametrize(("registrar_name", "dns_host_name"), PAIRS)
def test_an_order_is_ready_once_registered_delegated_to_the_dns_host_and_served(
    registrar_name: str, dns_host_name: str, request: pytest.FixtureRequest, pair_serve: Callable[..., Served]
) -> None:
    registrar: EmulatedRegistrar = request.getfixturevalue(f"{registrar_name}_registrar")
    dns_host: EmulatedDnsHost = request.getfixturevalue(f"{dns_host_name}_dns_host")
    domain = dns_host.new_domain()
    served = pair_serve(f"{registrar_name}+{dns_host_name}", registrar, dns_host)
    internet = served.internet
    final = served.settled(served.order([domain]))
    assert final["status"] == "completed", final
    assert served.http.get(f"/rest/v2/domains/{domain}").json()["is_ready"] is True

    # The registrar holds it, bought once at its price, and delegates it to the DNS host (its own
    # nameservers when it is the DNS host).
    registrar.assert_holds(domain, OWNER)
    expected_ns = sorted(host_name(n) for n in dns_host.nameservers(domain))
    assert expected_ns and sorted(host_name(n) for n in registrar.delegation(domain) or []) == expected_ns
    serving = internet.serving(domain)  # where resolvers are sent now
    assert serving is not None and serving.name == dns_host.authority().name

    # The records are at the DNS host, and the readiness checks saw them served there and the
    # delegation through the verify server.
    checked = served.http.get(f"/rest/v2/domains/{domain}/dns").json()
    assert checked["all_valid"] is True, checked
    assert {(r["type"], r["fqdn"]) for r in checked["records"]} <= dns_host.published(domain)
    assert checked["delegation"] == (None if registrar_name == dns_host_name else {
        "expected": expected_ns,
        "observed": expected_ns,
        "source": f"{internet.address} (MAILWRIGHT_DNS_VERIFY_SERVER)",
        "valid": True,
    })
    assert served.ledger() == [("credit", DEMO_CREDIT, None), ("debit", -(DOMAIN_PRICE + MAILBOX_PRICE), None)]


def test_the_delegated_dns_serves_only_where_the_delegation_points(
    porkbun_registrar: PorkbunRegistrarSide, cloudflare_dns_host: CloudflareDnsHostSide
) -> None:
    # The helper itself: before the registrar delegates, resolvers reach Porkbun's parking DNS.
    domain = cloudflare_dns_host.new_domain()
    porkbun_registrar.emulator.add_domain(domain)
    cloudflare_dns_host.emulator.add_zone(domain)
    cloudflare_dns_host.emulator.add_record(domain, {"type": "MX", "name": domain, "content": "mx.example.net", "priority": 10, "ttl": 300})
    internet = DelegatedDns(porkbun_registrar.delegation, [cloudflare_dns_host.authority(), *porkbun_registrar.authorities()]).start()
    try:
        where = (("127.0.0.1", internet.port),)
        assert delegated_nameservers(where, domain, 2.0, recursive=True) == tuple(sorted(PORKBUN_NAMESERVERS))
        assert query(where, origin_of(domain), dns.rdatatype.MX, 2.0, authoritative=False) == []
        cloudflare_ns = list(cloudflare_dns_host.nameservers(domain))
        porkbun_registrar.emulator.domains[domain].ns = cloudflare_ns
        assert delegated_nameservers(where, domain, 2.0, recursive=True) == tuple(sorted(cloudflare_ns))
        assert [r.to_text() for r in query(where, origin_of(domain), dns.rdatatype.MX, 2.0) or []] == ["10 mx.example.net."]
        assert query(where, origin_of("elsewhere.com"), dns.rdatatype.MX, 2.0, authoritative=False) is None  # refused
    finally:
        internet.stop()


# ------------------------------------------------------------------ faults through serve (Porkbun)


def test_a_kill_during_the_purchase_buys_nothing_twice_and_a_name_taken_meanwhile_is_refunded(
    porkbun: PorkbunEmulator, porkbun_registrar: PorkbunRegistrarSide, cloudflare_dns_host: CloudflareDnsHostSide,
    pair_serve: Callable[..., Served],
) -> None:
    bought, taken = f"{unique('crash')}.com", f"{unique('taken')}.com"
    served = pair_serve("porkbun+cloudflare", porkbun_registrar, cloudflare_dns_host)  # the last pair's, still running
    cloudflare = cloudflare_dns_host.emulator
    balance, seen = porkbun.balance, len(served.ledger())
    porkbun.slow_next(10.0, f"/domain/create/{bought}")  # Porkbun buys it; its answer comes late
    porkbun.take_on_create.add(taken)  # registered by someone else between the check and the create
    order_id = served.order([bought, taken])
    total = 2 * (DOMAIN_PRICE + MAILBOX_PRICE)

    # SIGKILL once Porkbun has bought the domain, while serve still waits for its answer.
    wait_until(lambda: any(c[1] == bought for c in porkbun.charges), timeout=90, interval=0.02)
    served.serve.kill()
    assert served.domain_status(bought) == "ordered", "the kill came too late to prove anything"
    assert cloudflare.zone_named(bought) is None  # nothing after the purchase had started
    before_restart = len(porkbun.paths())

    # Started again on the same database: the step runs again, finds the domain in the
    # account, and goes on without buying it again.
    served.serve.start().wait_ready()
    final = served.settled(order_id, timeout=120)
    assert final["status"] == "partially_completed", final
    by_name = {i["name"]: i for i in final["domains"] + final["mailboxes"]}
    assert by_name[bought]["status"] == "ready" and by_name[f"richard@{bought}"]["status"] == "live"
    assert by_name[taken]["status"] == "failed" and "not available" in by_name[taken]["failure_reason"]
    assert by_name[f"richard@{taken}"]["status"] == "failed"
    assert served.http.get(f"/rest/v2/domains/{bought}").json()["is_ready"] is True
    again = porkbun.paths()[before_restart:]
    assert "/domain/listAll" in again and f"/domain/create/{bought}" not in again  # looked, did not buy
    assert f"/domain/updateNs/{bought}" in again and cloudflare.zone_named(taken) is None

    # Bought once and paid once at Porkbun; the taken name neither bought nor charged there.
    porkbun_registrar.assert_holds(bought, OWNER)
    assert taken not in porkbun.domains and [c for c in porkbun.charges if c[1] == taken] == []
    assert porkbun.balance == balance - porkbun_registrar.price(bought)
    assert [p for p in porkbun.paths() if p == f"/domain/create/{taken}"] != []  # it was tried, and refused

    # The customer paid for both, and got back exactly the failed domain's and its mailbox's prices.
    entries = served.ledger()[seen:]
    assert entries[0] == ("debit", -total, None)
    assert sorted(entries[1:]) == [("refund", MAILBOX_PRICE, None), ("refund", DOMAIN_PRICE, taken)]
    assert sum(amount for _, amount, _ in entries) == -(DOMAIN_PRICE + MAILBOX_PRICE)
