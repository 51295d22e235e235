"""POST /rest/v2/domains/mailboxes/order (seed 000): mailboxes for domains the account already has."""

from __future__ import annotations

from tests.api.bodies import (
    EMAIL_DOMAIN_UNKNOWN,
    EMAIL_FORMAT,
    REQUIRED,
    assert_accepted,
    assert_invalid,
    assert_violation,
    balance,
    ledger,
    mailbox,
    order_mailboxes,
)
from tests.conftest import OWNER, client_for, unique, wait_for_order

TOO_MANY = "A domain can have at most {} mailboxes (max_mailboxes)"


def test_seed_validation_example_exactly(api):
    response = order_mailboxes(api, [{"first_name": "Richard", "last_name": "Hendricks", "email": "richard@missing.com"}])
    assert_invalid(response, ("mailboxes[0].email", EMAIL_DOMAIN_UNKNOWN, "richard@missing.com"))


def test_mailboxes_on_an_existing_domain_take_its_provider_and_price(api_with_owner, buy, account, runtime):
    domain = buy(provider="MAILDOSO")  # 13.00 + 4.00
    order_id = assert_accepted(order_mailboxes(api_with_owner, [mailbox(f"new@{domain}"), mailbox(f"two@{domain}")]), "8.00")
    assert balance(runtime, account.id) == "975.00"
    assert ledger(runtime, account.id) == [("credit", 100000), ("debit", -1700), ("debit", -800)]
    assert wait_for_order(api_with_owner, order_id)["status"] == "completed"
    listed = api_with_owner.get(f"/rest/v2/domains/{domain}/mailboxes").json()["mailboxes"]
    assert {(m["email"], m["provider"]) for m in listed} >= {(f"new@{domain}", "MAILDOSO"), (f"two@{domain}", "MAILDOSO")}


def test_max_mailboxes_counts_existing_and_new(api_with_owner, buy):
    domain = buy(mailboxes=4)
    response = order_mailboxes(api_with_owner, [mailbox(f"x@{domain}"), mailbox(f"y@{domain}")])
    assert_invalid(response, ("mailboxes[1].email", TOO_MANY.format(5), f"y@{domain}"))
    assert_accepted(order_mailboxes(api_with_owner, [mailbox(f"x@{domain}")]), "6.00")
    assert_invalid(order_mailboxes(api_with_owner, [mailbox(f"z@{domain}")]), ("mailboxes[0].email", TOO_MANY.format(5), f"z@{domain}"))


def test_an_existing_mailbox_and_duplicates(api_with_owner, buy):
    domain = buy()
    response = order_mailboxes(api_with_owner, [mailbox(f"m0@{domain}"), mailbox(f"n@{domain}"), mailbox(f"N@{domain}")])
    assert_invalid(
        response,
        ("mailboxes[0].email", "Mailbox already exists", f"m0@{domain}"),
        ("mailboxes[2].email", "Email is listed more than once in this order", f"N@{domain}"),
    )


def test_another_accounts_domain_is_not_the_callers(api_with_owner, buy, server, make_account):
    domain = buy()
    with client_for(server, make_account()) as other:
        response = order_mailboxes(other, [mailbox(f"intruder@{domain}")])
    assert_invalid(response, ("mailboxes[0].email", EMAIL_DOMAIN_UNKNOWN, f"intruder@{domain}"))


def test_every_problem_at_once(api_with_owner, buy):
    domain = buy()
    response = order_mailboxes(
        api_with_owner,
        [
            {"first_name": "", "last_name": "L" * 61, "email": f"ok@{domain}"},
            {"first_name": "A", "last_name": "B", "email": "not-an-email"},
            {"first_name": 5, "last_name": "B"},
            [],
        ],
    )
    assert_invalid(
        response,
        ("mailboxes[0].first_name", REQUIRED, ""),
        ("mailboxes[0].last_name", "Must be at most 60 characters", "L" * 61),
        ("mailboxes[1].email", EMAIL_FORMAT, "not-an-email"),
        ("mailboxes[2].first_name", "Must be a string", "5"),
        ("mailboxes[2].email", REQUIRED, None),
        ("mailboxes[3]", "Must be an object with first_name, last_name and email", "[]"),
    )


def test_missing_and_empty_mailboxes(api):
    assert_invalid(api.post("/rest/v2/domains/mailboxes/order", json={}), ("mailboxes", REQUIRED, None))
    assert_invalid(order_mailboxes(api, []), ("mailboxes", "Must contain at least one item", "[]"))


def test_insufficient_funds(server, make_account, runtime):
    customer = make_account(credit="19.00")
    with client_for(server, customer) as api:
        api.post("/rest/v2/domains/owner", json=OWNER).raise_for_status()
        domain = f"{unique()}.com"
        assert_accepted(
            api.post(
                "/rest/v2/domains/order",
                json={"provider": "GOOGLE", "domains": [domain], "mailboxes": [mailbox(f"a@{domain}")]},
            ),
            "19.00",
        )
        response = order_mailboxes(api, [mailbox(f"b@{domain}")])
    assert_violation(
        response, "insufficient_funds", "Insufficient funds: the order costs 6.00 USD and the balance is 0.00 USD", None
    )
    assert ledger(runtime, customer.id) == [("credit", 1900), ("debit", -1900)]
