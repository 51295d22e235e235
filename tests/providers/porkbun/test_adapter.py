"""The Porkbun registrar and DNS host against the loopback emulator of Porkbun's API v3 (called
directly, no workflow engine), and both against the documented example bodies in fixtures/."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from mailwright.config import SettingProblem, Settings
from mailwright.money import Money
from mailwright.providers.base import (
    Availability,
    Capability,
    Contact,
    NeedsActionError,
    ProviderUnavailable,
    RecordSpec,
    RetriableError,
    TerminalError,
)
from mailwright.providers.porkbun import PORKBUN_NAMESERVERS, PorkbunApi, PorkbunDnsHost, PorkbunRegistrar
from mailwright.providers.registry import build_providers
from tests.conftest import OWNER
from tests.providers.porkbun.conftest import api_for
from tests.providers.porkbun.emulator import PorkbunEmulator

FIXTURES = Path(__file__).with_name("fixtures")
CONTACT = Contact(**OWNER)  # type: ignore[arg-type]


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def shape(value: Any) -> Any:
    """Keys and value types, recursively (a list by its first element); null and "" are both an
    optional value left out (Porkbun answers either for empty notes)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items() if v not in (None, "")}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


# ------------------------------------------------------------------ documented bodies


def fixture_api(routes: dict[str, tuple[int, str]]) -> PorkbunApi:
    """An adapter whose every call is answered with a fixture file, as Porkbun documents it."""
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api/json/v3/")
        body = json.loads(request.content or b"{}")
        seen.append(body)
        assert request.method == "POST"
        if path != "pricing/get":
            assert body["apikey"] == "pk1_doc" and body["secretapikey"] == "sk1_doc"
        for prefix, (status, name) in routes.items():
            if path.startswith(prefix):
                return httpx.Response(status, json=fixture(name))
        raise AssertionError(f"unexpected call {path}")

    return PorkbunApi("pk1_doc", "sk1_doc", "https://api.porkbun.com/api/json/v3", transport=httpx.MockTransport(handler))


def test_the_adapter_reads_the_documented_bodies() -> None:
    api = fixture_api({
        "ping": (200, "ping"), "pricing/get": (200, "pricing_get"), "domain/checkDomain/": (200, "check_domain"),
        "domain/listAll": (200, "list_all"), "domain/getNs/": (200, "get_ns"),
        "dns/retrieveByNameType/": (200, "dns_retrieve_by_name_type"), "dns/retrieve/": (200, "dns_retrieve"),
        "domain/getUrlForwarding/": (200, "get_url_forwarding"), "domain/deleteUrlForward/": (200, "success"),
        "domain/addUrlForward/": (200, "success"), "dns/editByNameType/": (200, "success"),
    })
    registrar, host = PorkbunRegistrar(api), PorkbunDnsHost(api)
    assert registrar.check() == "authenticated; your IP seen by Porkbun: 8.8.8.8"
    assert host.check() == "authenticated; your IP seen by Porkbun: 8.8.8.8"
    [availability] = registrar.check(["example.com"], "USD")
    assert availability.available and availability.price == Money(968, "USD")
    assert registrar.renewal_price("piedpiper.design", "USD") == Money(3558, "USD")
    assert registrar.renewal_price("piedpiper.com", "EUR") is None  # Porkbun sells in USD only
    registration = registrar.find_registration("borseth.ink")
    assert registration is not None and registration.expires_at == dt.datetime(2023, 8, 20, 17, 52, 51, tzinfo=dt.timezone.utc)
    assert registrar.find_registration("piedpiper.com") is None
    registrar.set_nameservers("borseth.ink", PORKBUN_NAMESERVERS)  # the same set: nothing to update
    assert host.ensure_zone("example.xyz") == PORKBUN_NAMESERVERS
    host.replace_records("borseth.ink", [RecordSpec("A", "www", "1.1.1.1", ttl=600)])  # already so
    host.replace_records("borseth.ink", [RecordSpec("A", "www", "1.0.0.1", ttl=600)])  # one edited in place
    host.set_web_redirect("borseth.ink", "https://porkbun.com")  # the documented temporary apex forward: kept


