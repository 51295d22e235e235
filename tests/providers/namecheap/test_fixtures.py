"""The example answers of Namecheap's documentation (fixtures/): the adapter reads them as
documented, and the emulator answers with the same elements and attributes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from defusedxml.ElementTree import fromstring

from mailwright.money import Money
from mailwright.providers.base import Availability, NeedsActionError, TerminalError
from mailwright.providers.namecheap import Host, NamecheapApi, NamecheapDnsHost, NamecheapRegistrar
from tests.providers.namecheap.conftest import api_for
from tests.providers.namecheap.emulator import NamecheapEmulator

FIXTURES = Path(__file__).with_name("fixtures")


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def answering(name: str, seen: list[dict[str, str]] | None = None) -> NamecheapApi:
    """An adapter whose every call is answered with the fixture file `name`."""

    def reply(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(dict(httpx.QueryParams(request.content.decode())))
        return httpx.Response(200, content=fixture(name), headers={"Content-Type": "text/xml"})

    return NamecheapApi("apiexample", "56b4c87ef4fd49cb96d915c0db68194", "apiexample", "192.168.1.109",
                        "https://api.namecheap.com/xml.response", transport=httpx.MockTransport(reply))


def shape(xml: bytes, below: str = "commandresponse") -> set[tuple[str, frozenset[str]]]:
    """(path of element names, attribute names) of every element under `below`, names without
    namespace and case, so two answers compare by structure rather than by values."""
    root = fromstring(xml)
    found: set[tuple[str, frozenset[str]]] = set()

    def walk(element: Any, path: str, inside: bool) -> None:
        tag = element.tag.rsplit("}", 1)[-1].lower()
        here = f"{path}/{tag}"
        if inside:
            found.add((here, frozenset(element.attrib)))
        for child in element:
            walk(child, here if inside else "", inside or tag == below)

    walk(root, "", below == "apiresponse")
    return found


# ---------------------------------------------------------------------- the adapter reads them


def test_the_adapter_reads_the_documented_balance():
    assert NamecheapRegistrar(answering("get_balances.xml")).probe() == "authenticated as apiexample; available balance 4932.96 USD"


def test_the_adapter_reads_the_documented_check_answer():
    assert NamecheapRegistrar(answering("check_regular.xml")).check(["testapi.xyz"], "USD") == [Availability("testapi.xyz", False, None)]


def test_the_adapter_reads_the_documented_prices():
    assert answering("get_pricing.xml").price("REGISTER", "biz") == Money(855, "USD")


def test_the_adapter_reads_the_documented_host_list_and_sends_setHosts_as_documented():
    hosts, email_type, ours = answering("get_hosts.xml").hosts("domain.com")
    assert hosts == [Host("@", "A", "1.2.3.4", 1800), Host("www", "A", "122.23.3.7", 1800)]
    assert (email_type, ours) == ("", True)
    seen: list[dict[str, str]] = []
    answering("set_hosts.xml", seen).set_hosts("domain51.com", [Host("@", "URL", "http://www.namecheap.com", 100), Host("mynewcomp", "A", "12.56.67.78", 1000)], "")
    # The documentation's example request, with the global parameters and EmailType beside it.
    assert {k: v for k, v in seen[0].items() if k not in ("ApiUser", "ApiKey", "UserName", "ClientIp")} == {
        "Command": "namecheap.domains.dns.setHosts", "SLD": "domain51", "TLD": "com", "EmailType": "NONE",
        "HostName1": "@", "RecordType1": "URL", "Address1": "http://www.namecheap.com", "TTL1": "100",
        "HostName2": "mynewcomp", "RecordType2": "A", "Address2": "12.56.67.78", "TTL2": "1000",
    }


def test_the_adapter_reads_the_documented_create_answer():
    result = answering("create.xml").call("domains.create", {"DomainName": "aa.us.com", "Years": "1"})
    created = result.find("domaincreateresult")
    assert created is not None and (created.get("DomainID"), created.get("Registered")) == ("9007", "true")


def test_the_documented_ip_error_parks_with_what_to_do():
    with pytest.raises(NeedsActionError) as caught:
        NamecheapDnsHost(answering("error_ip.xml")).probe()
    assert "Invalid request IP: 198.51.100.20 (1011150)" in str(caught.value)


def test_a_domain_not_in_the_account_is_no_zone_to_host():
    with pytest.raises(TerminalError) as caught:
        NamecheapDnsHost(answering("error_domain_not_found.xml")).ensure_zone("example.com")
    assert "Domain not found (2019166)" in str(caught.value)


# ---------------------------------------------------------------------- the emulator answers alike


@pytest.fixture(scope="module")
def raw(emulator: NamecheapEmulator):
    """The emulator's raw answer to a command, as bytes."""
    client = httpx.Client(timeout=5)
    credentials = {"ApiUser": emulator.api_user, "ApiKey": emulator.api_key, "UserName": emulator.username, "ClientIp": "203.0.113.7"}

    def call(command: str, **params: str) -> bytes:
        response = client.post(emulator.url, data={**credentials, "Command": command, **params})
        assert response.status_code == 200
        return response.content

    yield call
    client.close()


