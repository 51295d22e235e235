"""POST /rest/v2/domains/order (seed 001): acceptance, every validation problem at once and in the
order of the request, and the business refusals that leave the wallet untouched."""

from __future__ import annotations

import idna
import pytest

from mailwright.accounts.models import Account
from tests.api.bodies import (
    DOMAIN_FORMAT,
    EMAIL_DOMAIN_UNKNOWN,
    EMAIL_FORMAT,
    PROVIDERS,
    REQUIRED,
    assert_accepted,
    assert_invalid,
    assert_violation,
    balance,
    ledger,
    mailbox,
    order_domains,
)
from tests.conftest import OWNER, client_for, unique

ALREADY_HAVE = "Domain already exists in your account; use the order mailboxes endpoint to add mailboxes"
TOO_MANY = "A domain can have at most {} mailboxes (max_mailboxes)"


def test_seed_request_is_accepted_and_charged(api_with_owner, account, runtime):
    domain = f"{unique('pp')}.com"
    response = order_domains(api_with_owner, [domain], [mailbox(f"richard@{domain}")])
    order_id = assert_accepted(response, "19.00")
    assert balance(runtime, account.id) == "981.00"
    assert ledger(runtime, account.id) == [("credit", 100000), ("debit", -1900)]
    listed = api_with_owner.get("/rest/v2/domains").json()["domains"]
    assert [(d["domain"], d["provider"], d["mailboxes_count"]) for d in listed] == [(domain, "GOOGLE", 1)]
    assert api_with_owner.get(f"/rest/v2/domains/orders/{order_id}").json()["order_id"] == order_id


def test_several_domains_and_providers_are_priced_per_item(api_with_owner, account, runtime):
    a, b = f"{unique()}.io", f"{unique()}.org"
    mailboxes = [mailbox(f"m{i}@{a}") for i in range(2)] + [mailbox(f"x@{b}")]
    assert_accepted(order_domains(api_with_owner, [a, b], mailboxes, provider="MAILDOSO"), "69.00")  # 45 + 12 + 3 x 4
    assert balance(runtime, account.id) == "931.00"


def test_seed_validation_example_exactly(api_with_owner):
    response = order_domains(api_with_owner, ["invalid_domain"], [mailbox("invalid")], provider="MAILDOSO1")
    assert_invalid(
        response,
        ("provider", PROVIDERS, "MAILDOSO1"),
        ("domains[0]", DOMAIN_FORMAT, "invalid_domain"),
        ("mailboxes[0].email", EMAIL_FORMAT, "invalid"),
    )


def test_problems_are_listed_in_the_order_of_the_request(api_with_owner):
    good = f"{unique()}.com"
    response = order_domains(
        api_with_owner,
        [good, "bad domain", 7],
        [mailbox(f"a@{good}", first=""), "not an object", {"first_name": "R", "last_name": "H"}, mailbox("b@elsewhere.com")],
        provider="YAHOO",
    )
    assert_invalid(
        response,
        ("provider", PROVIDERS, "YAHOO"),
        ("domains[1]", DOMAIN_FORMAT, "bad domain"),
        ("domains[2]", DOMAIN_FORMAT, "7"),
        ("mailboxes[0].first_name", REQUIRED, ""),
        ("mailboxes[1]", "Must be an object with first_name, last_name and email", "not an object"),
        ("mailboxes[2].email", REQUIRED, None),
        ("mailboxes[3].email", EMAIL_DOMAIN_UNKNOWN, "b@elsewhere.com"),
    )


def test_missing_fields_are_null(api_with_owner):
    response = api_with_owner.post("/rest/v2/domains/order", json={})
    assert_invalid(response, ("provider", REQUIRED, None), ("domains", REQUIRED, None), ("mailboxes", REQUIRED, None))
    response = api_with_owner.post("/rest/v2/domains/order", json={"provider": None, "domains": None, "mailboxes": [{}]})
    assert_invalid(
        response,
        ("provider", REQUIRED, None),
        ("domains", REQUIRED, None),
        ("mailboxes[0].first_name", REQUIRED, None),
        ("mailboxes[0].last_name", REQUIRED, None),
        ("mailboxes[0].email", REQUIRED, None),
    )


def test_wrong_types_and_empty_arrays(api_with_owner):
    assert_invalid(
        order_domains(api_with_owner, [], [], provider="GOOGLE"),
        ("domains", "Must contain at least one item", "[]"),
        ("mailboxes", "Must contain at least one item", "[]"),
    )
    assert_invalid(
        order_domains(api_with_owner, "a.com", {"email": "x"}, provider=["GOOGLE"]),
        ("provider", PROVIDERS, '["GOOGLE"]'),
        ("domains", "Must be an array", "a.com"),
        ("mailboxes", "Must be an array", '{"email": "x"}'),
    )