@pytest.mark.parametrize(
    ("name", "kind", "says"),
    [
        ("error_invalid_api_key", NeedsActionError, "MAILWRIGHT_PORKBUN_API_KEY"),
        ("error_not_opted_in", NeedsActionError, "API ACCESS"),
        ("error_invalid_domain", TerminalError, "Invalid domain."),
    ],
)
def test_documented_errors_become_typed_errors(name: str, kind: type[Exception], says: str) -> None:
    api = fixture_api({"domain/getNs/": (400, name)})
    with pytest.raises(kind, match=says) as raised:
        PorkbunRegistrar(api).set_nameservers("piedpiper.com", PORKBUN_NAMESERVERS)
    assert "pk1_doc" not in str(raised.value) and "sk1_doc" not in str(raised.value)


def test_porkbuns_message_never_carries_our_keys_back() -> None:
    echo = httpx.MockTransport(lambda r: httpx.Response(400, json={"status": "ERROR", "message": "Bad key sk1_doc for pk1_doc."}))
    api = PorkbunApi("pk1_doc", "sk1_doc", "https://api.porkbun.com/api/json/v3", transport=echo)
    with pytest.raises(TerminalError) as raised:
        PorkbunDnsHost(api).remove_records("piedpiper.com", "@", "TXT")
    assert "sk1_doc" not in str(raised.value) and "pk1_doc" not in str(raised.value) and "[key]" in str(raised.value)


def test_a_host_that_no_longer_serves_the_api_names_the_base_url_setting() -> None:
    # porkbun.com stopped serving the API on 2024-12-01 and answers 403 with an HTML page.
    transport = httpx.MockTransport(lambda request: httpx.Response(403, text="<html>403 Forbidden</html>"))
    api = PorkbunApi("pk1_doc", "sk1_doc", "https://porkbun.com/api/json/v3", transport=transport)
    with pytest.raises(NeedsActionError, match="MAILWRIGHT_PORKBUN_BASE_URL"):
        PorkbunDnsHost(api).check()


def test_the_emulator_answers_as_documented(emulator: PorkbunEmulator) -> None:
    emulator.add_domain("borseth.ink")
    emulator.domains["borseth.ink"].forwards.append(fixture("get_url_forwarding")["forwards"][0])

    client = httpx.Client(base_url=emulator.base_url + "/")

    def post(path: str, **body: Any) -> dict[str, Any]:
        keys = {"apikey": emulator.api_key, "secretapikey": emulator.secret_api_key}
        return client.post(path, json=keys | body).json()

    created = post("dns/create/borseth.ink", name="www", type="A", content="1.1.1.1", ttl="600")
    assert shape(created) == shape(fixture("dns_create"))
    emulator.domains["borseth.ink"].records = [r for r in emulator.domains["borseth.ink"].records if r.type == "A"]
    assert shape(post("ping")) == shape(fixture("ping"))
    assert shape(post("pricing/get")["pricing"]["com"]) == shape(fixture("pricing_get")["pricing"]["com"])
    assert shape(post("domain/checkDomain/piedpiper.com")) == shape(fixture("check_domain"))
    assert shape(post("domain/listAll", start="0")) == shape(fixture("list_all"))
    assert post("domain/getNs/borseth.ink") == fixture("get_ns")
    assert shape(post("dns/retrieve/borseth.ink")) == shape(fixture("dns_retrieve"))
    assert post("dns/retrieveByNameType/borseth.ink/A/www")["records"][0]["name"] == "www.borseth.ink"
    assert shape(post("dns/retrieveByNameType/borseth.ink/A/www")) == shape(fixture("dns_retrieve_by_name_type"))
    assert shape(post("domain/getUrlForwarding/borseth.ink")) == shape(fixture("get_url_forwarding"))
    emulator.balance = 100_000
    assert shape(post("domain/create/hooli.com", cost=1108, agreeToTerms="yes")) == shape(fixture("create"))
    # Errors: HTTP 400 with the documented bodies.
    wrong = client.post("ping", json={"apikey": "pk1_x", "secretapikey": "sk1_x"})
    assert (wrong.status_code, wrong.json()) == (400, fixture("error_invalid_api_key"))
    assert post("dns/retrieve/notmine.com") == fixture("error_invalid_domain")
    emulator.domains["borseth.ink"].api_access = False
    assert post("dns/retrieve/borseth.ink") == fixture("error_not_opted_in")
    client.close()


