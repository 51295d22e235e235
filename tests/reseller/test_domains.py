"""A user's domains: listing with the family's pagination, suggestions, one-name checks, web and
email forwarding; other users' and other resellers' domains are never reachable."""

from __future__ import annotations

from mailwright.domains.models import Domain
from mailwright.providers.sandbox.models import SandboxDomain
from tests.conftest import unique, wait_until
from tests.reseller.conftest import field_errors


def _domain_ids(runtime, names):
    with runtime.db.read() as session:
        return {d.name: d.id for d in session.query(Domain).filter(Domain.name.in_(names))}


def test_a_users_domains_page_by_page(held, holdings):
    first = held.get("/domains", params={"userId": holdings.user_id, "limit": 2}).json()
    assert first["status"] == 200 and first["message"] == "Domains fetched successfully"
    assert first["data"]["pagination"] == {"totalSearchedCount": 3, "currentPage": 1, "nextPage": 2, "totalPages": 2}
    second = held.get("/domains", params={"userId": holdings.user_id, "limit": 2, "page": 2}).json()["data"]
    assert second["pagination"] == {"totalSearchedCount": 3, "currentPage": 2, "nextPage": None, "totalPages": 2}
    names = [d["domainName"] for d in first["data"]["domains"] + second["domains"]]
    assert names == holdings.domains
    item = first["data"]["domains"][0]
    assert set(item) == {
        "domainId", "domainName", "userId", "status", "failureReason", "serviceProvider", "years", "autoRenew",
        "expireOn", "forwardTo", "maskForwarding", "emailForwardTo", "mailboxCount", "createdAt",
    }
    assert item["userId"] == holdings.user_id and item["status"] == "READY" and item["mailboxCount"] == 2
    assert item["serviceProvider"] == "GOOGLE" and item["years"] == 1 and item["expireOn"].endswith("Z")


def test_each_user_sees_only_their_domains(held, holdings):
    data = held.get("/domains", params={"userId": holdings.other_user_id}).json()["data"]
    assert [d["domainName"] for d in data["domains"]] == [holdings.other_domain]


def test_listing_needs_a_user_of_this_reseller(held, reseller, holdings):
    missing = held.get("/domains")
    assert missing.status_code == 400 and field_errors(missing) == {"userId": "Field is required"}
    foreign = reseller.get("/domains", params={"userId": holdings.user_id})
    assert foreign.status_code == 404 and field_errors(foreign) == {"userId": "No such user"}


def test_suggest_lists_only_available_names_with_prices(reseller, holdings):
    taken = holdings.domains[0].removesuffix(".com")
    response = reseller.post("/domains/suggest", json={"keyword": taken})
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Domain suggestions fetched successfully"
    names = [d["domain"] for d in body["data"]]
    assert holdings.domains[0] not in names  # held by a Mailwright account
    assert f"{taken}.net" in names
    assert all(d["available"] and d["price"].count(".") == 1 and d["currency"] == "USD" for d in body["data"])


def test_suggest_names_the_bad_keyword(reseller):
    for body, message in (({}, "Field is required"), ({"keyword": "!!!"}, "Must contain letters or digits that can form a domain name")):
        response = reseller.post("/domains/suggest", json=body)
        assert response.status_code == 400
        assert field_errors(response) == {"keyword": message}


def test_check_one_domain(reseller, holdings):
    free = f"{unique('free')}.com"
    response = reseller.post("/domains/check", json={"domain": free.upper()})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["domain"] == free and data["available"] is True and data["currency"] == "USD"
    taken = reseller.post("/domains/check", json={"domain": holdings.domains[0]}).json()["data"]
    assert taken == {"domain": holdings.domains[0], "available": False, "price": None, "currency": None}


def test_check_names_a_bad_domain(reseller):
    assert field_errors(reseller.post("/domains/check", json={})) == {"domain": "Field is required"}
    assert field_errors(reseller.post("/domains/check", json={"domain": "no spaces.com"})) == {"domain": "Valid format is example.com"}


def test_domain_forwarding_reaches_the_dns_host(held, holdings, runtime):
    name = holdings.domains[1]
    domain_id = _domain_ids(runtime, [name])[name]
    response = held.post(
        "/domains/forwarding",
        json={"userId": holdings.user_id, "domainId": domain_id, "forwardTo": "https://example.com/hello", "maskForwarding": True},
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert response.json()["message"] == "Domain forwarding saved successfully"
    assert (data["forwardTo"], data["maskForwarding"]) == ("https://example.com/hello", True)

    def applied():
        with runtime.db.read() as session:
            row = session.get(SandboxDomain, name)
            return row.web_redirect if row and row.web_redirect else None

    assert "https://example.com/hello" in wait_until(applied)
    removed = held.post("/domains/forwarding", params={"userId": holdings.user_id}, json={"domainId": domain_id, "forwardTo": ""})
    assert removed.status_code == 200
    assert (removed.json()["data"]["forwardTo"], removed.json()["data"]["maskForwarding"]) == (None, False)


def test_domain_forwarding_names_every_bad_field(held, holdings, runtime):
    domain_id = _domain_ids(runtime, [holdings.domains[1]])[holdings.domains[1]]
    response = held.post(
        "/domains/forwarding",
        json={"userId": holdings.user_id, "domainId": domain_id, "forwardTo": "ftp://x", "maskForwarding": "yes"},
    )
    assert response.status_code == 400
    assert field_errors(response) == {"forwardTo": "Valid format is https://example.com", "maskForwarding": "Must be true or false"}
    missing = held.post("/domains/forwarding", json={"userId": holdings.user_id, "forwardTo": "https://example.com"})
    assert field_errors(missing) == {"domainId": "Field is required"}


def test_email_forwarding(held, holdings, runtime):
    name = holdings.domains[2]
    domain_id = _domain_ids(runtime, [name])[name]
    response = held.post("/domains/email-forwarding", json={"userId": holdings.user_id, "domainId": domain_id, "forwardTo": "Inbox@Example.com"})
    assert response.status_code == 200
    assert response.json()["data"]["emailForwardTo"] == "Inbox@example.com"

    def applied():
        with runtime.db.read() as session:
            row = session.get(SandboxDomain, name)
            return row.forward_to if row else None

    assert wait_until(applied) == "Inbox@example.com"
    bad = held.post("/domains/email-forwarding", json={"userId": holdings.user_id, "domainId": domain_id, "forwardTo": "nope"})
    assert field_errors(bad) == {"forwardTo": "Valid format is email@example.com"}


def test_another_users_domain_is_not_found(held, holdings, runtime):
    other_id = _domain_ids(runtime, [holdings.other_domain])[holdings.other_domain]
    response = held.post("/domains/email-forwarding", json={"userId": holdings.user_id, "domainId": other_id, "forwardTo": ""})
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "message": "Domain not found",
        "data": {
            "code": "not_found",
            "errors": [{"field": "domainId", "message": "No such domain of this user"}],
            "requestId": response.headers["x-request-id"],
        },
    }


def test_another_resellers_cannot_touch_the_domain(reseller, holdings, runtime):
    name = holdings.domains[0]
    domain_id = _domain_ids(runtime, [name])[name]
    response = reseller.post("/domains/forwarding", json={"userId": holdings.user_id, "domainId": domain_id, "forwardTo": ""})
    assert response.status_code == 404
    assert field_errors(response) == {"userId": "No such user"}
