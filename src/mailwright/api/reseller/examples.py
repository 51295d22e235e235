"""Examples of every operation of the ColdMailReseller-style face, in the order a reseller meets
them: a user, an order for them, its domain and mailboxes, billing, and finally removals. Answers
are those the live server gave these requests (examples.json beside this file;
tests/api/test_examples.py checks they stay true and rewrites them with MAILWRIGHT_WRITE_EXAMPLES=1)."""

from __future__ import annotations

import json

from mailwright.api.examples import Example, answers
from mailwright.api.reseller import PREFIX

DOMAIN = "raviga.com"
USER_ID = "06HD4QD7X4B1M8R2W5Z9K3T6NPYJ"
# A user without domains or mailboxes, whom DELETE /users removes.
FORMER_USER_ID = "06HD4QE9K6W3T0Z4B7N1R5X8MQCK"
ORDER_ID = "06HD4QF2M8Y5R1X6T9K3W0Z7BNPL"
MAILBOX_ORDER_ID = "06HD4QG4R0N7W3B8Z2T5K9X1MPQM"
DOMAIN_ID = "06HD4QH6W2T9K5X0N4R7B3Z8MQYN"
RECORD_ID = "06HD4QJ8Z4X1B6R9T2N5W7K0MPCP"
MAILBOX_ID = "06HD4QK0B6N3T8W1Z4X7R9K2MQYQ"
SECOND_MAILBOX_ID = "06HD4QM2T8R5X0K3B6Z9W1N4MPCR"
SUBSCRIPTION_ID = "06HD4QN4X0W7Z2R5N8K1T3B6MQYS"
DOMAIN_RENEWAL_ID = "06HD4QP6R2B9T4X7W0Z3K5N8MPCT"
SUBSCRIPTION_RENEWAL_ID = "06HD4QQ8W4N1K6Z9R2X5T7B0MQYV"
WEBHOOK_ID = "06HD4QR0Z6T3X8B1N4W7K9R2MPCW"
HOOK_URL = "https://example.com/hooks/reseller"
USER = {
    "email": f"monica@{DOMAIN}",
    "firstName": "Monica",
    "lastName": "Hall",
    "companyName": "Raviga Capital",
    "phone": "+1.6505550199",
    "address": "2624 Mill Street",
    "city": "Palo Alto",
    "state": "CA",
    "country": "US",
    "zipCode": "94301",
}
ORDER_DOMAINS = [{"domain": DOMAIN, "years": 1}]
ORDER_MAILBOXES = {DOMAIN: [{"username": "monica", "firstName": "Monica", "lastName": "Hall"}]}
OF_USER = {"userId": USER_ID}
PAGE = {"page": "1", "limit": "10"}
IN_DOMAIN = {"userId": USER_ID, "domainId": DOMAIN_ID}

_answers = answers(__file__)


def _example(method: str, path: str, status: int, **request: object) -> Example:
    return Example(method, PREFIX + path, status, _answers(method, PREFIX + path), **request)  # type: ignore[arg-type]