# ------------------------------------------------------------------ registrar


def test_availability_prices_and_the_budget_of_checks(emulator: PorkbunEmulator, registrar: PorkbunRegistrar) -> None:
    emulator.taken.add("hooli.com")
    emulator.premium["pied.io"] = "3000.00"
    emulator.check_limit = 3
    assert registrar.check(["piedpiper.com", "hooli.com"], "USD") == [
        registrar.check(["piedpiper.com"], "USD")[0],  # the cached answer: no third check
        registrar.check(["hooli.com"], "USD")[0],
    ]
    [piedpiper, hooli, pied] = registrar.check(["piedpiper.com", "hooli.com", "pied.io"], "USD")
    assert (piedpiper.available, piedpiper.price, hooli.available, hooli.price) == (True, Money(1108, "USD"), False, None)
    assert (pied.available, pied.price) == (True, Money(300000, "USD"))  # a premium name: its own price
    assert emulator.paths().count("/domain/checkDomain/piedpiper.com") == 1
    # Porkbun said 3 of 3 checks are used within 10 s: the next name waits instead of being checked.
    with pytest.raises(ProviderUnavailable, match="try again in") as raised:
        registrar.check(["aviato.com"], "USD")
    assert raised.value.retry_after is not None and 5 < raised.value.retry_after <= 10
    assert "/domain/checkDomain/aviato.com" not in emulator.paths()
    # A TLD Porkbun does not sell ("Invalid domain."): unavailable, not an error of the whole search.
    emulator.check_limit = 10
    assert PorkbunRegistrar(api_for(emulator)).check(["piedpiper.zz"], "USD") == [Availability("piedpiper.zz", False, None)]
    assert registrar.check(["piedpiper.com"], "EUR")[0].price is None  # Porkbun prices in USD only
    assert "com" in registrar.tlds()[:3]


def test_porkbuns_own_refusal_of_a_check_waits_as_it_says(emulator: PorkbunEmulator, registrar: PorkbunRegistrar) -> None:
    emulator.checks = [time.monotonic()]  # the budget spent by someone else with these keys
    with pytest.raises(ProviderUnavailable, match="limit") as raised:
        registrar.check(["piedpiper.com"], "USD")
    assert raised.value.retry_after is not None and raised.value.retry_after <= 10


def test_a_domain_is_bought_once_for_its_quoted_price(emulator: PorkbunEmulator, registrar: PorkbunRegistrar) -> None:
    registration = registrar.register("piedpiper.com", 1, CONTACT, idempotency_key="domain-1")
    assert registration.domain == "piedpiper.com"
    assert registration.expires_at.year == dt.datetime.now(dt.timezone.utc).year + 1
    assert emulator.charges == [("registration", "piedpiper.com", 1108)]
    create = [(body, headers) for path, body, headers in emulator.calls if path == "/domain/create/piedpiper.com"]
    assert [body for body, _ in create] == [{"cost": 1108, "agreeToTerms": "yes"}]  # no contact: the account's default
    assert create[0][1]["idempotency-key"] == "domain-1"
    # A retried step looks first and finds it: nothing bought twice.
    assert registrar.register("piedpiper.com", 1, CONTACT, idempotency_key="domain-1") == registration
    assert emulator.charges == [("registration", "piedpiper.com", 1108)]
    assert emulator.paths().count("/domain/create/piedpiper.com") == 1
    assert registrar.find_registration("piedpiper.com") == registration


def test_an_order_whose_answer_is_lost_is_not_bought_again(emulator: PorkbunEmulator) -> None:
    registrar = PorkbunRegistrar(api_for(emulator, timeout=0.3))
    emulator.slow_next(1.0, "/domain/create/")  # Porkbun buys it, but its answer comes too late
    with pytest.raises(ProviderUnavailable, match="no answer within"):
        registrar.register("piedpiper.com", 1, CONTACT, idempotency_key="domain-6")
    time.sleep(0.8)
    # The step is retried: Porkbun's account already has the domain, so nothing is bought twice.
    assert registrar.register("piedpiper.com", 1, CONTACT, idempotency_key="domain-6").domain == "piedpiper.com"
    assert emulator.charges == [("registration", "piedpiper.com", 1108)]
    assert emulator.paths().count("/domain/create/piedpiper.com") == 1
    registrar.close()