def test_the_emulator_answers_balances_as_documented(raw):
    assert shape(raw("namecheap.users.getBalances")) == shape(fixture("get_balances.xml"))


def test_the_emulator_answers_check_as_documented(emulator, raw):
    emulator.taken.add("testapi.xyz")
    assert shape(raw("namecheap.domains.check", DomainList="testapi.xyz")) == shape(fixture("check_regular.xml"))


def test_the_emulator_answers_pricing_as_documented(raw):
    assert shape(raw("namecheap.users.getPricing", ProductType="DOMAIN", ActionName="REGISTER", ProductName="com")) == shape(fixture("get_pricing.xml"))


def test_the_emulator_answers_hosts_as_documented(emulator, raw):
    emulator.add_domain("domain.com", hosts=[
        {"HostId": 12, "Name": "@", "Type": "A", "Address": "1.2.3.4", "TTL": 1800},
        {"HostId": 14, "Name": "www", "Type": "A", "Address": "122.23.3.7", "TTL": 1800},
    ])
    answer = raw("namecheap.domains.dns.getHosts", SLD="domain", TLD="com")
    documented = shape(fixture("get_hosts.xml"))
    # The emulator also says the domain's EmailType, as Namecheap's live answers do.
    assert {(path, attrs - {"EmailType"}) for path, attrs in shape(answer)} == documented
    hosts, _, _ = api_for(emulator).hosts("domain.com")
    assert hosts == [Host("@", "A", "1.2.3.4", 1800), Host("www", "A", "122.23.3.7", 1800)]
    sent = raw("namecheap.domains.dns.setHosts", SLD="domain", TLD="com", HostName1="@", RecordType1="URL",
               Address1="http://www.namecheap.com", TTL1="100", HostName2="mynewcomp", RecordType2="A", Address2="12.56.67.78", TTL2="1000")
    assert shape(sent) == shape(fixture("set_hosts.xml"))


def test_the_emulator_answers_create_as_documented(raw):
    contact = {"FirstName": "John", "LastName": "Smith", "Address1": "8939 S.cross Blvd", "City": "CA", "StateProvince": "CA",
               "PostalCode": "90045", "Country": "US", "Phone": "+1.6613102107", "EmailAddress": "john@gmail.com", "OrganizationName": "NC"}
    params = {f"{role}{k}": v for role in ("Registrant", "Tech", "Admin", "AuxBilling") for k, v in contact.items()}
    answer = raw("namecheap.domains.create", DomainName="fixture-create.com", Years="1", AddFreeWhoisguard="no", WGEnabled="no", **params)
    assert shape(answer) == shape(fixture("create.xml"))


def test_the_emulator_answers_errors_as_documented(raw):
    answer = raw("namecheap.users.getBalances", ClientIp="198.51.100.20")
    assert shape(answer, below="apiresponse") >= {p for p in shape(fixture("error_ip.xml"), below="apiresponse") if "error" in p[0]}
    assert fromstring(answer).get("Status") == "ERROR"
    assert b'Number="1011150">Invalid request IP: 198.51.100.20<' in answer
