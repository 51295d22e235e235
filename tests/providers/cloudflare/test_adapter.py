"""The Cloudflare DnsHost called directly against the loopback emulator of Cloudflare's API
(one per module): zones, records, pagination, idempotency, errors and the token check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailwright.config import Settings, SettingProblem
from mailwright.dns.zone import to_rdata
from mailwright.providers.base import (
    Capability,
    NeedsActionError,
    ProviderUnavailable,
    RecordSpec,
    RetriableError,
    TerminalError,
)
from mailwright.providers.cloudflare import CloudflareDnsHost, quote_txt, record_key, spec_key, unquote_txt
from mailwright.providers.registry import build_providers
from tests.conftest import unique
from tests.providers.cloudflare.emulator import DNS_EDIT, ZONE_EDIT, CloudflareEmulator, txt_strings_of

FIXTURES = Path(__file__).parent / "fixtures"
DKIM = "v=DKIM1; k=rsa; p=" + "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" * 9  # ~420 bytes: two strings
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(scope="module")
def cf() -> Iterator[CloudflareEmulator]:
    emulator = CloudflareEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture(autouse=True)
def clean_faults(cf: CloudflareEmulator) -> Iterator[None]:
    cf.reset_faults()
    cf.max_per_page = 50
    yield
    cf.reset_faults()


@pytest.fixture()
def token(cf: CloudflareEmulator) -> str:
    return cf.add_token()


@pytest.fixture()
def host(cf: CloudflareEmulator, token: str) -> Iterator[CloudflareDnsHost]:
    adapter = CloudflareDnsHost(token, cf.account_id, cf.base_url, timeout=2.0, resolve=lambda ns: ["127.0.0.1"])
    yield adapter
    adapter.close()


def domain() -> str:
    return unique("cf") + ".com"


def writes(cf: CloudflareEmulator, since: int) -> list[tuple[str, str]]:
    return [(m, p) for m, p in cf.calls[since:] if m in WRITES]


def served(cf: CloudflareEmulator, name: str) -> set[tuple[str, str, str, int | None, int]]:
    return {(r["name"], r["type"], r["content"], r.get("priority"), r["ttl"]) for r in cf.records_of(name)}


# ------------------------------------------------------------------ settings


def test_settings_missing_or_wrong_for_cloudflare_name_the_variable(tmp_path: Path) -> None:
    base = {"dns_host": "cloudflare", "database_url": f"sqlite:///{tmp_path / 'settings.db'}"}
    with pytest.raises(SettingProblem) as missing:
        build_providers(Settings(**base, cloudflare_account_id="0" * 32))
    assert missing.value.setting == "MAILWRIGHT_CLOUDFLARE_API_TOKEN"
    assert "MAILWRIGHT_DNS_HOST=cloudflare" in missing.value.message
    with pytest.raises(SettingProblem) as no_account:
        build_providers(Settings(**base, cloudflare_api_token="t"))
    assert no_account.value.setting == "MAILWRIGHT_CLOUDFLARE_ACCOUNT_ID"
    with pytest.raises(SettingProblem) as bad_account:
        build_providers(Settings(**base, cloudflare_api_token="t", cloudflare_account_id="my-account"))
    assert bad_account.value.setting == "MAILWRIGHT_CLOUDFLARE_ACCOUNT_ID" and "32-character" in bad_account.value.message
    with pytest.raises(SettingProblem) as bad_url:
        build_providers(Settings(**base, cloudflare_api_token="t", cloudflare_account_id="a" * 32, cloudflare_base_url="api.cloudflare.com"))
    assert bad_url.value.setting == "MAILWRIGHT_CLOUDFLARE_BASE_URL"
    providers = build_providers(Settings(**base, cloudflare_api_token="t", cloudflare_account_id="A" * 32))
    try:
        assert isinstance(providers.dns_host, CloudflareDnsHost)
        assert providers.dns_host.account_id == "a" * 32
        assert str(providers.dns_host.http.client.base_url) == "https://api.cloudflare.com/client/v4/"
        assert CloudflareDnsHost.SUPPORTS == {Capability.ZONES, Capability.DNS_RECORDS}
    finally:
        providers.close()


# ------------------------------------------------------------------ check


def test_check_confirms_an_active_token(cf: CloudflareEmulator) -> None:
    user = CloudflareDnsHost(cf.add_token(expires_on="2030-01-01T00:00:00Z"), cf.account_id, cf.base_url, timeout=2.0)
    assert user.check() == "token active (expires 2030-01-01T00:00:00Z)"
    # An account-owned token is verified at the account's endpoint.
    owned = CloudflareDnsHost(cf.add_token(owner=cf.account_id), cf.account_id, cf.base_url, timeout=2.0)
    assert owned.check() == "token active"
    assert cf.calls[-2:] == [("GET", "/client/v4/user/tokens/verify"), ("GET", f"/client/v4/accounts/{cf.account_id}/tokens/verify")]


def test_check_refuses_an_unknown_or_expired_token_without_showing_it(cf: CloudflareEmulator) -> None:
    secret = "not-a-token-" + unique("s")
    with pytest.raises(NeedsActionError) as unknown:
        CloudflareDnsHost(secret, cf.account_id, cf.base_url, timeout=2.0).check()
    assert "Invalid API Token (code 1000)" in str(unknown.value) and "Zone → DNS → Edit" in str(unknown.value)
    assert secret not in str(unknown.value)
    expired = cf.add_token(status="expired")
    with pytest.raises(NeedsActionError) as late:
        CloudflareDnsHost(expired, cf.account_id, cf.base_url, timeout=2.0).check()
    assert "token is expired" in str(late.value) and expired not in str(late.value)


def test_check_unreachable_is_provider_unavailable(cf: CloudflareEmulator) -> None:
    from tests.support.postgres import free_port

    nowhere = CloudflareDnsHost(cf.add_token(), cf.account_id, f"http://127.0.0.1:{free_port()}/client/v4", timeout=1.0)
    with pytest.raises(ProviderUnavailable):
        nowhere.check()


# ------------------------------------------------------------------ zones


def test_ensure_zone_creates_the_zone_once_and_answers_its_assigned_nameservers(cf: CloudflareEmulator, host: CloudflareDnsHost) -> None:
    name = domain()
    first = host.ensure_zone(name)
    zone = cf.zone_named(name)
    assert zone is not None and zone["type"] == "full" and zone["account"]["id"] == cf.account_id
    assert first == tuple(zone["name_servers"]) and all(ns.endswith(".ns.cloudflare.com") for ns in first)
    # A retry (a new process, nothing cached) finds the zone and creates nothing.
    again = CloudflareDnsHost(host_token(host), cf.account_id, cf.base_url, timeout=2.0)
    since = len(cf.calls)
    assert again.ensure_zone(name.upper()) == first
    assert writes(cf, since) == []
    assert again.nameservers(name) == first
    assert sum(1 for z in cf.zones.values() if z["name"] == name) == 1
    assert host.query_servers(name) == (("127.0.0.1", 53), ("127.0.0.1", 53))


def host_token(host: CloudflareDnsHost) -> str:
    return host.http.client.headers["authorization"].removeprefix("Bearer ")


def test_a_zone_already_added_to_another_account_waits_for_a_person(cf: CloudflareEmulator, host: CloudflareDnsHost) -> None:
    name = domain()
    cf.add_zone(name, cf.add_account())
    with pytest.raises(NeedsActionError) as parked:
        host.ensure_zone(name)
    assert f"The zone {name} already exists in another Cloudflare account" in str(parked.value)
    assert cf.zone_named(name) is None


def test_a_zone_created_meanwhile_in_the_account_is_used_not_duplicated(cf: CloudflareEmulator, host: CloudflareDnsHost) -> None:
    name = domain()
    made: list[dict[str, Any]] = []
    cf.before_next_zone_create = lambda: made.append(cf._new_zone(name, cf.account_id))
    assert host.ensure_zone(name) == tuple(made[0]["name_servers"])  # 1061, then found in the account
    assert [z["id"] for z in cf.zones.values() if z["name"] == name] == [made[0]["id"]]


def test_a_zone_made_in_the_dashboard_is_used_as_it_is(cf: CloudflareEmulator, host: CloudflareDnsHost) -> None:
    name = domain()
    zone = cf.add_zone(name)
    since = len(cf.calls)
    assert host.ensure_zone(name) == tuple(zone["name_servers"])
    assert writes(cf, since) == []


def test_unresolvable_nameservers_are_unavailable(cf: CloudflareEmulator, token: str) -> None:
    name = domain()
    adapter = CloudflareDnsHost(token, cf.account_id, cf.base_url, timeout=2.0, resolve=lambda ns: [])
    adapter.ensure_zone(name)
    with pytest.raises(ProviderUnavailable, match="resolves"):
        adapter.query_servers(name)
    with pytest.raises(TerminalError, match="no zone"):
        adapter.nameservers(domain())


# ------------------------------------------------------------------ records


def mail_records() -> list[RecordSpec]:
    return [
        RecordSpec("MX", "@", "aspmx.l.google.com.", priority=1),
        RecordSpec("MX", "@", "alt1.aspmx.l.google.com.", priority=5),
        RecordSpec("TXT", "@", "v=spf1 include:_spf.google.com ~all"),
        RecordSpec("TXT", "google._domainkey", DKIM),
        RecordSpec("TXT", "_dmarc", 'v=DMARC1; p=none; rua=mailto:"dmarc"@example.com'),
        RecordSpec("CNAME", "track", "open.tracker.example."),
        RecordSpec("A", "www", "192.0.2.10", ttl=30),
        RecordSpec("SRV", "_imaps._tcp", "0 993 imap.example.net.", priority=10),
        RecordSpec("CAA", "@", '0 issue "letsencrypt.org"'),
    ]


def test_replace_records_publishes_each_record_once_as_cloudflare_expects(cf: CloudflareEmulator, host: CloudflareDnsHost) -> None:
    name = domain()
    host.ensure_zone(name)
    untouched = cf.add_record(name, {"type": "A", "name": f"shop.{name}", "content": "198.51.100.7", "ttl": 1})
    host.replace_records(name, mail_records())
    records = cf.records_of(name)
    by_name = {(r["name"], r["type"], r["content"]): r for r in records}
    assert (name, "MX", "aspmx.l.google.com") in by_name and by_name[(name, "MX", "aspmx.l.google.com")]["priority"] == 1
    assert by_name[(name, "MX", "alt1.aspmx.l.google.com")]["priority"] == 5
    assert (name, "TXT", '"v=spf1 include:_spf.google.com ~all"') in by_name
    dkim = next(r for r in records if r["name"] == f"google._domainkey.{name}")
    strings = txt_strings_of(dkim["content"])
    assert len(strings) == 2 and len(strings[0].encode()) == 255 and "".join(strings) == DKIM
    dmarc = next(r for r in records if r["name"] == f"_dmarc.{name}")
    assert dmarc["content"] == '"v=DMARC1; p=none; rua=mailto:\\"dmarc\\"@example.com"'
    assert by_name[(f"track.{name}", "CNAME", "open.tracker.example")]["proxied"] is False
    assert by_name[(f"www.{name}", "A", "192.0.2.10")]["ttl"] == 60  # Cloudflare's minimum
    srv = next(r for r in records if r["type"] == "SRV")
    assert srv["name"] == f"_imaps._tcp.{name}" and srv["data"] == {"priority": 10, "weight": 0, "port": 993, "target": "imap.example.net"}
    caa = next(r for r in records if r["type"] == "CAA")
    assert caa["data"] == {"flags": 0, "tag": "issue", "value": "letsencrypt.org"}
    assert len(records) == len(mail_records()) + 1 and untouched in records

    # Published again (a retried step): nothing is written.
    since = len(cf.calls)
    host.replace_records(name, mail_records())
    assert writes(cf, since) == []
    assert len(cf.records_of(name)) == len(records)


def test_replace_records_keeps_what_is_right_overwrites_and_deletes_the_rest(cf: CloudflareEmulator, host: CloudflareDnsHost) -> None:
    name = domain()
    host.ensure_zone(name)
    keep = cf.add_record(name, {"type": "TXT", "name": name, "content": '"google-site-verification=abc"', "ttl": 3600})
    old_spf = cf.add_record(name, {"type": "TXT", "name": name, "content": "v=spf1 -all", "ttl": 3600})  # stored unquoted, as before quoting was asked
    stray = cf.add_record(name, {"type": "TXT", "name": name, "content": '"stray"', "ttl": 3600})
    other = cf.add_record(name, {"type": "TXT", "name": f"other.{name}", "content": '"other"', "ttl": 3600})
    wanted = [
        RecordSpec("TXT", "@", "google-site-verification=abc"),
        RecordSpec("TXT", "@", "v=spf1 include:_spf.google.com ~all"),
        RecordSpec("TXT", "@", "v=spf1 include:_spf.google.com ~all"),  # twice in the request: one record
    ]
    since = len(cf.calls)
    host.replace_records(name, wanted)
    assert [m for m, _ in writes(cf, since)] == ["PUT", "DELETE"]
    records = {r["id"]: r for r in cf.records_of(name)}
    assert records[keep["id"]]["content"] == '"google-site-verification=abc"'
    assert {records[i]["content"] for i in records if i in (old_spf["id"], stray["id"])} == {'"v=spf1 include:_spf.google.com ~all"'}
    assert other["id"] in records and len(records) == 3


def test_replace_records_changes_only_the_ttl_when_the_content_is_right(cf: CloudflareEmulator, host: CloudflareDnsHost) -> None:
    name = domain()
    host.ensure_zone(name)
    host.replace_records(name, [RecordSpec("MX", "@", "mx.example.net.", priority=10, ttl=3600)])
    since = len(cf.calls)
    host.replace_records(name, [RecordSpec("MX", "@", "MX.example.net", priority=10, ttl=300)])
    assert [m for m, _ in writes(cf, since)] == ["PATCH"]
    assert served(cf, name) == {(name, "MX", "mx.example.net", 10, 300)}
    # Another priority is another record.
    host.replace_records(name, [RecordSpec("MX", "@", "mx.example.net.", priority=20, ttl=300)])
    assert served(cf, name) == {(name, "MX", "mx.example.net", 20, 300)}


def test_record_lists_are_read_to_the_last_page(cf: CloudflareEmulator, host: CloudflareDnsHost) -> None:
    name = domain()
    host.ensure_zone(name)
    for i in range(12):
        cf.add_record(name, {"type": "TXT", "name": f"many.{name}", "content": f'"value {i}"', "ttl": 3600})
    cf.max_per_page = 5  # three pages
    host.replace_records(name, [RecordSpec("TXT", "many", "value 11")])
    assert [r["content"] for r in cf.records_of(name)] == ['"value 11"']
    pages = [p for m, p in cf.calls if m == "GET" and "dns_records" in p and "many." in p]
    assert any("page=3" in p for p in pages)


def test_remove_records_removes_every_record_of_the_name_and_type_only(cf: CloudflareEmulator, host: CloudflareDnsHost) -> None:
    name = domain()
    host.ensure_zone(name)
    host.replace_records(name, [RecordSpec("TXT", "x", "one"), RecordSpec("TXT", "x", "two"), RecordSpec("A", "x", "192.0.2.1")])
    host.remove_records(name, "x", "txt")
    assert {r["type"] for r in cf.records_of(name)} == {"A"}
    since = len(cf.calls)
    host.remove_records(name, "x", "TXT")  # nothing left: nothing to do
    assert writes(cf, since) == []
    host.remove_records(domain(), "x", "TXT")  # no zone at all: nothing served, nothing to remove


# ------------------------------------------------------------------ redirects


def test_web_redirects_are_refused_with_what_the_token_lacks(cf: CloudflareEmulator, host: CloudflareDnsHost) -> None:
    name = domain()
    with pytest.raises(NeedsActionError) as refused:
        host.set_web_redirect(name, "https://example.org/", masked=True)
    text = str(refused.value)
    assert "Redirect Rules" in text and "Single Redirect" in text and "DNS-only API token" in text and "no masked" in text
    since = len(cf.calls)
    host.set_web_redirect(name, None)  # nothing of Mailwright's to stop
    assert cf.calls[since:] == []
    assert Capability.WEB_REDIRECT not in host.SUPPORTS


# ------------------------------------------------------------------ errors


def test_a_token_without_dns_permission_waits_for_a_person(cf: CloudflareEmulator) -> None:
    name = domain()
    zone_only = cf.add_token(permissions=frozenset({ZONE_EDIT}))
    adapter = CloudflareDnsHost(zone_only, cf.account_id, cf.base_url, timeout=2.0)
    adapter.ensure_zone(name)
    with pytest.raises(NeedsActionError) as parked:
        adapter.replace_records(name, [RecordSpec("TXT", "@", "v=spf1 -all")])
    assert "Authentication error (code 10000)" in str(parked.value) and "Zone → DNS → Edit" in str(parked.value)
    assert zone_only not in str(parked.value)
    dns_only = CloudflareDnsHost(cf.add_token(permissions=frozenset({DNS_EDIT})), cf.account_id, cf.base_url, timeout=2.0)
    with pytest.raises(NeedsActionError, match="Zone → Zone → Edit"):
        dns_only.ensure_zone(domain())


def test_server_errors_rate_limits_and_slowness_are_retriable(cf: CloudflareEmulator, host: CloudflareDnsHost) -> None:
    cf.fail_next(503)
    with pytest.raises(RetriableError, match="503"):
        host.ensure_zone(domain())
    cf.fail_next(429, retry_after=7)
    with pytest.raises(RetriableError) as limited:
        host.ensure_zone(domain())
    assert limited.value.retry_after == 7
    impatient = CloudflareDnsHost(host_token(host), cf.account_id, cf.base_url, timeout=0.3)
    cf.delay = 0.6  # beyond the adapter's timeout
    with pytest.raises(ProviderUnavailable, match="no answer"):
        impatient.check()
    cf.delay = 0
    cf.reset_faults()
    assert host.check() == "token active"


def test_past_the_documented_rate_limit_every_call_waits(cf: CloudflareEmulator, host: CloudflareDnsHost) -> None:
    cf.rate_limit, cf.rate_window = 3, 30.0
    for _ in range(3):
        host.check()
    with pytest.raises(RetriableError) as limited:
        host.check()
    assert limited.value.retry_after is not None and 1 <= limited.value.retry_after <= 30
    with pytest.raises(RetriableError):  # still blocked until the window frees a place
        host.nameservers(domain())


def test_an_unknown_token_parks_zone_creation(cf: CloudflareEmulator) -> None:
    adapter = CloudflareDnsHost("revoked-" + unique("t"), cf.account_id, cf.base_url, timeout=2.0)
    with pytest.raises(NeedsActionError, match=r"Invalid access token \(code 9109\)"):
        adapter.ensure_zone(domain())


# ------------------------------------------------------------------ documented bodies


def shape(value: Any) -> Any:
    """Keys and value types of a JSON body, for comparing the emulator with the documentation."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return "null" if value is None else type(value).__name__