def test_a_name_taken_between_check_and_create_is_terminal(emulator: PorkbunEmulator, registrar: PorkbunRegistrar) -> None:
    assert registrar.check(["piedpiper.com"], "USD")[0].available
    emulator.take_on_create.add("piedpiper.com")
    with pytest.raises(TerminalError, match="not available"):
        registrar.register("piedpiper.com", 1, CONTACT, idempotency_key="domain-2")
    assert emulator.charges == [] and "piedpiper.com" not in emulator.domains


def test_missing_credit_and_wrong_keys_need_a_person(emulator: PorkbunEmulator, registrar: PorkbunRegistrar) -> None:
    emulator.balance = 0
    with pytest.raises(NeedsActionError, match="add account credit at Porkbun"):
        registrar.register("piedpiper.com", 1, CONTACT, idempotency_key="domain-3")
    assert emulator.charges == []
    wrong = PorkbunRegistrar(api_for(emulator, secret="sk1_wrong"))
    for call in (wrong.check, lambda: wrong.register("hooli.com", 1, CONTACT, "domain-4")):
        with pytest.raises(NeedsActionError, match="MAILWRIGHT_PORKBUN_SECRET_API_KEY") as raised:
            call()
        assert "sk1_wrong" not in str(raised.value) and emulator.secret_api_key not in str(raised.value)
    # In an availability search, wrong keys answer 503 (ProviderUnavailable), not a server error.
    with pytest.raises(ProviderUnavailable, match="API keys"):
        wrong.check(["hooli.com"], "USD")
    with pytest.raises(TerminalError, match="one year at a time"):
        registrar.register("hooli.com", 2, CONTACT, idempotency_key="domain-5")


def test_outages_are_retried_with_porkbuns_wait(emulator: PorkbunEmulator, registrar: PorkbunRegistrar) -> None:
    emulator.fail_next(500)
    with pytest.raises(RetriableError, match=r"failed \(500\)"):
        registrar.find_registration("piedpiper.com")
    emulator.fail_next(429, retry_after=7)
    with pytest.raises(RetriableError, match="rate limited") as raised:
        registrar.set_nameservers("piedpiper.com", ("ns1.hooli.com",))
    assert raised.value.retry_after == 7
    slow = PorkbunRegistrar(api_for(emulator, timeout=0.2))
    emulator.slow_next(0.5)
    with pytest.raises(ProviderUnavailable, match="no answer within"):
        slow.check()
    slow.close()
    assert registrar.check() == "authenticated; your IP seen by Porkbun: 127.0.0.1"


def test_nameservers_change_only_when_different(emulator: PorkbunEmulator, registrar: PorkbunRegistrar) -> None:
    emulator.add_domain("piedpiper.com")
    registrar.set_nameservers("piedpiper.com", ("ns1.hooli.com.", "ns2.hooli.com."))
    registrar.set_nameservers("piedpiper.com", ("ns2.hooli.com", "ns1.hooli.com"))
    assert emulator.domains["piedpiper.com"].ns == ["ns1.hooli.com", "ns2.hooli.com"]
    assert emulator.paths().count("/domain/updateNs/piedpiper.com") == 1


def test_a_renewal_extends_one_year_once(emulator: PorkbunEmulator, registrar: PorkbunRegistrar) -> None:
    emulator.add_domain("piedpiper.io")
    expires = registrar.find_registration("piedpiper.io").expires_at  # type: ignore[union-attr]
    assert registrar.renewal_price("piedpiper.io", "USD") == Money(4512, "USD")
    renewed = registrar.renew("piedpiper.io", 1, expires, idempotency_key="renew-1")
    assert renewed.expires_at == expires.replace(year=expires.year + 1)
    assert registrar.renew("piedpiper.io", 1, expires, idempotency_key="renew-1") == renewed  # a repeat: done already
    assert emulator.charges == [("renewal", "piedpiper.io", 4512)]
    with pytest.raises(TerminalError, match="not at"):
        registrar.renew("piedpiper.io", 1, expires - dt.timedelta(days=400), idempotency_key="renew-2")
    with pytest.raises(TerminalError, match="not in the Porkbun account"):
        registrar.renew("hooli.com", 1, expires, idempotency_key="renew-3")
    assert Capability.RENEWAL in PorkbunRegistrar.SUPPORTS


