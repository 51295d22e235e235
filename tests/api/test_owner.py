"""GET/POST /rest/v2/domains/owner: the registrant contact, replaced as a whole."""

from __future__ import annotations

from tests.api.bodies import EMAIL_FORMAT, REQUIRED, assert_invalid, mailbox, order_domains
from tests.conftest import OWNER, unique

NO_CONFIGURATION = {"configuration": {"default_domain_redirect_url": None, "default_email_forward_address": None}}
EMPTY = {name: None for name in OWNER} | NO_CONFIGURATION


def test_every_value_is_null_before_saving(api):
    response = api.get("/rest/v2/domains/owner")
    assert response.status_code == 200
    assert response.json() == EMPTY


def test_save_and_read_back(api):
    response = api.post("/rest/v2/domains/owner", json=OWNER | {"country": "us"})
    assert response.status_code == 200
    assert response.json() == OWNER | NO_CONFIGURATION
    assert api.get("/rest/v2/domains/owner").json() == OWNER | NO_CONFIGURATION


def test_post_replaces_the_whole_owner(api):
    configuration = {"default_domain_redirect_url": "https://piedpiper.com", "default_email_forward_address": "hi@piedpiper.com"}
    api.post("/rest/v2/domains/owner", json=OWNER | {"configuration": configuration}).raise_for_status()
    second = {k: v for k, v in OWNER.items() if k != "company_name"} | {"city": "Mountain View"}
    response = api.post("/rest/v2/domains/owner", json=second)
    expected = OWNER | {"company_name": None, "city": "Mountain View"} | NO_CONFIGURATION
    assert response.json() == expected
    assert api.get("/rest/v2/domains/owner").json() == expected


def test_every_bad_field_is_named_at_once_in_request_order(api):
    response = api.post(
        "/rest/v2/domains/owner",
        json={
            "email": "not-an-email",
            "last_name": "L" * 101,
            "company_name": 7,
            "address": "   ",
            "city": "Palo\nAlto",
            "state": "CA",
            "country": "XX",
            "zip_code": "94303!",
            "phone": "555",
            "configuration": {"default_domain_redirect_url": "ftp://x.com", "default_email_forward_address": "nope"},
        },
    )
    assert_invalid(
        response,
        ("email", EMAIL_FORMAT, "not-an-email"),
        ("first_name", REQUIRED, None),
        ("last_name", "Must be at most 100 characters", "L" * 101),
        ("company_name", "Must be a string", "7"),
        ("address", REQUIRED, "   "),
        ("city", "Must not contain control characters", "Palo\nAlto"),
        ("country", "Valid format is a two-letter ISO 3166-1 country code, e.g. US", "XX"),
        ("zip_code", "Must contain only letters, digits, spaces and hyphens", "94303!"),
        ("phone", "Valid format is +1.5555555555", "555"),
        ("configuration.default_domain_redirect_url", "Valid format is https://example.com", "ftp://x.com"),
        ("configuration.default_email_forward_address", EMAIL_FORMAT, "nope"),
    )
    assert api.get("/rest/v2/domains/owner").json() == EMPTY


def test_missing_required_fields_have_null_values(api):
    response = api.post("/rest/v2/domains/owner", json={"company_name": "Hooli", "configuration": "x"})
    assert_invalid(
        response,
        *[(name, REQUIRED, None) for name in OWNER if name != "company_name"],
        ("configuration", "Must be an object", "x"),
    )


def test_the_owner_and_its_defaults_go_to_new_domains(api):
    configuration = {"default_domain_redirect_url": "https://hooli.com/", "default_email_forward_address": "gavin@hooli.com"}
    api.post("/rest/v2/domains/owner", json=OWNER | {"configuration": configuration}).raise_for_status()
    domain = f"{unique()}.com"
    assert order_domains(api, [domain], [mailbox(f"r@{domain}")]).status_code == 202
    # A later change of owner does not rewrite the contact of domains already ordered.
    api.post("/rest/v2/domains/owner", json=OWNER | {"first_name": "Gavin"}).raise_for_status()
    detail = api.get(f"/rest/v2/domains/{domain}").json()
    assert detail["owner"] == OWNER
    assert (detail["domain_redirect_url"], detail["email_forward_address"]) == ("https://hooli.com/", "gavin@hooli.com")
