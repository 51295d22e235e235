"""One answer names everything wrong with a request: bad values and unknown ids (userId,
domainId, recordId, orderId ...) together. 404 only when every problem is something that does
not exist; otherwise 400 naming every field, the unknown ones included."""

from __future__ import annotations

import pytest

from tests.conftest import unique
from tests.reseller.conftest import field_errors
from tests.reseller.test_domains import _domain_ids

NO_USER = "No such user"


def _answer(response, status):
    assert response.status_code == status, response.text
    return field_errors(response)


def test_replacing_an_unknown_user_with_bad_fields_names_both(held):
    response = held.put("/users", params={"userId": "nobody"}, json={"email": "not-an-email", "firstName": "A", "lastName": "B"})
    errors = _answer(response, 400)
    assert errors["userId"] == NO_USER and set(errors) == {"userId", "email"}


def test_forwarding_names_an_unknown_user_with_every_bad_value(held):
    body = {"userId": "nobody", "domainId": "nothing", "forwardTo": "ftp://x", "maskForwarding": "yes"}
    errors = _answer(held.post("/domains/forwarding", json=body), 400)
    # The domain cannot be looked up without its user: only the user is named unknown.
    assert set(errors) == {"userId", "forwardTo", "maskForwarding"} and errors["userId"] == NO_USER


def test_email_forwarding_names_a_missing_domain_id_and_a_bad_address(held, holdings):
    errors = _answer(held.post("/domains/email-forwarding", json={"userId": holdings.user_id, "forwardTo": "x@"}), 400)
    assert set(errors) == {"domainId", "forwardTo"} and errors["domainId"] == "Field is required"


def test_an_unknown_user_and_domain_alone_answer_404(held, holdings):
    response = held.post("/domains/email-forwarding", json={"userId": holdings.user_id, "domainId": "nothing", "forwardTo": "a@b.com"})
    assert _answer(response, 404) == {"domainId": "No such domain of this user"}
    assert response.json()["message"] == "Domain not found"
    response = held.post("/domains/email-forwarding", json={"userId": "nobody", "domainId": "nothing", "forwardTo": "a@b.com"})
    assert _answer(response, 404) == {"userId": NO_USER}
    assert response.json()["message"] == "User not found"


def test_domain_auto_renew_names_the_flag_and_every_unknown_domain(held, holdings):
    body = {"userId": holdings.user_id, "domains": [holdings.domains[0], "missing.example"], "autoRenew": "on"}
    errors = _answer(held.patch("/domains/auto-renew", json=body), 400)
    assert errors == {"autoRenew": "Must be true or false", "domains[1]": "No such domain of this user"}


def test_dns_record_with_an_unknown_domain_is_checked_whole(held, holdings):
    body = {"userId": holdings.user_id, "domainId": "nothing", "type": "SOA", "name": "www", "content": "x", "ttl": 5}
    errors = _answer(held.post("/domains/dns-records", json=body), 400)
    assert set(errors) == {"domainId", "type", "ttl"} and errors["domainId"] == "No such domain of this user"


def test_dns_record_update_names_an_unknown_record_with_bad_values(held, holdings, runtime):
    name = holdings.domains[0]
    ids = {"userId": holdings.user_id, "domainId": _domain_ids(runtime, [name])[name]}
    body = ids | {"recordId": "nothing", "type": "A", "name": "www", "content": "999.1.1.1"}
    errors = _answer(held.put("/domains/dns-records", json=body), 400)
    assert set(errors) == {"recordId", "content"} and errors["recordId"] == "No such record of this domain"
    body = ids | {"recordId": "nothing", "type": "A", "name": "www", "content": "192.0.2.1"}
    assert _answer(held.put("/domains/dns-records", json=body), 404) == {"recordId": "No such record of this domain"}


def test_dns_record_delete_names_every_missing_or_unknown_id(held, holdings):
    errors = _answer(held.request("DELETE", "/domains/dns-records", json={"userId": "nobody"}), 400)
    assert errors == {"userId": NO_USER, "domainId": "Field is required", "recordId": "Field is required"}


