"""Examples of every operation of the Woodpecker-style face (and its webhooks and billing
extensions), in the order a client meets them. Answers are those the live server gave these
requests (examples.json beside this file; tests/api/test_examples.py checks they stay true and
rewrites them with MAILWRIGHT_WRITE_EXAMPLES=1)."""

from __future__ import annotations

from mailwright.api.examples import Example, answers

DOMAIN = "piedpiper.com"
MAILBOX = f"richard@{DOMAIN}"
SECOND_MAILBOX = f"monica@{DOMAIN}"
ORDER_ID = "06HD4Q8WJ0K7Z3B5M9T2X6R1PNCA"
MAILBOX_ORDER_ID = "06HD4Q9C2V8N5R7K1W3Y6T0ZMBQE"
# An order parked in needs_action (a domain whose registration waits for a person).
PARKED_DOMAIN = "aviato.com"
PARKED_ORDER_ID = "06HD4QA1F6T9X2M4P8Z0K3W7BRYD"
# Domains whose DKIM a person handles (the sandbox's `dkim-` test value): a key from the operator
# (GOOGLE), signing confirmed by the operator (MICROSOFT).
KEYED_DOMAIN = "dkim-raviga.com"
CONFIRMED_DOMAIN = "dkim-endframe.com"
DKIM_VALUE = "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAlohlbiPgOpFO2I2gKRWFWeP6+KoE6oLIK21zGv0+xDPkonIxbOmMAcy7dTV8UgjbbVKySdQjcwhlTzzaLGm8fcBMKp5DGTZclLMviwImfmg7Wzy+DZs3n7iH8CPdONmmhQryD9GaJDGJNPQZH3U79ToFZUCFBvTgonV02vQurlnPvuSisHbvEuloYOSRnlzpstac7X/2O8H03cz3sIEfNEyTNbkt+FGr3I/RsqRjkBpQvqzplRqI+YVlQV6tVUdOceoLoSXysiufYJty71IZOukUJa6FpZj48A9b2mxZVRZUgB/Zq6VNXrdH7wa8Y5XRCDe6hdBE2cn2TEPwcabvdwIDAQAB"
SUBSCRIPTION_ID = "06HD4QB3N7W1Y5R9C2M6X0T4KPZG"
WEBHOOK_ID = "06HD4QC5T2Z8K4W6N1R9Y3X7BMQH"
HOOK_URL = "https://example.com/hooks/mailwright"
AVATAR = "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAFElEQVR4nGPU6w5nwAaYsIoOWgkA2T8BICLdcOYAAAAASUVORK5CYII="
OWNER = {
    "email": "richard@hooli.com",
    "first_name": "Richard",
    "last_name": "Hendricks",
    "company_name": "Pied Piper",
    "address": "5230 Newell Road",
    "city": "Palo Alto",
    "state": "CA",
    "country": "US",
    "zip_code": "94303",
    "phone": "+1.6505550100",
    "configuration": {"default_domain_redirect_url": None, "default_email_forward_address": None},
}
D = "/rest/v2/domains"
IN_DOMAIN = {"domain_name": DOMAIN}
IN_MAILBOX = {"domain_name": DOMAIN, "mailbox_email": MAILBOX}
IN_SUBSCRIPTION = {"subscription_id": SUBSCRIPTION_ID}
IN_WEBHOOK = {"webhook_id": WEBHOOK_ID}

_answers = answers(__file__)


def _example(method: str, path: str, status: int, **request: object) -> Example:
    return Example(method, path, status, _answers(method, path), **request)  # type: ignore[arg-type]