def test_email_domain_must_be_in_the_order(api_with_owner):
    domain = f"{unique()}.com"
    response = order_domains(api_with_owner, [domain], [mailbox(f"r@{domain}"), mailbox("richard@missing.com")])
    assert_invalid(response, ("mailboxes[1].email", EMAIL_DOMAIN_UNKNOWN, "richard@missing.com"))


def test_duplicates_within_one_request(api_with_owner):
    domain = f"{unique()}.com"
    response = order_domains(
        api_with_owner,
        [domain, domain.upper()],
        [mailbox(f"r@{domain}"), mailbox(f"R@{domain.upper()}")],
    )
    assert_invalid(
        response,
        ("domains[1]", "Domain is listed more than once in this order", domain.upper()),
        ("mailboxes[1].email", "Email is listed more than once in this order", f"R@{domain.upper()}"),
    )


def test_a_domain_the_account_already_has(api_with_owner, account, runtime):
    domain = f"{unique()}.com"
    assert_accepted(order_domains(api_with_owner, [domain], [mailbox(f"r@{domain}")]), "19.00")
    response = order_domains(api_with_owner, [domain], [mailbox(f"s@{domain}")])
    assert_invalid(response, ("domains[0]", ALREADY_HAVE, domain))
    assert balance(runtime, account.id) == "981.00"


def test_a_domain_another_account_holds_is_unavailable(api_with_owner, server, make_account):
    domain = f"{unique()}.com"
    assert_accepted(order_domains(api_with_owner, [domain], [mailbox(f"r@{domain}")]), "19.00")
    with client_for(server, make_account()) as other:
        other.post("/rest/v2/domains/owner", json=OWNER).raise_for_status()
        response = order_domains(other, [domain], [mailbox(f"s@{domain}")])
    assert_violation(response, "domain_unavailable", "Domain(s) not available", [("domains[0]", "Domain is not available", domain)])


def test_too_many_mailboxes_for_one_domain(api_with_owner):
    domain = f"{unique()}.com"
    boxes = [mailbox(f"m{i}@{domain}") for i in range(7)]
    response = order_domains(api_with_owner, [domain], boxes)
    assert_invalid(
        response,
        ("mailboxes[5].email", TOO_MANY.format(5), f"m5@{domain}"),
        ("mailboxes[6].email", TOO_MANY.format(5), f"m6@{domain}"),
    )
    assert_accepted(order_domains(api_with_owner, [domain], boxes[:5]), "43.00")
    assert api_with_owner.get(f"/rest/v2/domains/{domain}").json()["max_mailboxes"] == 5


def test_per_provider_mailbox_maximum(make_server, account):
    live = make_server(max_mailboxes_by_provider='{"MICROSOFT": 2}')
    with client_for(live, account) as api:
        api.post("/rest/v2/domains/owner", json=OWNER).raise_for_status()
        domain = f"{unique()}.com"
        boxes = [mailbox(f"m{i}@{domain}") for i in range(3)]
        response = order_domains(api, [domain], boxes, provider="MICROSOFT")
        assert_invalid(response, ("mailboxes[2].email", TOO_MANY.format(2), f"m2@{domain}"))
        assert_accepted(order_domains(api, [domain], boxes, provider="GOOGLE"), "31.00")


def test_names_too_long(api_with_owner):
    domain = f"{unique()}.com"
    long_label = "a" * 64
    response = order_domains(
        api_with_owner,
        [domain, f"{long_label}.com"],
        [mailbox(f"r@{domain}", first="F" * 61, last="L" * 61), mailbox(f"{'x' * 65}@{domain}")],
    )
    assert_invalid(
        response,
        ("domains[1]", DOMAIN_FORMAT, f"{long_label}.com"),
        ("mailboxes[0].first_name", "Must be at most 60 characters", "F" * 61),
        ("mailboxes[0].last_name", "Must be at most 60 characters", "L" * 61),
        ("mailboxes[1].email", EMAIL_FORMAT, f"{'x' * 65}@{domain}"),
    )


def test_internationalised_domain_is_normalised(api_with_owner):
    label = f"bücher{unique('')}"
    unicode_name = f"{label}.com"
    ascii_name = idna.encode(unicode_name, uts46=True).decode()
    assert ascii_name.startswith("xn--")
    response = order_domains(api_with_owner, [unicode_name.upper()], [mailbox(f"anna@{unicode_name}")])
    assert_accepted(response, "19.00")
    detail = api_with_owner.get(f"/rest/v2/domains/{unicode_name}").json()
    assert detail["domain"] == ascii_name
    mailboxes = api_with_owner.get(f"/rest/v2/domains/{ascii_name}/mailboxes").json()["mailboxes"]
    assert [m["email"] for m in mailboxes] == [f"anna@{ascii_name}"]


