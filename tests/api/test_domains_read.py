"""Reading what was bought: list domains, get a domain, list its mailboxes, get one mailbox with
its credentials and the current RFC 6238 one-time code."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import struct

import sqlalchemy as sa

from mailwright import clock
from mailwright.mailboxes.models import Mailbox
from tests.api.bodies import assert_accepted, assert_problem, mailbox, order_domains, parse_time
from tests.conftest import OWNER, client_for, unique, wait_for_order, wait_until

GMAIL = {"smtp_server": "smtp.gmail.com", "smtp_port": 587, "imap_server": "imap.gmail.com", "imap_port": 993}


def rfc6238(seed_base32: str, moment: float, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 TOTP (HMAC-SHA-1), written out from the RFC, independent of the product's code."""
    counter = struct.pack(">Q", int(moment // step))
    mac = hmac.new(base64.b32decode(seed_base32), counter, hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return str(value).zfill(digits)


def stored_secrets(runtime, email: str) -> tuple[str, str]:
    """(password, one-time-code seed) of a mailbox, decrypted from its row."""
    with runtime.db.read() as session:
        row = session.scalar(sa.select(Mailbox).where(Mailbox.email_claim == email))
        return runtime.secrets.decrypt(row.password_enc), runtime.secrets.decrypt(row.totp_secret_enc)


def test_list_is_empty_for_a_new_account(api):
    assert api.get("/rest/v2/domains").json() == {"domains": []}


def test_list_and_get_a_ready_domain(api_with_owner, buy):
    domain = buy(mailboxes=2, ready=True)
    listed = api_with_owner.get("/rest/v2/domains").json()["domains"]
    assert len(listed) == 1
    item = listed[0]
    created, expires = parse_time(item["created"]), parse_time(item["expires"])
    assert dt.timedelta(days=365) <= expires - created <= dt.timedelta(days=366, minutes=5)
    assert item == {
        "domain": domain,
        "mailboxes_count": 2,
        "provider": "GOOGLE",
        "is_custom_domain": False,
        "is_ready": True,
        "expires": item["expires"],
        "created": item["created"],
    }
    assert api_with_owner.get(f"/rest/v2/domains/{domain}").json() == item | {
        "owner": OWNER,
        "email_forward_address": None,
        "domain_redirect_url": None,
        "max_mailboxes": 5,
        "all_mailboxes_are_ready": True,
        "status": "ready",
        "failure_reason": None,
    }
    assert api_with_owner.get(f"/rest/v2/domains/{domain.upper()}").json()["domain"] == domain


def test_progress_from_ordered_to_ready(api_with_owner):
    domain = f"{unique('flaky-')}.com"  # the sandbox registrar fails twice first: provisioning takes a moment
    response = order_domains(api_with_owner, [domain], [mailbox(f"richard@{domain}"), mailbox(f"jared@{domain}", "Jared", "Dunn")])
    order_id = assert_accepted(response, "25.00")
    first = api_with_owner.get(f"/rest/v2/domains/{domain}").json()
    assert (first["is_ready"], first["all_mailboxes_are_ready"], first["expires"]) == (False, False, None)
    assert {m["status"] for m in api_with_owner.get(f"/rest/v2/domains/{domain}/mailboxes").json()["mailboxes"]} == {"ORDERED"}

    def observed():
        detail = api_with_owner.get(f"/rest/v2/domains/{domain}").json()
        assert detail["is_ready"] or not detail["all_mailboxes_are_ready"]
        return detail["all_mailboxes_are_ready"] and detail

    assert wait_until(observed, timeout=60)["is_ready"] is True
    assert api_with_owner.get(f"/rest/v2/domains/{domain}/mailboxes").json() == {
        "mailboxes": [
            {"first_name": "Richard", "last_name": "Hendricks", "email": f"richard@{domain}", "provider": "GOOGLE", "status": "PAID"},
            {"first_name": "Jared", "last_name": "Dunn", "email": f"jared@{domain}", "provider": "GOOGLE", "status": "PAID"},
        ]
    }
    assert wait_for_order(api_with_owner, order_id)["status"] == "completed"


def test_a_mailbox_with_its_credentials(api_with_owner, buy, runtime):
    domain = buy(ready=True)
    email = f"m0@{domain}"
    password, seed = stored_secrets(runtime, email)
    before = clock.now().timestamp()
    response = api_with_owner.get(f"/rest/v2/domains/{domain}/mailboxes/m0%40{domain}")
    after = clock.now().timestamp()
    assert response.status_code == 200
    body = response.json()
    assert body["authenticator"] in {rfc6238(seed, before), rfc6238(seed, after)}
    parse_time(body["created"])
    assert body == {
        "login": email,
        "authenticator": body["authenticator"],
        "smtp_password": password,
        "imap_email": email,
        "imap_password": password,
        "sign_in_note": None,  # the password is all a client needs at this host
        "created": body["created"],
        "profile_picture": None,
        "email": email,
        "first_name": "Richard",
        "last_name": "Hendricks",
        "status": "PAID",
        "failure_reason": None,
    } | GMAIL
    assert api_with_owner.get(f"/rest/v2/domains/{domain}/mailboxes/{email.upper()}").json()["login"] == email


def test_the_code_follows_the_clock(api_with_owner, buy, runtime):
    domain = buy(ready=True, provider="MICROSOFT")
    _, seed = stored_secrets(runtime, f"m0@{domain}")
    moment = dt.datetime(2031, 5, 6, 12, 0, 10, tzinfo=dt.timezone.utc)
    clock.freeze(moment)
    try:
        body = api_with_owner.get(f"/rest/v2/domains/{domain}/mailboxes/m0@{domain}").json()
    finally:
        clock.freeze(None)
    assert body["authenticator"] == rfc6238(seed, moment.timestamp())
    assert (body["smtp_server"], body["imap_server"]) == ("smtp.office365.com", "outlook.office365.com")


def test_credentials_are_withheld_until_the_mailbox_is_live(api_with_owner):
    domain = f"{unique('flaky-')}.com"
    assert_accepted(order_domains(api_with_owner, [domain], [mailbox(f"r@{domain}")]), "19.00")
    body = api_with_owner.get(f"/rest/v2/domains/{domain}/mailboxes/r%40{domain}").json()
    parse_time(body["created"])
    assert body == {
        "login": f"r@{domain}",
        "authenticator": None,
        "smtp_server": None,
        "smtp_password": None,
        "smtp_port": None,
        "imap_server": None,
        "imap_email": f"r@{domain}",
        "imap_password": None,
        "imap_port": None,
        "sign_in_note": None,
        "created": body["created"],
        "profile_picture": None,
        "email": f"r@{domain}",
        "first_name": "Richard",
        "last_name": "Hendricks",
        "status": "ORDERED",
        "failure_reason": None,
    }


def test_unknown_domain_and_mailbox_are_404(api_with_owner, buy):
    domain = buy()
    for path in (f"/rest/v2/domains/{unique()}.com", f"/rest/v2/domains/{unique()}.com/mailboxes"):
        assert_problem(api_with_owner.get(path), 404, "Not Found", "Domain not found")
    assert_problem(
        api_with_owner.get(f"/rest/v2/domains/{domain}/mailboxes/nobody%40{domain}"), 404, "Not Found", "Mailbox not found"
    )
    assert_problem(
        api_with_owner.get(f"/rest/v2/domains/{domain}/mailboxes/not-an-email"), 404, "Not Found", "Mailbox not found"
    )


def test_another_accounts_domain_is_404(api_with_owner, buy, server, make_account):
    domain = buy()
    with client_for(server, make_account()) as other:
        for path in (f"/{domain}", f"/{domain}/mailboxes", f"/{domain}/mailboxes/m0%40{domain}"):
            assert_problem(other.get(f"/rest/v2/domains{path}"), 404, "Not Found", "Domain not found")
        assert other.get("/rest/v2/domains").json() == {"domains": []}
