"""Geo (countries and states from bundled ISO 3166 data) and wallet details."""

from __future__ import annotations

from tests.conftest import client_for
from tests.reseller.conftest import field_errors, reseller_client


def test_countries(reseller):
    response = reseller.get("/geo/countries")
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Countries fetched successfully"
    countries = body["data"]
    assert len(countries) == 249
    assert {"code": "US", "alpha3": "USA", "name": "United States"} in countries
    assert {"code": "TW", "alpha3": "TWN", "name": "Taiwan"} in countries
    names = [c["name"] for c in countries]
    assert names == sorted(names)


def test_states_of_a_country(reseller):
    body = reseller.get("/geo/countries/us/states").json()
    assert body["status"] == 200 and body["message"] == "States fetched successfully"
    assert {"code": "US-CA", "shortCode": "CA", "name": "California", "type": "State", "parentCode": None} in body["data"]
    assert len([s for s in body["data"] if s["type"] == "State"]) == 50


def test_a_country_without_states(reseller):
    assert reseller.get("/geo/countries/VA/states").json()["data"] == []


def test_unknown_country_is_404_naming_it(reseller):
    response = reseller.get("/geo/countries/ZZ/states")
    assert response.status_code == 404
    assert field_errors(response) == {"countryCode": "Valid format is a two-letter ISO 3166-1 country code, e.g. US"}


def test_geo_needs_the_key(reseller_anon):
    assert reseller_anon.get("/geo/countries").status_code == 401


def test_wallet_details(reseller):
    response = reseller.get("/wallet")
    assert response.status_code == 200
    assert response.json() == {
        "status": 200,
        "message": "Wallet details fetched successfully",
        "data": {"balance": "1000.00", "currency": "USD"},
    }


def test_wallet_is_the_accounts_whatever_the_face(server, make_account):
    customer = make_account(credit="12.34", currency="EUR")
    with reseller_client(server, customer) as client:
        assert client.get("/wallet").json()["data"] == {"balance": "12.34", "currency": "EUR"}
    with client_for(server, customer) as woodpecker:
        assert woodpecker.get("/rest/v2/domains").status_code == 200