@pytest.mark.parametrize("name", ["co.uk", "com", f"sub.{unique()}.com", "example", "-bad.com", "a..b.com"])
def test_what_the_public_suffix_list_says_is_not_registrable(api_with_owner, name):
    response = order_domains(api_with_owner, [name], [mailbox(f"r@{unique()}.com")])
    assert response.json()["fields"][0] == {"field": "domains[0]", "issue": DOMAIN_FORMAT, "value": name}


def test_domain_owner_required(api, account, runtime):
    domain = f"{unique()}.com"
    response = order_domains(api, [domain], [mailbox(f"r@{domain}")])
    assert_violation(
        response,
        "domain_owner_required",
        "A domain owner is required before ordering domains: save one with POST /rest/v2/domains/owner",
        None,
    )
    assert balance(runtime, account.id) == "1000.00"


def test_insufficient_funds_changes_nothing(make_account, server, runtime):
    poor = make_account(credit="18.99")
    with client_for(server, poor) as api:
        api.post("/rest/v2/domains/owner", json=OWNER).raise_for_status()
        domain = f"{unique()}.com"
        response = order_domains(api, [domain], [mailbox(f"r@{domain}")])
        assert_violation(
            response,
            "insufficient_funds",
            "Insufficient funds: the order costs 19.00 USD and the balance is 18.99 USD",
            None,
        )
        assert balance(runtime, poor.id) == "18.99"
        assert ledger(runtime, poor.id) == [("credit", 1899)]
        assert api.get("/rest/v2/domains").json() == {"domains": []}
        available = api.post("/rest/v2/domains/availability?provider=GOOGLE", json={"domains": [domain]}).json()
        assert available["domains"][0]["available"] is True


def test_frozen_wallet_payment_failed(api_with_owner, account, runtime):
    with runtime.db.write() as session:
        session.get(Account, account.id).wallet_frozen = True
    domain = f"{unique()}.com"
    response = order_domains(api_with_owner, [domain], [mailbox(f"r@{domain}")])
    assert_violation(response, "payment_failed", "Payment failed: the wallet is frozen; contact the operator", None)
    assert balance(runtime, account.id) == "1000.00"


def test_taken_domain_is_unavailable(api_with_owner, account, runtime):
    ok, taken = f"{unique()}.com", f"taken{unique()}.net"
    response = order_domains(api_with_owner, [ok, taken], [mailbox(f"r@{ok}"), mailbox(f"r@{taken}")])
    assert_violation(response, "domain_unavailable", "Domain(s) not available", [("domains[1]", "Domain is not available", taken)])
    assert balance(runtime, account.id) == "1000.00"


def test_every_domain_problem_is_named_at_once_in_request_order(api_with_owner, account, runtime):
    taken, unpriced = f"taken{unique()}.com", f"{unique()}.xyz"
    boxes = [mailbox(f"r@{taken}"), mailbox(f"r@{unpriced}")]
    # The answer's code and message are those of the first problem; every domain has its own issue.
    assert_violation(
        order_domains(api_with_owner, [taken, unpriced], boxes),
        "domain_unavailable",
        "Domain(s) not available",
        [("domains[0]", "Domain is not available", taken), ("domains[1]", "Domain price is not available", unpriced)],
    )
    assert_violation(
        order_domains(api_with_owner, [unpriced, taken], boxes),
        "domain_price_unavailable",
        "Domain price is not available",
        [("domains[0]", "Domain price is not available", unpriced), ("domains[1]", "Domain is not available", taken)],
    )
    # Malformed values are named in the same answer, in their place in the request.
    assert_violation(
        order_domains(api_with_owner, [taken, "bad domain"], [mailbox("invalid")]),
        "domain_unavailable",
        "Domain(s) not available",
        [("domains[0]", "Domain is not available", taken), ("domains[1]", DOMAIN_FORMAT, "bad domain"), ("mailboxes[0].email", EMAIL_FORMAT, "invalid")],
    )
    assert_invalid(
        order_domains(api_with_owner, [taken], [mailbox(f"r@{taken}")], provider="YAHOO"),
        ("provider", PROVIDERS, "YAHOO"),
        ("domains[0]", "Domain is not available", taken),
    )
    assert balance(runtime, account.id) == "1000.00"


def test_an_unreachable_registrar_does_not_hide_the_other_problems(api_with_owner):
    down = f"{unique('unreachable')}.com"
    assert_invalid(order_domains(api_with_owner, [down], [mailbox("invalid")]), ("mailboxes[0].email", EMAIL_FORMAT, "invalid"))
    assert order_domains(api_with_owner, [down], [mailbox(f"r@{down}")]).status_code == 503


def test_tld_without_a_price(api_with_owner):
    domain = f"{unique()}.xyz"
    response = order_domains(api_with_owner, [f"{unique()}.com", domain], [mailbox(f"r@{domain}")])
    assert_violation(
        response,
        "domain_price_unavailable",
        "Domain price is not available",
        [("domains[1]", "Domain price is not available", domain)],
    )