def test_the_account_is_read_page_by_page(emulator: PorkbunEmulator, registrar: PorkbunRegistrar) -> None:
    for n in range(1001):
        emulator.add_domain(f"a{n:04d}.com", records=False)
    emulator.add_domain("zz-piedpiper.com")
    assert registrar.find_registration("zz-piedpiper.com") is not None
    assert [body for path, body, _ in emulator.calls if path == "/domain/listAll"] == [{"start": "0"}, {"start": "1000"}]


# ------------------------------------------------------------------ DNS host


def test_zones_exist_only_for_domains_in_the_account(emulator: PorkbunEmulator, dns_host: PorkbunDnsHost) -> None:
    emulator.add_domain("piedpiper.com")
    assert dns_host.ensure_zone("piedpiper.com") == PORKBUN_NAMESERVERS == dns_host.nameservers("piedpiper.com")
    with pytest.raises(NeedsActionError, match="not in the Porkbun account"):
        dns_host.ensure_zone("hooli.com")
    emulator.add_domain("hooli.com", api_access=False)
    with pytest.raises(NeedsActionError, match="turn on API ACCESS"):
        dns_host.ensure_zone("hooli.com")
    assert Capability.ZONES not in PorkbunDnsHost.SUPPORTS


def served(emulator: PorkbunEmulator, domain: str) -> set[tuple[str, str, str, int, int]]:
    return {(r.name, r.type, r.content, r.ttl, r.prio) for r in emulator.domains[domain].records}


def test_records_are_made_exactly_and_a_repeat_changes_nothing(emulator: PorkbunEmulator, dns_host: PorkbunDnsHost) -> None:
    emulator.add_domain("piedpiper.com")
    parking = served(emulator, "piedpiper.com")
    records = [
        RecordSpec("MX", "@", "mx1.maildoso.com.", priority=10),
        RecordSpec("MX", "@", "mx2.maildoso.com.", priority=20),
        RecordSpec("TXT", "@", "v=spf1 include:_spf.maildoso.com ~all"),
        RecordSpec("TXT", "_dmarc", "v=DMARC1; p=none", ttl=300),
        RecordSpec("CNAME", "track", "t.example.net."),
    ]
    dns_host.replace_records("piedpiper.com", records)
    assert served(emulator, "piedpiper.com") == parking | {
        ("piedpiper.com", "MX", "mx1.maildoso.com", 3600, 10),
        ("piedpiper.com", "MX", "mx2.maildoso.com", 3600, 20),
        ("piedpiper.com", "TXT", "v=spf1 include:_spf.maildoso.com ~all", 3600, 0),
        ("_dmarc.piedpiper.com", "TXT", "v=DMARC1; p=none", 600, 0),  # Porkbun's minimum TTL
        ("track.piedpiper.com", "CNAME", "t.example.net", 3600, 0),
    }
    before = served(emulator, "piedpiper.com")
    writes = len([p for p in emulator.paths() if not p.startswith("/dns/retrieve")])
    dns_host.replace_records("piedpiper.com", records)  # a retried step
    assert served(emulator, "piedpiper.com") == before
    assert len([p for p in emulator.paths() if not p.startswith("/dns/retrieve")]) == writes

    # One record changed: edited in place. The MX set changed: replaced as a set. Nothing else touched.
    dns_host.replace_records("piedpiper.com", [
        RecordSpec("TXT", "_dmarc", "v=DMARC1; p=quarantine"),
        RecordSpec("MX", "@", "smtp.google.com.", priority=1),
    ])
    assert "/dns/editByNameType/piedpiper.com/TXT/_dmarc" in emulator.paths()
    assert "/dns/deleteByNameType/piedpiper.com/MX" in emulator.paths()
    after = served(emulator, "piedpiper.com")
    assert {r for r in after if r[1] == "MX"} == {("piedpiper.com", "MX", "smtp.google.com", 3600, 1)}
    assert ("_dmarc.piedpiper.com", "TXT", "v=DMARC1; p=quarantine", 3600, 0) in after
    assert parking <= after and ("piedpiper.com", "TXT", "v=spf1 include:_spf.maildoso.com ~all", 3600, 0) in after

    # A set left half made (a crash between two creates) is completed, never duplicated.
    emulator.domains["piedpiper.com"].records = [r for r in emulator.domains["piedpiper.com"].records if r.content != "mx2.maildoso.com"]
    dns_host.replace_records("piedpiper.com", records[:2])
    dns_host.replace_records("piedpiper.com", records[:2])
    assert {r for r in served(emulator, "piedpiper.com") if r[1] == "MX"} == {
        ("piedpiper.com", "MX", "mx1.maildoso.com", 3600, 10), ("piedpiper.com", "MX", "mx2.maildoso.com", 3600, 20),
    }

    dns_host.remove_records("piedpiper.com", "track", "CNAME")
    dns_host.remove_records("piedpiper.com", "track", "CNAME")  # nothing left: not an error
    assert not [r for r in served(emulator, "piedpiper.com") if r[0] == "track.piedpiper.com"]
    assert emulator.paths().count("/dns/deleteByNameType/piedpiper.com/CNAME/track") == 1