def test_an_order_for_an_unknown_user_names_the_user_and_the_bad_fields(held):
    body = {"userId": "nobody", "domains": [{"domain": "not a domain"}], "billingCycle": "YEARLY"}
    errors = _answer(held.post("/orders", json=body), 400)
    assert errors["userId"] == NO_USER and {"billingCycle", "domains[0].domain"} <= set(errors)


def test_ordering_mailboxes_on_an_unknown_domain_names_every_bad_field(held, holdings):
    body = {"userId": holdings.user_id, "domainId": "nothing", "mailboxes": [], "confirm": "maybe"}
    errors = _answer(held.post("/orders/mailboxes", json=body), 400)
    assert errors["domainId"] == "No such domain of yours" and "confirm" in errors


def test_an_unknown_order_of_an_unknown_user_names_both(held):
    response = held.get("/orders/nothing", params={"userId": "nobody"})
    assert _answer(response, 404) == {"orderId": "No such order of yours", "userId": NO_USER}
    assert response.json()["message"] == "Order not found"


def test_a_mailbox_update_names_an_unknown_mailbox_with_every_bad_value(held, holdings):
    body = {"userId": holdings.user_id, "mailboxId": "nothing", "username": "no spaces", "firstName": ""}
    errors = _answer(held.patch("/mailboxes", json=body), 400)
    assert set(errors) == {"mailboxId", "username", "firstName"} and errors["mailboxId"] == "No such mailbox of this user"


def test_a_mailbox_lookup_names_both_missing_ids(held):
    assert _answer(held.get("/mailboxes/details"), 400) == {"userId": "Field is required", "mailboxId": "Field is required"}


def test_removing_an_unknown_mailbox_of_an_unknown_user_answers_404_naming_both(held):
    response = held.request("DELETE", "/mailboxes", json={"userId": "nobody", "mailboxId": "nothing"})
    assert _answer(response, 404) == {"userId": NO_USER, "mailboxId": "No such mailbox of yours"}


BAD_TYPES = [[None, None], {"id": "x"}, 10**30, [[]], True]


@pytest.mark.parametrize("value", BAD_TYPES, ids=["list-of-nulls", "object", "huge-number", "nested-list", "boolean"])
def test_ids_of_every_other_type_are_named_never_queried(held, holdings, value):
    """No list, object or number given for an id reaches a query (they answered 500)."""
    assert _answer(held.post("/subscriptions/cancel", json={"subscriptionId": value}), 400) == {"subscriptionId": "Must be a string"}
    assert _answer(held.post("/subscriptions/cancel", json={"domain": value}), 400) == {"domain": "Must be a string"}
    calls = [
        ("POST", "/domains/forwarding", {"userId": holdings.user_id, "domainId": value, "forwardTo": ""}, "domainId"),
        ("POST", "/domains/email-forwarding", {"userId": value, "domainId": "x", "forwardTo": ""}, "userId"),
        ("POST", "/domains/dns-records", {"userId": holdings.user_id, "domainId": value, "type": "A", "content": "192.0.2.1"}, "domainId"),
        ("PATCH", "/mailboxes", {"userId": holdings.user_id, "mailboxId": value, "firstName": "Ann"}, "mailboxId"),
        ("DELETE", "/mailboxes", {"mailboxId": value}, "mailboxId"),
        ("POST", "/orders/mailboxes", {"domainId": value, "mailboxes": []}, "domainId"),
        ("PATCH", "/subscriptions/auto-renew", {"subscriptionId": value, "autoRenew": True}, "subscriptionId"),
    ]
    for method, path, body, field in calls:
        response = held.request(method, path, json=body)
        assert response.status_code == 400, (path, response.text)
        assert field in field_errors(response), (path, response.text)


@pytest.mark.parametrize("years", ["٥", "9" * 5000, 10**30, -1, "1.5"], ids=["arabic-digit", "5000-digits", "huge", "negative", "fraction"])
def test_years_outside_whole_ascii_numbers_from_1_to_10_are_refused(held, years):
    body = {"domains": [{"domain": f"{unique()}.com", "years": years}]}
    assert _answer(held.post("/orders", json=body), 400) == {"domains[0].years": "Must be a whole number of years from 1 to 10"}