EXAMPLES = [
    _example("POST", "/users", 201, body=USER),
    _example("GET", "/users", 200, query=PAGE),
    _example("GET", "/users/details", 200, query=OF_USER),
    _example("PUT", "/users", 200, query=OF_USER, body=USER | {"phone": "+1.6505550123"}),
    _example("GET", "/geo/countries", 200),
    _example("GET", "/geo/countries/{countryCode}/states", 200, path_params={"countryCode": "US"}),
    _example("GET", "/wallet", 200),
    _example(
        "POST",
        "/orders",
        201,
        query=OF_USER,
        body={"domains": ORDER_DOMAINS, "mailboxes": ORDER_MAILBOXES, "billingCycle": "MONTHLY", "serviceProvider": "GOOGLE", "autoRenew": True},
        form={
            "domains": json.dumps(ORDER_DOMAINS),
            "mailboxes": json.dumps(ORDER_MAILBOXES),
            "billingCycle": "MONTHLY",
            "confirm": "false",
            "serviceProvider": "GOOGLE",
            "autoRenew": "true",
        },
    ),
    _example("GET", "/orders/{orderId}", 200, path_params={"orderId": ORDER_ID}, query=OF_USER),
    _example("GET", "/orders/{orderId}/status", 200, path_params={"orderId": ORDER_ID}, query=OF_USER),
    _example("POST", "/orders/{orderId}/process", 200, path_params={"orderId": ORDER_ID}, query=OF_USER),
    _example("GET", "/domains", 200, query=OF_USER | PAGE),
    _example(
        "POST",
        "/orders/mailboxes",
        201,
        body={"userId": USER_ID, "domainId": DOMAIN_ID, "mailboxes": [{"username": "jared", "firstName": "Jared", "lastName": "Dunn"}], "confirm": True},
    ),
    _example("POST", "/domains/suggest", 200, body={"keyword": "raviga"}),
    _example("POST", "/domains/check", 200, body={"domain": "raviga.io"}),
    _example("POST", "/domains/forwarding", 200, body=IN_DOMAIN | {"forwardTo": f"https://www.{DOMAIN}", "maskForwarding": False}),
    _example("POST", "/domains/email-forwarding", 200, body=IN_DOMAIN | {"forwardTo": "monica@hooli.com"}),
    _example("POST", "/domains/renewal-price", 200, body={"userId": USER_ID, "domains": [DOMAIN]}),
    _example("POST", "/domains/renew", 200, body={"userId": USER_ID, "domains": [DOMAIN]}),
    _example("GET", "/domains/renew/{actionId}", 200, path_params={"actionId": DOMAIN_RENEWAL_ID}),
    _example("PATCH", "/domains/auto-renew", 200, body={"userId": USER_ID, "domains": [DOMAIN], "autoRenew": False}),
    _example("GET", "/domains/dns-records", 200, query=IN_DOMAIN),
    _example(
        "POST", "/domains/dns-records", 201, body=IN_DOMAIN | {"type": "TXT", "name": "@", "content": "google-site-verification=x1y2z3", "ttl": 3600}
    ),
    _example(
        "PUT",
        "/domains/dns-records",
        200,
        body=IN_DOMAIN | {"recordId": RECORD_ID, "type": "TXT", "name": "@", "content": "google-site-verification=a4b5c6", "ttl": 3600},
    ),
    _example("DELETE", "/domains/dns-records", 200, body=IN_DOMAIN | {"recordId": RECORD_ID}),
    _example("GET", "/mailboxes", 200, query=OF_USER | PAGE),
    _example("GET", "/mailboxes/details", 200, query=OF_USER | {"mailboxId": MAILBOX_ID}),
    _example("GET", "/exports/csv", 200, query=IN_DOMAIN | {"format": "instantly"}, media_type="text/csv"),
    _example("PATCH", "/mailboxes", 200, body={"userId": USER_ID, "mailboxId": MAILBOX_ID, "lastName": "Hall-Bream"}),
    _example("DELETE", "/mailboxes", 200, body={"userId": USER_ID, "mailboxId": SECOND_MAILBOX_ID}),
    _example("GET", "/subscriptions", 200, query=OF_USER | PAGE),
    _example("POST", "/subscriptions/renew-subscriptions", 200, body={"subscriptionIds": [SUBSCRIPTION_ID]}),
    _example("GET", "/subscriptions/renew-subscriptions/{actionId}", 200, path_params={"actionId": SUBSCRIPTION_RENEWAL_ID}),
    _example("PATCH", "/subscriptions/auto-renew", 200, body={"subscriptionId": SUBSCRIPTION_ID, "autoRenew": False}),
    _example("POST", "/webhooks", 201, body={"url": HOOK_URL, "event": "*"}),
    _example("GET", "/webhooks", 200),
    _example("DELETE", "/webhooks/{webhookId}", 200, path_params={"webhookId": WEBHOOK_ID}),
    _example("POST", "/subscriptions/cancel", 200, body={"subscriptionId": SUBSCRIPTION_ID}),
    _example("DELETE", "/domains", 200, body={"userId": USER_ID, "domains": [DOMAIN]}),
    _example("DELETE", "/users", 200, query={"userId": FORMER_USER_ID}),
]