def documented_keys_match(documented: dict[str, Any], emulated: dict[str, Any]) -> None:
    for key, value in documented.items():
        assert key in emulated, key
        if value is not None and emulated[key] is not None and not isinstance(value, (dict, list)):
            assert type(value) is type(emulated[key]), key


def test_the_emulator_answers_with_the_documented_bodies(cf: CloudflareEmulator, host: CloudflareDnsHost, token: str) -> None:
    import httpx

    http = httpx.Client(base_url=cf.base_url + "/", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    verify = http.get("user/tokens/verify").json()
    assert shape({k: v for k, v in verify.items() if k != "result"}) == shape({k: v for k, v in fixture("token_verify.json").items() if k != "result"})
    assert verify["messages"] == fixture("token_verify.json")["messages"]
    name = domain()
    created = http.post("zones", json={"name": name, "account": {"id": cf.account_id}, "type": "full"}).json()
    documented_keys_match(fixture("zone_create.json"), created)
    documented_keys_match(fixture("zone_create.json")["result"], created["result"])
    listed = http.get("zones", params={"name": name, "account.id": cf.account_id}).json()
    documented_keys_match(fixture("zones_list.json"), listed)
    assert shape(listed["result_info"]) == shape(fixture("zones_list.json")["result_info"])
    documented_keys_match(fixture("zones_list.json")["result"][0], listed["result"][0])
    zone_id = created["result"]["id"]
    record = http.post(f"zones/{zone_id}/dns_records", json={"type": "TXT", "name": f"_dmarc.{name}", "content": '"v=DMARC1; p=none"', "ttl": 3600}).json()
    documented_keys_match(fixture("dns_record_create_txt.json")["result"], record["result"])
    assert record["result"]["content"] == fixture("dns_record_create_txt.json")["result"]["content"]
    for documented in fixture("dns_records_list.json")["result"]:
        body = {k: documented[k] for k in ("type", "content", "ttl", "priority", "data") if k in documented}
        body["name"] = documented["name"].replace("example.com", name)
        made = http.post(f"zones/{zone_id}/dns_records", json=body).json()["result"]
        documented_keys_match({k: v for k, v in documented.items() if k != "data" or documented["type"] in ("SRV", "CAA")}, made)
        assert made["content"] == documented["content"] and made.get("priority") == documented.get("priority")
    # Error bodies, word for word (the zone's name aside).
    assert http.post("zones", json={"name": name, "account": {"id": cf.account_id}}).json() == json.loads(
        json.dumps(fixture("error_zone_exists.json")).replace("example.com", name)
    )
    again = http.post(f"zones/{zone_id}/dns_records", json={"type": "TXT", "name": f"_dmarc.{name}", "content": '"v=DMARC1; p=none"', "ttl": 3600})
    assert again.status_code == 400 and again.json() == fixture("error_identical_record.json")
    bad = httpx.get(cf.base_url + "/user/tokens/verify", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json() == fixture("error_invalid_token.json")
    weak = cf.add_token(permissions=frozenset())
    denied = httpx.post(cf.base_url + "/zones", headers={"Authorization": f"Bearer {weak}"}, json={"name": domain(), "account": {"id": cf.account_id}})
    assert denied.status_code == 403 and denied.json() == fixture("error_authentication.json")
    cf.fail_next(429, retry_after=3)
    limited = http.get("zones")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "3" and limited.json() == fixture("error_rate_limited.json")
    http.close()


def test_the_adapter_reads_the_documented_bodies() -> None:
    """Each documented record reads as the RecordSpec Mailwright would ask for, so a zone holding
    them is left as it is."""
    records = {(r["name"], r["type"]): r for r in fixture("dns_records_list.json")["result"]}
    dkim_text = unquote_txt(records[("google._domainkey.example.com", "TXT")]["content"])
    expected = {
        ("example.com", "MX"): RecordSpec("MX", "@", "aspmx.l.google.com.", priority=1),
        ("example.com", "TXT"): RecordSpec("TXT", "@", "v=spf1 include:_spf.google.com ~all"),
        ("google._domainkey.example.com", "TXT"): RecordSpec("TXT", "google._domainkey", dkim_text),
        ("track.example.com", "CNAME"): RecordSpec("CNAME", "track", "open.tracker.example."),
        ("example.com", "CAA"): RecordSpec("CAA", "@", '0 issue "letsencrypt.org"'),
    }
    for key, spec in expected.items():
        assert record_key(records[key]) == spec_key(spec), key
    assert dkim_text == "v=DKIM1; k=rsa; p=" + "A" * 237 + "B" * 100
    assert quote_txt(dkim_text) == records[("google._domainkey.example.com", "TXT")]["content"]
    assert unquote_txt(fixture("dns_record_create_txt.json")["result"]["content"]) == "v=DMARC1; p=none"
    assert to_rdata(RecordSpec("MX", "@", "aspmx.l.google.com", priority=1)) == record_key(records[("example.com", "MX")])
    zone = fixture("zone_create.json")["result"]
    adapter = CloudflareDnsHost("t", "0" * 32, "http://127.0.0.1:9/client/v4")
    assert adapter._nameservers_of("example.com", adapter._remember("example.com", zone)) == ("bob.ns.cloudflare.com", "lola.ns.cloudflare.com")
    adapter.close()


# ------------------------------------------------------------------ served as verification expects


def test_published_records_are_served_as_verification_expects(cf: CloudflareEmulator, token: str) -> None:
    """The sending records, written through the adapter and served from the emulator's records as
    Cloudflare's nameservers would, pass the same comparison that decides readiness: TXT quoting,
    the DKIM key's split, MX priorities and absolute hostnames all survive the round trip."""
    from mailwright.dns.dkim import dkim_txt_value, generate_private_key_pem
    from mailwright.dns.records import sending_records
    from mailwright.dns.verify import observe
    from mailwright.providers.base import MailSetup
    from tests.providers.cloudflare.dns_server import EmulatorDns

    server = EmulatorDns(cf)
    adapter = CloudflareDnsHost(token, cf.account_id, cf.base_url, timeout=2.0, resolve=lambda ns: ["127.0.0.1"])
    try:
        name = domain()
        adapter.ensure_zone(name)
        setup = MailSetup(
            mx=(RecordSpec("MX", "@", "mx1.maildoso.com.", priority=10), RecordSpec("MX", "@", "mx2.maildoso.com.", priority=20)),
            spf_includes=("_spf.maildoso.com",),
        )
        planned = sending_records(
            setup, own_dkim=dkim_txt_value(generate_private_key_pem()), dmarc_rua="dmarc@piedpiper.com", tracking_label="track", tracking_target="t.example.net"
        )
        specs = [p.spec for p in planned]
        adapter.replace_records(name, specs)
        seen = observe(name, specs, (("127.0.0.1", server.port),), timeout=2)
        assert [o.valid for o in seen] == [True] * len(specs), seen
        assert adapter.query_servers(name)[0] == ("127.0.0.1", 53)  # where verification goes for a real zone
    finally:
        adapter.close()
        server.stop()