EXAMPLES = [
    _example("GET", "/healthz", 200),
    _example("GET", "/readyz", 200),
    _example("GET", f"{D}/providers", 200),
    _example("GET", f"{D}/availability", 200, query={"query": "pied piper", "provider": "GOOGLE"}),
    _example("POST", f"{D}/availability", 200, query={"provider": "GOOGLE"}, body={"domains": [DOMAIN, "piedpiper.io"]}),
    _example("POST", f"{D}/owner", 200, body=OWNER),
    _example("GET", f"{D}/owner", 200),
    _example(
        "POST",
        f"{D}/order",
        202,
        body={
            "provider": "GOOGLE",
            "domains": [DOMAIN],
            "mailboxes": [{"first_name": "Richard", "last_name": "Hendricks", "email": MAILBOX}],
        },
    ),
    _example("GET", f"{D}/orders/{{order_id}}", 200, path_params={"order_id": ORDER_ID}),
    _example(
        "POST", f"{D}/mailboxes/order", 202, body={"mailboxes": [{"first_name": "Monica", "last_name": "Hall", "email": SECOND_MAILBOX}]}
    ),
    _example("GET", D, 200),
    _example("GET", f"{D}/{{domain_name}}", 200, path_params=IN_DOMAIN),
    _example("GET", f"{D}/{{domain_name}}/dns", 200, path_params=IN_DOMAIN),
    _example("GET", f"{D}/{{domain_name}}/mailboxes", 200, path_params=IN_DOMAIN),
    _example("GET", f"{D}/{{domain_name}}/mailboxes/{{mailbox_email}}", 200, path_params=IN_MAILBOX),
    _example("GET", f"{D}/mailboxes/export", 200, query={"format": "woodpecker", "domain": DOMAIN}, media_type="text/csv"),
    _example("PATCH", f"{D}/{{domain_name}}/set_redirect_url", 202, path_params=IN_DOMAIN, body={"domain_redirect_url": f"https://www.{DOMAIN}"}),
    _example("PATCH", f"{D}/{{domain_name}}/set_email_forwarding", 202, path_params=IN_DOMAIN, body={"email_forward_address": "richard@hooli.com"}),
    _example("PATCH", f"{D}/{{domain_name}}/set_dkim", 200, path_params={"domain_name": KEYED_DOMAIN}, body={"selector": "google", "value": DKIM_VALUE}),
    _example("PATCH", f"{D}/{{domain_name}}/confirm_dkim", 200, path_params={"domain_name": CONFIRMED_DOMAIN}),
    _example("PATCH", f"{D}/{{domain_name}}/mailboxes/{{mailbox_email}}/profile_picture", 200, path_params=IN_MAILBOX, body={"avatar": AVATAR}),
    _example("GET", "/rest/v2/wallet", 200, query={"page": "1", "per_page": "3"}),
    _example("GET", "/rest/v2/subscriptions", 200),
    _example("GET", "/rest/v2/subscriptions/{subscription_id}", 200, path_params=IN_SUBSCRIPTION),
    _example("GET", "/rest/v2/subscriptions/{subscription_id}/renewal_quote", 200, path_params=IN_SUBSCRIPTION),
    _example("PATCH", "/rest/v2/subscriptions/{subscription_id}/auto_renew", 200, path_params=IN_SUBSCRIPTION, body={"auto_renew": False}),
    _example("GET", f"{D}/{{domain_name}}/renewal", 200, path_params=IN_DOMAIN),
    _example("PATCH", f"{D}/{{domain_name}}/auto_renew", 200, path_params=IN_DOMAIN, body={"auto_renew": False}),
    _example("GET", "/rest/v1/webhooks/events", 200),
    _example("POST", "/rest/v1/webhooks/subscribe", 201, body={"target_url": HOOK_URL, "event": "*"}),
    _example("GET", "/rest/v1/webhooks", 200),
    _example("GET", "/rest/v1/webhooks/{webhook_id}", 200, path_params=IN_WEBHOOK),
    _example("GET", "/rest/v1/webhooks/{webhook_id}/deliveries", 200, path_params=IN_WEBHOOK, query={"limit": "10"}),
    _example("POST", "/rest/v1/webhooks/unsubscribe", 200, body={"target_url": HOOK_URL, "event": "mailbox.created"}),
    _example("DELETE", "/rest/v1/webhooks/{webhook_id}", 200, path_params=IN_WEBHOOK),
    _example("POST", f"{D}/orders/{{order_id}}/retry", 202, path_params={"order_id": PARKED_ORDER_ID}),
    _example("DELETE", f"{D}/{{domain_name}}/mailboxes/{{mailbox_email}}", 200, path_params={"domain_name": DOMAIN, "mailbox_email": SECOND_MAILBOX}),
    _example("POST", "/rest/v2/subscriptions/{subscription_id}/cancel", 200, path_params=IN_SUBSCRIPTION, body={"immediately": False}),
    _example("DELETE", f"{D}/{{domain_name}}", 200, path_params=IN_DOMAIN),
]
