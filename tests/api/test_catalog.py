"""Providers (mailbox prices) and domain availability: search by a phrase, or check a list."""

from __future__ import annotations

import idna
import pytest

from tests.api.bodies import DOMAIN_FORMAT, PROVIDERS, REQUIRED, assert_invalid, assert_problem
from tests.conftest import client_for, unique

# The sandbox's documented test values.
YEARLY = {"com": "13.00", "net": "15.00", "org": "12.00", "io": "45.00", "co": "28.00", "ai": "80.00"}
TLDS = list(YEARLY)


def item(domain: str, currency: str = "USD", available: bool = True) -> dict:
    price = YEARLY.get(domain.rsplit(".", 1)[1]) if available else None
    return {"domain": domain, "available": available, "price": {"amount": price, "currency": currency} if price else None}


def search(api, query, provider="GOOGLE"):
    return api.get("/rest/v2/domains/availability", params={"query": query, "provider": provider})


def test_providers_with_mailbox_prices(api):
    response = api.get("/rest/v2/domains/providers")
    assert response.status_code == 200
    assert response.json() == {
        "providers": [
            {"name": "MAILDOSO", "currency": "USD", "email_account_price": "4.00"},
            {"name": "MAILFORGE", "currency": "USD", "email_account_price": "4.00"},
            {"name": "GOOGLE", "currency": "USD", "email_account_price": "6.00"},
            {"name": "MICROSOFT", "currency": "USD", "email_account_price": "6.00"},
        ]
    }


def test_prices_are_in_the_account_currency(server, make_account):
    with client_for(server, make_account(currency="EUR")) as api:
        providers = api.get("/rest/v2/domains/providers").json()["providers"]
        assert {p["currency"] for p in providers} == {"EUR"}
        domain = f"{unique()}.io"
        checked = api.post("/rest/v2/domains/availability", params={"provider": "MAILFORGE"}, json={"domains": [domain]})
        assert checked.json() == {"provider": "MAILFORGE", "domains": [item(domain, "EUR")]}


def test_search_suggests_variants_across_tlds(api):
    word = unique("acme")
    response = search(api, f"  {word.upper()} Labs ")
    assert response.status_code == 200
    base = f"{word}labs"
    names = [f"{base}.{t}" for t in TLDS] + [f"{word}-labs.{t}" for t in TLDS]
    names += [f"{p}{base}.{t}" for p in ("get", "try", "hello", "meet") for t in ("com", "net")]
    assert response.json() == {"provider": "GOOGLE", "query": f"{word.upper()} Labs", "domains": [item(n) for n in names]}


def test_search_for_a_name_puts_its_tld_first(api):
    word = unique("pp")
    body = search(api, f"{word}.io", provider="MICROSOFT").json()
    assert body["provider"] == "MICROSOFT"
    assert [d["domain"] for d in body["domains"][:6]] == [f"{word}.{t}" for t in ["io", "com", "net", "org", "co", "ai"]]
    assert body["domains"][0] == item(f"{word}.io")


def test_search_for_a_name_on_a_tld_without_price(api):
    word = unique("pp")
    body = search(api, f"{word}.xyz").json()
    assert body["domains"][0] == {"domain": f"{word}.xyz", "available": True, "price": None}
    assert body["domains"][1] == item(f"{word}.com")


def test_search_internationalised_phrase(api):
    word = unique("")
    body = search(api, f"Bücher {word}").json()
    ascii_label = idna.encode(f"bücher{word}", uts46=True).decode()
    assert ascii_label.startswith("xn--")
    assert body["query"] == f"Bücher {word}"
    assert body["domains"][0] == item(f"{ascii_label}.com")


def test_search_taken_names_are_unavailable_without_price(api):
    word = unique("taken")
    domains = search(api, word).json()["domains"]
    assert domains[:6] == [item(f"{word}.{t}", available=False) for t in TLDS]
    assert domains[6] == item(f"get{word}.com")  # the first label no longer starts with "taken"


def test_search_needs_a_usable_query_and_a_known_provider(api):
    assert_invalid(api.get("/rest/v2/domains/availability"), ("provider", REQUIRED, None), ("query", REQUIRED, None))
    assert_invalid(
        search(api, "!!! ???", provider="YAHOO"),
        ("provider", PROVIDERS, "YAHOO"),
        ("query", "Must contain letters or digits that can form a domain name", "!!! ???"),
    )
    assert_invalid(search(api, "x" * 101), ("query", "Must be at most 100 characters", "x" * 101))


def test_check_a_list(api):
    a, b = unique(), unique("taken")
    response = api.post(
        "/rest/v2/domains/availability",
        params={"provider": "MAILDOSO"},
        json={"domains": [f"{a}.com", f"{b}.net", f"{a}.xyz", f"{a.upper()}.COM", "münchen.de"]},
    )
    assert response.status_code == 200
    assert response.json() == {
        "provider": "MAILDOSO",
        "domains": [
            item(f"{a}.com"),
            item(f"{b}.net", available=False),
            {"domain": f"{a}.xyz", "available": True, "price": None},
            {"domain": "xn--mnchen-3ya.de", "available": True, "price": None},
        ],
    }


def test_check_a_list_names_every_bad_item(api):
    response = api.post(
        "/rest/v2/domains/availability",
        params={"provider": "GOOGLE"},
        json={"domains": [f"{unique()}.com", "not a domain", 42, "co.uk", "sub.example.com"]},
    )
    assert_invalid(
        response,
        ("domains[1]", DOMAIN_FORMAT, "not a domain"),
        ("domains[2]", DOMAIN_FORMAT, "42"),
        ("domains[3]", DOMAIN_FORMAT, "co.uk"),
        ("domains[4]", DOMAIN_FORMAT, "sub.example.com"),
    )


@pytest.mark.parametrize(
    ("body", "issue", "value"),
    [
        ({}, REQUIRED, None),
        ({"domains": []}, "Must contain at least one item", "[]"),
        ({"domains": "a.com"}, "Must be an array", "a.com"),
        ({"domains": [f"d{i}.com" for i in range(51)]}, "Must contain at most 50 items", "51 items"),
    ],
)
def test_check_a_list_shape(api, body, issue, value):
    response = api.post("/rest/v2/domains/availability", params={"provider": "GOOGLE"}, json=body)
    assert_invalid(response, ("domains", issue, value))


def test_check_a_list_without_provider(api):
    response = api.post("/rest/v2/domains/availability", json={"domains": ["a.com"]})
    assert_invalid(response, ("provider", REQUIRED, None))


def test_unreachable_registrar_is_503(api):
    response = search(api, unique("unreachable"))
    assert_problem(response, 503, "Service Unavailable", "A provider cannot be reached right now; try again shortly")
    assert response.headers["retry-after"] == "5"
