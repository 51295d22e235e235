"""The Namecheap registrar and DNS host, called directly against the loopback emulator."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from mailwright.config import SettingProblem, Settings
from mailwright.money import Money
from mailwright.providers.base import (
    Availability,
    Contact,
    NeedsActionError,
    ProviderError,
    ProviderUnavailable,
    RecordSpec,
    RetriableError,
    TerminalError,
)
from mailwright.providers.namecheap import (
    DEFAULT_NAMESERVERS,
    NamecheapApi,
    NamecheapDnsHost,
    NamecheapRegistrar,
    namecheap_phone,
    split_domain,
)
from mailwright.providers.registry import build_providers
from tests.conftest import unique
from tests.providers.namecheap.conftest import api_for
from tests.providers.namecheap.emulator import DOCUMENTED_LIMITS, NamecheapEmulator

CONTACT = Contact(
    email="richard@hooli.com",
    first_name="Richard",
    last_name="Hendricks",
    company_name="Pied Piper",
    address="5230 Newell Road",
    city="Palo Alto",
    state="CA",
    country="US",
    zip_code="94303",
    phone="+1 650 555 0100",
)


def name(tld: str = "com") -> str:
    return f"{unique('nc')}.{tld}"


# ---------------------------------------------------------------------- the providers check


def test_check_calls_get_balances_and_says_what_it_confirmed(emulator, registrar, dns_host):
    balance, emulator.balance = emulator.balance, emulator.balance.__class__("123.40")
    try:
        assert registrar.probe() == "authenticated as mwtest; available balance 123.40 USD"
        assert dns_host.probe() == "authenticated as mwtest; available balance 123.40 USD"
        assert registrar.probe() == dns_host.probe() == "authenticated as mwtest; available balance 123.40 USD"
    finally:
        emulator.balance = balance
    assert emulator.commands()[-4:] == ["namecheap.users.getBalances"] * 4


def test_a_wrong_key_parks_with_what_to_do_and_never_shows_the_key(emulator):
    api = api_for(emulator, api_key="0" * 32)
    with pytest.raises(NeedsActionError) as caught:
        NamecheapRegistrar(api).probe()
    message = str(caught.value)
    assert "1011102" in message and "enable API access" in message and "MAILWRIGHT_NAMECHEAP_API_KEY" in message
    assert "0" * 32 not in message and emulator.api_key not in message


def test_an_error_text_echoing_the_key_does_not_carry_it_on():
    import httpx

    body = b'<ApiResponse Status="ERROR"><Errors><Error Number="1011102">Bad key s3cr3t-k3y</Error></Errors></ApiResponse>'
    api = NamecheapApi("u", "s3cr3t-k3y", "u", "203.0.113.7", "https://api.example/xml.response",
                       transport=httpx.MockTransport(lambda request: httpx.Response(200, content=body)))
    with pytest.raises(NeedsActionError) as caught:
        api.call("users.getBalances")
    assert "s3cr3t-k3y" not in str(caught.value) and "Bad key [ApiKey] (1011102)" in str(caught.value)


def test_an_ip_not_whitelisted_parks_naming_the_ip_to_whitelist(emulator):
    api = api_for(emulator, client_ip="198.51.100.20")
    with pytest.raises(NeedsActionError) as caught:
        NamecheapDnsHost(api).probe()
    assert "whitelist 198.51.100.20" in str(caught.value) and "1011150" in str(caught.value)


def test_the_key_travels_in_a_post_body_never_in_a_url(emulator, registrar):
    registrar.probe()
    registrar.check([name()], "USD")
    calls = emulator.calls[-2:]
    assert {c.method for c in calls} == {"POST"}
    assert all(emulator.api_key not in c.target and c.target == "/xml.response" for c in calls)


def test_no_answer_is_provider_unavailable_and_says_no_url(emulator):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api = NamecheapApi("u", "secret-key-123", "u", "203.0.113.7", f"http://127.0.0.1:{port}/xml.response", timeout=1)
    with pytest.raises(ProviderUnavailable) as caught:
        NamecheapRegistrar(api).probe()
    assert "secret-key-123" not in str(caught.value) and "ApiKey" not in str(caught.value)


def test_a_slow_answer_times_out_as_unavailable(emulator):
    emulator.slow_seconds = 0.6
    with pytest.raises(ProviderUnavailable):
        NamecheapRegistrar(api_for(emulator, timeout=0.2)).probe()


def test_a_500_is_retriable(emulator, registrar):
    emulator.fail_next.append(500)
    with pytest.raises(RetriableError) as caught:
        registrar.check([name()], "USD")
    assert "(500)" in str(caught.value)
    assert registrar.check([name()], "USD")[0].available  # the next call goes through


def test_past_the_documented_rate_limit_calls_are_refused_with_405_and_retried_after_a_minute():
    emulator = NamecheapEmulator(rate_limits=DOCUMENTED_LIMITS).start()
    try:
        registrar = NamecheapRegistrar(api_for(emulator))
        for _ in range(DOCUMENTED_LIMITS[0]):
            registrar.probe()
        with pytest.raises(RetriableError) as caught:
            registrar.probe()
        assert caught.value.retry_after == 60 and "rate limited" in str(caught.value)
    finally:
        emulator.stop()


def test_an_answer_that_is_not_the_apis_xml_is_retriable_and_entities_are_refused(emulator):
    import httpx

    bomb = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "bbbb"><!ENTITY c "&b;&b;&b;">]><ApiResponse Status="OK">&c;</ApiResponse>'
    for body in (b"<html>maintenance</html>", b"not xml", bomb):
        api = NamecheapApi("u", "k", "u", "203.0.113.7", "https://api.example/xml.response",
                           transport=httpx.MockTransport(lambda request, body=body: httpx.Response(200, content=body)))
        with pytest.raises(RetriableError):
            api.call("users.getBalances")


# ---------------------------------------------------------------------- availability and prices


def test_availability_with_prices_from_get_pricing(emulator, registrar):
    free, held, dear = name(), name(), name()
    emulator.taken.add(held)
    emulator.premium[dear] = "1250.00"
    answers = registrar.check([free, held, dear], "USD")
    assert answers == [
        Availability(free, True, Money(1098, "USD")),
        Availability(held, False, None),
        Availability(dear, True, Money(125000, "USD"), premium=True),
    ]
    # A buyer paying in another currency: still Namecheap's cost, in USD (the price book converts).
    assert registrar.check([free], "EUR") == [Availability(free, True, Money(1098, "USD"))]


def test_renewal_prices_of_held_domains_only_and_never_of_premium_names(emulator, registrar):
    standard, premium = name(), name()
    emulator.premium[premium] = "300.00"
    assert registrar.renewal_price(standard, "USD") is None  # not held
    registrar.register(standard, 1, CONTACT, idempotency_key="k")
    registrar.register(premium, 1, CONTACT, idempotency_key="k")
    assert registrar.renewal_price(standard, "USD") == Money(1498, "USD")
    assert registrar.renewal_price(premium, "USD") is None
    assert registrar.renewal_price(standard, "EUR") == Money(1498, "USD")  # a cost, in the account's currency


def test_prices_are_cached_and_more_than_50_names_go_in_batches(emulator, registrar):
    names = [name() for _ in range(120)]
    before = len(emulator.calls)
    answers = registrar.check(names, "USD")
    assert [a.domain for a in answers] == names and all(a.available for a in answers)
    commands = emulator.commands()[before:]
    assert commands.count("namecheap.domains.check") == 3
    assert commands.count("namecheap.users.getPricing") <= 1


def test_a_tld_namecheap_does_not_sell_has_no_price(emulator, registrar):
    answer = registrar.check([name("xyz")], "USD")[0]
    assert answer.available and answer.price is None


# ---------------------------------------------------------------------- registration


def test_register_with_every_contact_from_the_registrant_then_a_retry_buys_nothing(emulator, registrar):
    domain = name()
    balance = emulator.balance
    registration = registrar.register(domain, 2, CONTACT, idempotency_key="domain-1")
    held = emulator.domains[domain]
    expected = {
        "FirstName": "Richard", "LastName": "Hendricks", "Address1": "5230 Newell Road", "City": "Palo Alto",
        "StateProvince": "CA", "PostalCode": "94303", "Country": "US", "Phone": "+1.6505550100",
        "EmailAddress": "richard@hooli.com", "OrganizationName": "Pied Piper",
    }
    assert held.contacts == {role: expected for role in ("Registrant", "Tech", "Admin", "AuxBilling")}
    assert held.whoisguard is True
    assert registration.registrar_ref == str(held.id)
    assert registration.expires_at == dt.datetime.combine(held.expires, dt.time(), dt.timezone.utc)
    assert registration.nameservers == DEFAULT_NAMESERVERS
    assert emulator.balance == balance - 2 * emulator.balance.__class__("10.98")

    again = registrar.register(domain, 2, CONTACT, idempotency_key="domain-1")
    assert (again.registrar_ref, again.expires_at) == (registration.registrar_ref, registration.expires_at)
    assert emulator.balance == balance - 2 * emulator.balance.__class__("10.98")
    assert registrar.find_registration(domain) == again
    assert registrar.find_registration(name()) is None


def test_find_registration_reads_every_page_of_the_domain_list(emulator, registrar):
    # The search term matches 106 domains; the one asked for sorts last, on the second page.
    stem = unique("pg")
    for i in range(105):
        emulator.add_domain(f"{i:03d}-{stem}.com")
    emulator.add_domain(f"{stem}.com")
    found = registrar.find_registration(f"{stem}.com")
    assert found is not None and found.domain == f"{stem}.com"
    pages = [c.params["Page"] for c in emulator.calls[-2:] if c.command == "namecheap.domains.getList"]
    assert pages == ["1", "2"]


def test_a_name_taken_between_check_and_create_is_terminal_and_nothing_is_charged(emulator, registrar):
    domain = name()
    assert registrar.check([domain], "USD")[0].available
    emulator.take_on_create.add(domain)
    balance = emulator.balance
    with pytest.raises(TerminalError) as caught:
        registrar.register(domain, 1, CONTACT, idempotency_key="k")
    assert "someone else" in str(caught.value) and "3019166" in str(caught.value)
    assert domain not in emulator.domains and emulator.balance == balance


def test_a_name_taken_before_register_is_terminal_without_create(emulator, registrar):
    domain = name()
    emulator.taken.add(domain)
    with pytest.raises(TerminalError):
        registrar.register(domain, 1, CONTACT, idempotency_key="k")
    assert "namecheap.domains.create" not in emulator.commands()[-2:]


def test_an_empty_balance_parks_the_registration_and_buys_nothing(emulator, registrar):
    domain = name()
    balance, emulator.balance = emulator.balance, emulator.balance.__class__("0.00")
    try:
        with pytest.raises(NeedsActionError) as caught:
            registrar.register(domain, 1, CONTACT, idempotency_key="k")
        assert "add funds" in str(caught.value) and "2528166" in str(caught.value)
        assert domain not in emulator.domains
    finally:
        emulator.balance = balance


def test_a_premium_name_is_bought_at_its_premium_price(emulator, registrar):
    domain = name()
    emulator.premium[domain] = "250.00"
    balance = emulator.balance
    registrar.register(domain, 1, CONTACT, idempotency_key="k")
    assert emulator.domains[domain].premium and emulator.balance == balance - 250


def test_multi_label_public_suffixes_split_sld_and_tld_at_the_suffix(emulator, registrar, dns_host):
    domain = name("co.uk")
    assert split_domain(domain) == (domain.split(".")[0], "co.uk")
    assert registrar.check([domain], "USD")[0].price == Money(828, "USD")
    registrar.register(domain, 1, CONTACT, idempotency_key="k")
    dns_host.replace_records(domain, [RecordSpec("TXT", "@", "v=spf1 -all")])
    sent = [c.params for c in emulator.calls if c.command == "namecheap.domains.dns.setHosts"][-1]
    assert (sent["SLD"], sent["TLD"]) == (domain.split(".")[0], "co.uk")
    with pytest.raises(TerminalError):
        split_domain("www.example.co.uk")


def test_phone_numbers_in_namecheaps_format():
    assert namecheap_phone("+1.6505550100") == "+1.6505550100"
    assert namecheap_phone("+44 20 7946 0958") == "+44.2079460958"
    assert namecheap_phone("+49 (30) 1234-567") == "+49.301234567"
    with pytest.raises(TerminalError):
        namecheap_phone("+16505550100")  # where the country code ends cannot be told


def test_renew_from_the_expected_expiry_once(emulator, registrar):
    domain = name()
    first = registrar.register(domain, 1, CONTACT, idempotency_key="k")
    balance = emulator.balance
    renewed = registrar.renew(domain, 1, first.expires_at, idempotency_key="r1")
    assert renewed.expires_at.date() == first.expires_at.date().replace(year=first.expires_at.year + 1)
    assert registrar.renew(domain, 1, first.expires_at, idempotency_key="r1").expires_at == renewed.expires_at
    assert emulator.balance == balance - emulator.balance.__class__("14.98")
    with pytest.raises(TerminalError):
        registrar.renew(domain, 1, first.expires_at - dt.timedelta(days=40), idempotency_key="r2")


def test_nameservers_custom_or_namecheaps_own(emulator, registrar):
    domain = name()
    registrar.register(domain, 1, CONTACT, idempotency_key="k")
    registrar.set_nameservers(domain, ("ns1.example.net.", "ns2.example.net"))
    assert (emulator.domains[domain].uses_our_dns, emulator.domains[domain].nameservers) == (False, ["ns1.example.net", "ns2.example.net"])
    registrar.set_nameservers(domain, DEFAULT_NAMESERVERS)
    assert emulator.domains[domain].uses_our_dns is True
    with pytest.raises(TerminalError):
        registrar.set_nameservers(domain, ("ns1.example.net",))


# ---------------------------------------------------------------------- DNS host


def owned(emulator: NamecheapEmulator, hosts=None, email_type="NONE") -> str:
    domain = name()
    emulator.add_domain(domain, hosts=hosts or [], email_type=email_type)
    return domain


def test_ensure_zone_puts_a_domain_back_on_namecheaps_dns(emulator, dns_host):
    domain = owned(emulator)
    emulator.domains[domain].uses_our_dns = False
    assert dns_host.ensure_zone(domain) == DEFAULT_NAMESERVERS
    assert emulator.domains[domain].uses_our_dns is True
    assert dns_host.nameservers(domain) == DEFAULT_NAMESERVERS
    with pytest.raises(TerminalError) as caught:
        dns_host.ensure_zone(name())
    assert "not in the Namecheap account" in str(caught.value)


def test_replace_records_keeps_every_record_someone_else_set(emulator, dns_host):
    domain = owned(emulator, hosts=[
        {"HostId": 1, "Name": "www", "Type": "A", "Address": "192.0.2.10", "TTL": 1800},
        {"HostId": 2, "Name": "@", "Type": "TXT", "Address": "google-site-verification=abc", "TTL": 1800},
        {"HostId": 3, "Name": "_dmarc", "Type": "TXT", "Address": "v=DMARC1; p=reject", "TTL": 1800},
    ])
    dns_host.replace_records(domain, [
        RecordSpec("MX", "@", "smtp.google.com.", 3600, 1),
        RecordSpec("TXT", "_dmarc", "v=DMARC1; p=none"),
    ])
    held = emulator.domains[domain]
    assert sorted((h["Name"], h["Type"], h["Address"]) for h in held.hosts) == [
        ("@", "MX", "smtp.google.com."),
        ("@", "TXT", "google-site-verification=abc"),
        ("_dmarc", "TXT", "v=DMARC1; p=none"),
        ("www", "A", "192.0.2.10"),
    ]
    assert held.email_type == "MX" and [h["MXPref"] for h in held.hosts if h["Type"] == "MX"] == [1]

    sets = emulator.commands().count("namecheap.domains.dns.setHosts")
    dns_host.replace_records(domain, [RecordSpec("MX", "@", "smtp.google.com.", 3600, 1)])
    assert emulator.commands().count("namecheap.domains.dns.setHosts") == sets  # nothing to change, nothing written

    dns_host.remove_records(domain, "_dmarc", "TXT")
    dns_host.remove_records(domain, "nothing", "TXT")
    assert sorted(h["Name"] for h in held.hosts) == ["@", "@", "www"]
    dns_host.remove_records(domain, "@", "MX")
    assert held.email_type == "NONE" and not any(h["Type"] == "MX" for h in held.hosts)


def test_ttls_are_kept_within_namecheaps_bounds(emulator, dns_host):
    domain = owned(emulator)
    dns_host.replace_records(domain, [RecordSpec("TXT", "a", "x", ttl=5), RecordSpec("TXT", "b", "y", ttl=86400)])
    assert sorted(h["TTL"] for h in emulator.domains[domain].hosts) == [60, 60000]


def test_record_types_namecheap_cannot_host_are_refused(emulator, dns_host):
    domain = owned(emulator)
    with pytest.raises(TerminalError):
        dns_host.replace_records(domain, [RecordSpec("SRV", "_sip._tcp", "5 5060 sip.example.com.", priority=10)])


def test_web_redirect_is_a_url_redirect_record_at_the_apex(emulator, dns_host):
    domain = owned(emulator, hosts=[{"HostId": 1, "Name": "www", "Type": "CNAME", "Address": "parkingpage.namecheap.com.", "TTL": 1800}])
    dns_host.set_web_redirect(domain, "https://piedpiper.com/")
    hosts = emulator.domains[domain].hosts
    assert [(h["Name"], h["Type"], h["Address"]) for h in hosts if h["Name"] == "@"] == [("@", "URL301", "https://piedpiper.com/")]
    dns_host.set_web_redirect(domain, "https://hooli.com/", masked=True)
    assert [(h["Type"], h["Address"]) for h in emulator.domains[domain].hosts if h["Name"] == "@"] == [("FRAME", "https://hooli.com/")]
    dns_host.set_web_redirect(domain, None)
    assert [(h["Name"], h["Type"]) for h in emulator.domains[domain].hosts] == [("www", "CNAME")]


def test_records_of_a_domain_on_other_nameservers_are_refused_by_namecheap(emulator, dns_host):
    domain = owned(emulator)
    emulator.domains[domain].uses_our_dns = False
    with pytest.raises(ProviderError) as caught:
        dns_host.replace_records(domain, [RecordSpec("TXT", "@", "x")])
    assert "2030288" in str(caught.value)


# ---------------------------------------------------------------------- settings


def namecheap_settings(tmp_path, **overrides) -> Settings:
    values = {
        "data_dir": tmp_path,
        "registrar": "namecheap",
        "dns_host": "namecheap",
        "namecheap_api_user": "mwtest",
        "namecheap_api_key": "k-9f8e7d6c",
        "namecheap_username": "mwtest",
        "namecheap_client_ip": "203.0.113.7",
    } | overrides
    return Settings(**values)


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"namecheap_api_key": ""}, "MAILWRIGHT_NAMECHEAP_API_KEY"),
        ({"namecheap_api_user": ""}, "MAILWRIGHT_NAMECHEAP_API_USER"),
        ({"namecheap_username": ""}, "MAILWRIGHT_NAMECHEAP_USERNAME"),
        ({"namecheap_client_ip": ""}, "MAILWRIGHT_NAMECHEAP_CLIENT_IP"),
        ({"namecheap_client_ip": "2001:db8::1"}, "MAILWRIGHT_NAMECHEAP_CLIENT_IP"),
        ({"namecheap_base_url": "api.namecheap.com"}, "MAILWRIGHT_NAMECHEAP_BASE_URL"),
        ({"registrar": "sandbox"}, "MAILWRIGHT_DNS_HOST"),
    ],
)
def test_a_missing_or_wrong_setting_stops_building_the_providers(tmp_path, overrides, variable):
    with pytest.raises(SettingProblem) as caught:
        build_providers(namecheap_settings(tmp_path, **overrides))
    assert caught.value.setting == variable


def test_the_registry_builds_namecheap_for_both_roles(tmp_path):
    providers = build_providers(namecheap_settings(tmp_path, dns_host="sandbox"))
    try:
        assert isinstance(providers.registrar, NamecheapRegistrar) and not providers.registrar_is_sandbox
    finally:
        providers.close()
    providers = build_providers(namecheap_settings(tmp_path))
    try:
        assert isinstance(providers.dns_host, NamecheapDnsHost)
        assert "k-9f8e7d6c" not in repr(namecheap_settings(tmp_path))
    finally:
        providers.close()
