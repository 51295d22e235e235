"""A user's mailboxes: listing, one with credentials, updates pushed to the host; isolation."""

from __future__ import annotations

import base64
import io

from PIL import Image

from mailwright.domains.names import LOCAL_PART_RULE
from mailwright.mailboxes.models import Mailbox
from mailwright.providers.sandbox.models import SandboxMailbox
from tests.conftest import wait_until
from tests.reseller.conftest import field_errors


def _ids(runtime, emails):
    with runtime.db.read() as session:
        return {m.email: m.id for m in session.query(Mailbox).filter(Mailbox.email.in_(emails))}


def _png() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_a_users_mailboxes_page_by_page(held, holdings):
    first = held.get("/mailboxes", params={"userId": holdings.user_id, "limit": 4}).json()
    assert first["message"] == "Mailboxes fetched successfully"
    assert first["data"]["pagination"] == {"totalSearchedCount": 6, "currentPage": 1, "nextPage": 2, "totalPages": 2}
    rest = held.get("/mailboxes", params={"userId": holdings.user_id, "limit": 4, "page": 2}).json()["data"]
    emails = [m["email"] for m in first["data"]["mailboxes"] + rest["mailboxes"]]
    assert sorted(emails) == sorted(holdings.mailboxes)
    item = first["data"]["mailboxes"][0]
    assert set(item) == {
        "mailboxId", "email", "username", "firstName", "lastName", "domainId", "domainName", "userId", "status",
        "failureReason", "serviceProvider", "profilePicture", "createdAt",
    }
    assert item["status"] == "LIVE" and item["userId"] == holdings.user_id
    assert item["email"] == f"{item['username']}@{item['domainName']}"
    assert "password" not in item


def test_filter_by_domain(held, holdings, runtime):
    from tests.reseller.test_domains import _domain_ids

    domain_id = _domain_ids(runtime, [holdings.domains[0]])[holdings.domains[0]]
    data = held.get("/mailboxes", params={"userId": holdings.user_id, "domainId": domain_id}).json()["data"]
    assert sorted(m["email"] for m in data["mailboxes"]) == [f"jane@{holdings.domains[0]}", f"john@{holdings.domains[0]}"]
    other = _domain_ids(runtime, [holdings.other_domain])[holdings.other_domain]
    response = held.get("/mailboxes", params={"userId": holdings.user_id, "domainId": other})
    assert response.status_code == 404 and field_errors(response) == {"domainId": "No such domain of this user"}


def test_one_mailbox_with_credentials(held, holdings, runtime):
    email = holdings.mailboxes[0]
    mailbox_id = _ids(runtime, [email])[email]
    response = held.get("/mailboxes/details", params={"userId": holdings.user_id, "mailboxId": mailbox_id})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["mailboxId"] == mailbox_id and data["email"] == email
    assert len(data["password"]) >= 12 and data["twoFactorCode"].isdigit() and len(data["twoFactorCode"]) == 6
    assert data["smtpHost"] and data["imapHost"] and data["smtpPort"] and data["imapPort"]


def test_details_name_what_is_missing_or_unknown(held, holdings, runtime):
    missing = held.get("/mailboxes/details", params={"userId": holdings.user_id})
    assert missing.status_code == 400 and field_errors(missing) == {"mailboxId": "Field is required"}
    other_email = f"max@{holdings.other_domain}"
    other_id = _ids(runtime, [other_email])[other_email]
    foreign = held.get("/mailboxes/details", params={"userId": holdings.user_id, "mailboxId": other_id})
    assert foreign.status_code == 404
    assert field_errors(foreign) == {"mailboxId": "No such mailbox of this user"}


def test_update_names_and_picture_reach_the_host(held, holdings, runtime):
    email = holdings.mailboxes[1]
    mailbox_id = _ids(runtime, [email])[email]
    response = held.patch(
        "/mailboxes",
        json={"userId": holdings.user_id, "mailboxId": mailbox_id, "firstName": "Gavin", "lastName": "Belson", "profilePicture": _png()},
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert response.json()["message"] == "Mailbox updated successfully"
    assert (data["firstName"], data["lastName"]) == ("Gavin", "Belson")
    assert data["profilePicture"].startswith("http")
    assert held.get(data["profilePicture"]).status_code == 200

    def at_host():
        with runtime.db.read() as session:
            row = session.get(SandboxMailbox, email)
            return row if row.first_name == "Gavin" and row.picture_sha256 else None

    row = wait_until(at_host)
    assert row.last_name == "Belson"


def test_update_one_name_keeps_the_other(held, holdings, runtime):
    email = holdings.mailboxes[2]
    mailbox_id = _ids(runtime, [email])[email]
    before = held.get("/mailboxes/details", params={"userId": holdings.user_id, "mailboxId": mailbox_id}).json()["data"]
    data = held.patch("/mailboxes", params={"userId": holdings.user_id}, json={"mailboxId": mailbox_id, "lastName": "Hooli"}).json()["data"]
    assert (data["firstName"], data["lastName"]) == (before["firstName"], "Hooli")


def test_update_names_every_bad_field(held, holdings, runtime):
    email = holdings.mailboxes[3]
    mailbox_id = _ids(runtime, [email])[email]
    response = held.patch(
        "/mailboxes",
        json={"userId": holdings.user_id, "mailboxId": mailbox_id, "firstName": "", "lastName": "x" * 61, "profilePicture": "bm90IGFuIGltYWdl", "username": "-new"},
    )
    assert response.status_code == 400
    assert field_errors(response) == {
        "username": LOCAL_PART_RULE,
        "firstName": "Field is required",
        "lastName": "Must be at most 60 characters",
        "profilePicture": "Must be a valid PNG or JPEG image",
    }
    nothing = held.patch("/mailboxes", json={"userId": holdings.user_id, "mailboxId": mailbox_id})
    assert field_errors(nothing) == {"body": "Send at least one of username, firstName, lastName, profilePicture"}


def test_another_reseller_cannot_read_the_mailbox(reseller, holdings, runtime):
    email = holdings.mailboxes[0]
    response = reseller.get("/mailboxes/details", params={"userId": holdings.user_id, "mailboxId": _ids(runtime, [email])[email]})
    assert response.status_code == 404 and field_errors(response) == {"userId": "No such user"}


def test_a_user_holding_domains_cannot_be_deleted(held, holdings):
    response = held.delete("/users", params={"userId": holdings.other_user_id})
    assert response.status_code == 409
    assert response.json()["data"]["code"] == "user_has_services"
    assert field_errors(response) == {"userId": "User still has domains or mailboxes"}