def test_web_redirects_use_porkbuns_url_forwarding(emulator: PorkbunEmulator, dns_host: PorkbunDnsHost) -> None:
    emulator.add_domain("piedpiper.com")
    forwards = lambda: [(f["subdomain"], f["location"], f["type"]) for f in emulator.domains["piedpiper.com"].forwards]  # noqa: E731
    dns_host.set_web_redirect("piedpiper.com", "https://piedpiper.example")
    dns_host.set_web_redirect("piedpiper.com", "https://piedpiper.example")
    assert forwards() == [("", "https://piedpiper.example", "temporary")]
    assert emulator.paths().count("/domain/addUrlForward/piedpiper.com") == 1
    dns_host.set_web_redirect("piedpiper.com", "https://hooli.example")
    assert forwards() == [("", "https://hooli.example", "temporary")]
    dns_host.set_web_redirect("piedpiper.com", None)
    assert forwards() == []
    with pytest.raises(TerminalError, match="no masked forwarding"):
        dns_host.set_web_redirect("piedpiper.com", "https://hooli.example", masked=True)


def test_query_servers_are_porkbuns_nameservers_or_the_verify_server(emulator: PorkbunEmulator) -> None:
    addresses = {"curitiba.ns.porkbun.com": ["173.245.58.37"], "maceio.ns.porkbun.com": ["162.159.11.180"]}
    host = PorkbunDnsHost(api_for(emulator), resolve=lambda name: addresses.get(name, []))
    assert host.query_servers("piedpiper.com") == (("173.245.58.37", 53), ("162.159.11.180", 53))
    assert PorkbunDnsHost(api_for(emulator), verify_server="127.0.0.1:10053").query_servers("piedpiper.com") == (("127.0.0.1", 10053),)
    with pytest.raises(ProviderUnavailable, match="cannot be resolved"):
        PorkbunDnsHost(api_for(emulator), resolve=lambda name: []).query_servers("piedpiper.com")


# ------------------------------------------------------------------ settings


@pytest.mark.parametrize("role", ["registrar", "dns_host"])
def test_choosing_porkbun_without_keys_is_a_setting_problem(role: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, **{role: "porkbun"})  # type: ignore[arg-type]
    with pytest.raises(SettingProblem) as raised:
        build_providers(settings)
    assert raised.value.setting == "MAILWRIGHT_PORKBUN_API_KEY"
    with pytest.raises(SettingProblem) as raised:
        build_providers(Settings(data_dir=tmp_path, porkbun_api_key="pk1_x", **{role: "porkbun"}))  # type: ignore[arg-type]
    assert raised.value.setting == "MAILWRIGHT_PORKBUN_SECRET_API_KEY"
    keys = {"porkbun_api_key": "pk1_x", "porkbun_secret_api_key": "sk1_x"}
    providers = build_providers(Settings(data_dir=tmp_path, registrar="porkbun", dns_host="porkbun", **keys))  # type: ignore[arg-type]
    assert isinstance(providers.registrar, PorkbunRegistrar) and isinstance(providers.dns_host, PorkbunDnsHost)
    assert not providers.registrar_is_sandbox
    providers.close()
