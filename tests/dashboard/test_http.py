"""The dashboard through plain HTTP against the live app: signing in and out, the session cookie,
CSRF on every form, throttled sign-in, pages of one account never shown to another, credentials
only on request, and an order paid once however often its form is sent."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest
from markupsafe import escape

from mailwright.operators import service as operators
from mailwright.wallet import service as wallet
from tests.conftest import OWNER, Cli, Customer, LiveServer, unique, wait_for_order, wait_until
from tests.dashboard.http import IDEMPOTENCY, csrf_of, post_form, sign_in, signed_in

# Pages over the services the API uses, which are tested on both backends; the dashboard's own
# session rows are plain inserts and deletes.
pytestmark = pytest.mark.backend_independent


@pytest.fixture(scope="module")
def shop(server: LiveServer, runtime, request) -> dict[str, object]:
    """An account with one completed order: a domain and a live mailbox."""
    from mailwright.accounts import service as accounts
    from mailwright.money import Money

    with runtime.db.write() as session:
        account, key = accounts.create_account(session, "Dashboard shop", "USD", credit=Money(100_000, "USD"))
    api = httpx.Client(base_url=server.base_url, headers={"x-api-key": key}, timeout=30)
    api.post("/rest/v2/domains/owner", json=OWNER).raise_for_status()
    domain = f"{unique('dash')}.com"
    email = f"richard@{domain}"
    placed = api.post("/rest/v2/domains/order", json={
        "provider": "MAILDOSO", "domains": [domain],
        "mailboxes": [{"first_name": "Richard", "last_name": "Hendricks", "email": email}],
    })
    assert placed.status_code == 202, placed.text
    assert wait_for_order(api, placed.json()["order_id"])["status"] == "completed"
    password = api.get(f"/rest/v2/domains/{domain}/mailboxes/{email}").json()["smtp_password"]
    return {"key": key, "domain": domain, "email": email, "password": password, "account_id": account.id}


def test_signing_in_with_an_api_key_sets_an_httponly_lax_expiring_cookie(server: LiveServer, account: Customer) -> None:
    client, answer = sign_in(server.base_url, account.api_key)
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("mw_dashboard=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=43200" in cookie and "Path=/dashboard" in cookie
    assert "Secure" not in cookie  # MAILWRIGHT_PUBLIC_URL is not https here
    overview = client.get("/dashboard")
    assert overview.status_code == 200
    assert '<p class="balance" id="balance">1000.00 USD</p>' in overview.text
    assert "Opening credit" in overview.text
    assert ">Sign out</button>" in overview.text
    assert overview.headers["content-security-policy"].startswith("default-src 'self'")


def test_the_cookie_is_secure_behind_https(make_server, account: Customer) -> None:
    live = make_server(public_url="https://mail.example.com")
    form = httpx.get(f"{live.base_url}/dashboard/sign-in", timeout=30)
    assert "Secure" in form.headers["set-cookie"]
    # A client sends a Secure cookie only over https: this one is handed over by hand.
    token = csrf_of(form.text)
    answer = httpx.post(f"{live.base_url}/dashboard/sign-in", data={"key": account.api_key, "csrf_token": token},
                        headers={"cookie": f"mw_dashboard_signin={token}"}, timeout=30)
    assert answer.status_code == 303
    assert "Secure" in answer.headers["set-cookie"]


def test_every_page_has_a_sign_out_control_and_a_labelled_key_field(server: LiveServer, shop: dict[str, object]) -> None:
    client = signed_in(server.base_url, str(shop["key"]))
    for path in ("/dashboard", "/dashboard/domains", f"/dashboard/domains/{shop['domain']}",
                 f"/dashboard/domains/{shop['domain']}/mailboxes/{shop['email']}", "/dashboard/order?query=pied+piper", "/dashboard/downloads"):
        html = client.get(path).text
        assert ">Sign out</button>" in html, path
        assert re.search(r'<form method="post" action="/dashboard/sign-out"[^>]*>\s*<input type="hidden" name="csrf_token"', html), path
    form = httpx.get(f"{server.base_url}/dashboard/sign-in", timeout=30).text
    assert '<label for="key">API key</label>' in form


def test_a_page_without_a_session_sends_the_browser_to_sign_in(anon: httpx.Client) -> None:
    answer = anon.get("/dashboard/domains")
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/sign-in"


def test_a_wrong_key_is_refused_and_sign_in_attempts_are_throttled(make_server) -> None:
    live = make_server(auth_failures_per_minute=1, auth_failures_burst=2)
    for _ in range(2):
        _, answer = sign_in(live.base_url, "mw_not-a-key")
        assert answer.status_code == 401 and "That key is not valid" in answer.text
        assert "mw_dashboard=" not in answer.headers.get("set-cookie", "")
    _, answer = sign_in(live.base_url, "mw_not-a-key")
    assert answer.status_code == 429
    assert int(answer.headers["retry-after"]) >= 1
    assert "Too many failed sign-ins" in answer.text


def test_a_form_without_its_csrf_token_is_refused(server: LiveServer, account: Customer) -> None:
    # The sign-in form: its token must match the cookie given with the form.
    anon = httpx.Client(base_url=server.base_url, timeout=30)
    refused = anon.post("/dashboard/sign-in", data={"key": account.api_key})
    assert refused.status_code == 403 and "mw_dashboard=" not in refused.headers.get("set-cookie", "")
    # A signed-in form: sign-out without the token does not sign out.
    client = signed_in(server.base_url, account.api_key)
    assert client.post("/dashboard/sign-out", data={}).status_code == 403
    assert client.post("/dashboard/sign-out", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/dashboard").status_code == 200


def test_the_session_cookie_is_refused_after_sign_out(server: LiveServer, account: Customer) -> None:
    client = signed_in(server.base_url, account.api_key)
    cookie = client.cookies["mw_dashboard"]
    token = csrf_of(client.get("/dashboard").text)
    out = client.post("/dashboard/sign-out", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/dashboard/sign-in"
    replayed = httpx.Client(base_url=server.base_url, cookies={"mw_dashboard": cookie}, timeout=30)
    assert replayed.get("/dashboard").status_code == 303
    assert replayed.post("/dashboard/sign-out", data={"csrf_token": token}).status_code == 303


def test_another_accounts_domain_and_mailbox_pages_are_not_found(server: LiveServer, shop: dict[str, object], account: Customer) -> None:
    owner = signed_in(server.base_url, str(shop["key"]))
    other = signed_in(server.base_url, account.api_key)
    domain_page = f"/dashboard/domains/{shop['domain']}"
    mailbox_page = f"{domain_page}/mailboxes/{shop['email']}"
    assert owner.get(domain_page).status_code == 200
    assert owner.get(mailbox_page).status_code == 200
    for path in (domain_page, mailbox_page):
        answer = other.get(path)
        assert answer.status_code == 404 and "Domain not found" in answer.text and ">Sign out</button>" in answer.text
        assert str(shop["domain"]) not in answer.text.replace(path, "")
    token = csrf_of(other.get("/dashboard").text)
    revealed = other.post(f"{mailbox_page}/reveal", data={"csrf_token": token})
    assert revealed.status_code == 404 and str(shop["password"]) not in revealed.text
    assert str(shop["domain"]) not in other.get("/dashboard/domains").text


def test_credentials_are_in_the_page_only_once_revealed(server: LiveServer, shop: dict[str, object]) -> None:
    client = signed_in(server.base_url, str(shop["key"]))
    page = f"/dashboard/domains/{shop['domain']}/mailboxes/{shop['email']}"
    before = client.get(page)
    assert before.status_code == 200 and "Show credentials" in before.text
    assert str(shop["password"]) not in before.text and 'id="otp"' not in before.text
    assert client.post(f"{page}/reveal", data={}).status_code == 403  # the reveal is a form, CSRF-checked
    revealed = post_form(client, page, f"{page}/reveal")
    assert revealed.status_code == 200
    assert f'<dd id="password">{shop["password"]}</dd>' in revealed.text
    assert re.search(r'<span class="code" id="otp">\d{6}</span>', revealed.text)
    seconds = int(re.search(r'data-countdown="(\d+)"', revealed.text).group(1))
    assert 1 <= seconds <= 30
    code = post_form(client, page, f"{page}/code")
    assert code.status_code == 200 and re.search(r'id="otp">\d{6}<', code.text)


def test_the_domain_page_shows_every_record_with_its_state_and_the_mailboxes(server: LiveServer, shop: dict[str, object], runtime) -> None:
    from mailwright.dns import service as dns
    from mailwright.domains import service as domains

    with runtime.db.read() as session:
        domain = domains.get_domain(session, str(shop["account_id"]), str(shop["domain"]))
        records = dns.records_of(session, domain.id)
    html = signed_in(server.base_url, str(shop["key"])).get(f"/dashboard/domains/{shop['domain']}").text
    assert '<strong class="status-ready" id="domain-status">ready</strong>' in html
    rows = re.findall(r"<tr><td>(\w+)</td><td>([A-Z]+)</td><td>([^<]+)</td>", html)
    assert len(rows) == len(records) > 0
    assert html.count('<span class="ok">verified</span>') == len(records)
    assert f">{shop['email']}</a> (Richard Hendricks):" in html


def test_the_domains_list_is_searched_filtered_and_paged(server: LiveServer, shop: dict[str, object]) -> None:
    client = signed_in(server.base_url, str(shop["key"]))
    label = str(shop["domain"]).split(".")[0]
    assert f">{shop['domain']}</a>" in client.get("/dashboard/domains", params={"q": label[-6:]}).text
    assert "No domain matches" in client.get("/dashboard/domains", params={"q": "nothing-like-it"}).text
    assert "No domain matches" in client.get("/dashboard/domains", params={"status": "failed"}).text
    assert "1 domain, page 1 of 1" in client.get("/dashboard/domains", params={"status": "ready"}).text
    assert client.get("/dashboard/domains", params={"page": 0}).status_code == 422
    overview = client.get("/dashboard").text
    assert '<li><a href="/dashboard/domains?status=ready">1 ready</a></li>' in overview
    assert "<li>1 mailboxes live</li>" in overview and "No order is being provisioned." in overview


def test_without_a_domain_owner_the_order_form_leads_to_the_owner_form(server: LiveServer, account: Customer) -> None:
    client = signed_in(server.base_url, account.api_key)
    search = client.get("/dashboard/order", params={"query": "big head"})
    domain = re.findall(r'name="domain" value="([^"]+\.com)"', search.text)[0]
    form = {"domain": domain, "provider": "MAILDOSO", "first_name": "Nelson", "last_name": "Bighetti", "pattern": "first"}
    refused = client.post("/dashboard/order/review", data={"csrf_token": csrf_of(search.text), **form})
    assert refused.status_code == 422 and 'href="/dashboard/order/owner"' in refused.text
    bad = post_form(client, "/dashboard/order/owner", "/dashboard/order/owner", OWNER | {"email": "not-an-address"})
    assert bad.status_code == 422 and "Email:" in bad.text
    saved = post_form(client, "/dashboard/order/owner", "/dashboard/order/owner", OWNER)
    assert saved.status_code == 200 and 'id="owner-saved"' in saved.text
    review = client.post("/dashboard/order/review", data={"csrf_token": csrf_of(saved.text), **form})
    assert review.status_code == 200 and '<td class="num" id="total">17.00 USD</td>' in review.text


def test_an_order_form_sent_twice_pays_once(server: LiveServer, account: Customer, runtime) -> None:
    httpx.post(f"{server.base_url}/rest/v2/domains/owner", json=OWNER, headers=account.headers, timeout=30).raise_for_status()
    client = signed_in(server.base_url, account.api_key)
    search = client.get("/dashboard/order", params={"query": "hooli cloud"})
    assert search.status_code == 200
    names = re.findall(r'name="domain" value="([^"]+\.com)"', search.text)
    assert names, search.text
    domain = names[0]
    review = client.post("/dashboard/order/review", data={
        "csrf_token": csrf_of(search.text), "domain": domain, "provider": "MAILDOSO",
        "first_name": "Gavin", "last_name": "Belson", "pattern": ["first", "f.last"],
    })
    assert review.status_code == 200, review.text
    # The price book's figures: a .com year 13.00, two MAILDOSO mailboxes 4.00 each.
    assert '<td class="num" id="total">21.00 USD</td>' in review.text
    assert f"gavin@{domain}" in review.text and f"g.belson@{domain}" in review.text
    form = {
        "csrf_token": csrf_of(review.text), "idempotency_key": IDEMPOTENCY.search(review.text).group(1),
        "domain": domain, "provider": "MAILDOSO", "first_name": "Gavin", "last_name": "Belson", "pattern": ["first", "f.last"],
    }
    first, second = client.post("/dashboard/order/place", data=form), client.post("/dashboard/order/place", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert first.headers["location"].startswith("/dashboard/orders/")
    with runtime.db.read() as session:
        from mailwright.accounts.models import Account

        assert wallet.balance(session, session.get(Account, account.id)).decimal == "979.00"
    progress = client.get(first.headers["location"])
    assert progress.status_code == 200 and domain in progress.text


def test_an_order_beyond_the_wallet_says_how_much_is_missing(server: LiveServer, make_account) -> None:
    poor = make_account(credit="5.00")
    httpx.post(f"{server.base_url}/rest/v2/domains/owner", json=OWNER, headers=poor.headers, timeout=30).raise_for_status()
    client = signed_in(server.base_url, poor.api_key)
    search = client.get("/dashboard/order", params={"query": "erlich aviato"})
    domain = re.findall(r'name="domain" value="([^"]+\.com)"', search.text)[0]
    review = client.post("/dashboard/order/review", data={
        "csrf_token": csrf_of(search.text), "domain": domain, "provider": "MAILDOSO",
        "first_name": "Erlich", "last_name": "Bachman", "pattern": "first",
    })
    assert review.status_code == 200
    assert "12.00 USD is missing" in review.text


def test_operators_sign_in_with_an_operator_key_and_customers_never_see_operator_pages(
    server: LiveServer, cli: Cli, account: Customer, runtime
) -> None:
    created = cli.json("operators", "create-key")
    assert set(created) == {"key_id", "operator_key"}
    client, answer = sign_in(server.base_url, created["operator_key"])
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/operator/accounts"
    accounts_page = client.get("/dashboard/operator/accounts", params={"q": account.id})
    assert accounts_page.status_code == 200 and account.id in accounts_page.text
    assert client.get("/dashboard/domains").status_code == 404
    customer = signed_in(server.base_url, account.api_key)
    for path in ("/dashboard/operator/accounts", "/dashboard/operator/work", "/dashboard/operator/providers"):
        assert customer.get(path).status_code == 404, path
    # Revoking the key ends its sessions at once.
    with runtime.db.write() as session:
        operators.revoke_key(session, created["key_id"])
    assert client.get("/dashboard/operator/accounts").status_code == 303


def operator_key(runtime) -> str:
    with runtime.db.write() as session:
        return operators.create_key(session)[1]


def test_an_operator_credits_a_wallet_and_creates_and_revokes_keys(server: LiveServer, account: Customer, runtime) -> None:
    operator = signed_in(server.base_url, operator_key(runtime))
    page = f"/dashboard/operator/accounts/{account.id}"
    credited = post_form(operator, page, f"{page}/credit", {"amount": "25.50", "description": "Goodwill"})
    assert credited.status_code == 303
    html = operator.get(page).text
    assert '<p class="balance" id="balance">1025.50 USD</p>' in html and "Goodwill" in html
    refused = post_form(operator, page, f"{page}/credit", {"amount": "-3"})
    assert refused.status_code == 422 and "Amount:" in refused.text
    made = post_form(operator, page, f"{page}/keys")
    new_key = re.search(r'<code id="new-key">([^<]+)</code>', made.text).group(1)
    customer = signed_in(server.base_url, new_key)
    key_id = re.findall(rf'{page}/keys/(\w+)/revoke', operator.get(page).text)[-1]
    assert post_form(operator, page, f"{page}/keys/{key_id}/revoke").status_code == 303
    assert customer.get("/dashboard").status_code == 303  # its session ended with the key


def test_credentials_download_as_csv_in_the_export_formats_and_never_another_accounts(
    server: LiveServer, shop: dict[str, object], account: Customer
) -> None:
    client = signed_in(server.base_url, str(shop["key"]))
    assert client.post("/dashboard/downloads", data={"format": "generic"}).status_code == 403  # CSRF
    generic = post_form(client, "/dashboard/downloads", "/dashboard/downloads", {"format": "generic", "domain": shop["domain"]})
    assert generic.status_code == 200 and generic.headers["content-type"] == "text/csv; charset=utf-8"
    assert generic.headers["content-disposition"].startswith('attachment; filename="mailwright-generic-')
    lines = generic.text.splitlines()
    assert lines[0].startswith('"email","first_name","last_name","password"')
    assert lines[1].startswith(f'"{shop["email"]}","Richard","Hendricks","{shop["password"]}"') and len(lines) == 2
    instantly = post_form(client, "/dashboard/downloads", "/dashboard/downloads", {"format": "instantly"})
    assert instantly.status_code == 200 and str(shop["email"]) in instantly.text
    unknown = post_form(client, "/dashboard/downloads", "/dashboard/downloads", {"format": "excel"})
    assert unknown.status_code == 422 and "Format: Must be one of: instantly, smartlead, woodpecker, generic" in unknown.text
    other = signed_in(server.base_url, account.api_key)
    refused = post_form(other, "/dashboard/downloads", "/dashboard/downloads", {"format": "generic", "domain": shop["domain"]})
    assert refused.status_code == 404 and str(shop["password"]) not in refused.text
    mine = post_form(other, "/dashboard/downloads", "/dashboard/downloads", {"format": "generic"})
    assert mine.status_code == 200 and mine.text.count("\n") == 1  # the header row only


def bulk_file(*lines: str) -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("mailboxes.csv", ("domain,first_name,last_name,email\n" + "\n".join(lines) + "\n").encode(), "text/csv")}


def test_a_bulk_order_lists_every_problem_by_line_before_paying_then_pays_once(
    server: LiveServer, account: Customer, runtime
) -> None:
    from mailwright.accounts.models import Account

    client = signed_in(server.base_url, account.api_key)
    httpx.post(f"{server.base_url}/rest/v2/domains/owner", json=OWNER, headers=account.headers, timeout=30).raise_for_status()
    good, taken = f"{unique('bulk')}.com", f"taken{unique('b')}.com"
    token = csrf_of(client.get("/dashboard/order/bulk").text)
    refused = client.post("/dashboard/order/bulk/review", data={"csrf_token": token, "provider": "MAILDOSO"}, files=bulk_file(
        f"{good},Dinesh,Chugtai,dinesh@{good}",
        f"{good},Bertram,Gilfoyle",
        f"{good},Jian,Yang,not-an-address",
        f"{taken},Peter,Gregory,peter@{taken}",
    ))
    assert refused.status_code == 422
    problems = re.findall(r"<li>([^<]+)</li>", refused.text)
    assert problems[0] == "Line 3: 3 cells; each line has 4 (domain,first_name,last_name,email)"
    assert problems[1].startswith("Line 4, email: ") and "not-an-address" in problems[1]
    assert problems[2].startswith(f"Line 5, domain: Domain is not available ({taken})")
    with runtime.db.read() as session:
        assert wallet.balance(session, session.get(Account, account.id)).decimal == "1000.00"  # nothing paid

    review = client.post("/dashboard/order/bulk/review", data={"csrf_token": token, "provider": "MAILDOSO"}, files=bulk_file(
        f"{good},Dinesh,Chugtai,dinesh@{good}", f"{good},Bertram,Gilfoyle,gilfoyle@{good}",
    ))
    assert review.status_code == 200, review.text
    assert '<td class="num" id="total">21.00 USD</td>' in review.text  # 13.00 + 2 x 4.00
    form = {"csrf_token": csrf_of(review.text), "idempotency_key": IDEMPOTENCY.search(review.text).group(1), "provider": "MAILDOSO",
            "csv": unescape(re.search(r'<input type="hidden" name="csv" value="([^"]*)">', review.text).group(1))}
    first, second = client.post("/dashboard/order/bulk/place", data=form), client.post("/dashboard/order/bulk/place", data=form)
    assert first.status_code == second.status_code == 303 and first.headers["location"] == second.headers["location"]
    with runtime.db.read() as session:
        assert wallet.balance(session, session.get(Account, account.id)).decimal == "979.00"
    order_page = client.get(first.headers["location"]).text
    assert f"dinesh@{good}" in order_page and f"gilfoyle@{good}" in order_page


def test_webhooks_and_their_delivery_log_with_every_attempt(server: LiveServer, account: Customer, make_account) -> None:
    api = httpx.Client(base_url=server.base_url, headers=account.headers, timeout=30)
    api.post("/rest/v2/domains/owner", json=OWNER).raise_for_status()
    target = "https://127.0.0.1:9/hooks"  # nothing listens: every attempt fails
    hook = api.post("/rest/v1/webhooks/subscribe", json={"target_url": target, "event": "order.completed"})
    assert hook.status_code == 201, hook.text
    client = signed_in(server.base_url, account.api_key)
    listing = client.get("/dashboard/webhooks").text
    assert f'<a href="/dashboard/webhooks/{hook.json()["id"]}">{target}</a>' in listing
    log_page = f"/dashboard/webhooks/{hook.json()['id']}"
    assert 'No deliveries yet: one is made at the next order.completed event. <a href="/dashboard/webhooks">' in client.get(log_page).text
    domain = f"{unique('hook')}.com"
    placed = api.post("/rest/v2/domains/order", json={"provider": "MAILDOSO", "domains": [domain], "mailboxes": [
        {"first_name": "Russ", "last_name": "Hanneman", "email": f"russ@{domain}"}]})
    assert placed.status_code == 202, placed.text
    wait_for_order(api, placed.json()["order_id"])
    html = wait_until(lambda: (t := client.get(log_page).text) and '<td class="delivery-status">failed</td>' in t and t, timeout=60, interval=0.2)
    attempts = int(re.search(r'<td class="num">(\d+)</td>', html).group(1))
    assert "order.completed" in html and attempts >= 1 and html.count("<li>") == attempts  # each attempt listed
    other = signed_in(server.base_url, make_account().api_key)
    assert other.get(log_page).status_code == 404 and target not in other.get("/dashboard/webhooks").text


def test_a_resellers_users_and_their_domains(server: LiveServer, account: Customer, make_account) -> None:
    reseller = httpx.Client(base_url=f"{server.base_url}/api/v1/integration", headers={"cmr-x-api-key": account.api_key}, timeout=30)
    created = reseller.post("/users", json={
        "email": f"{unique('u')}@example.com", "firstName": "Laurie", "lastName": "Bream", "companyName": "Raviga",
        "phone": "+1.6505550123", "address": "2 Sand Hill Road", "city": "Menlo Park", "state": "CA", "country": "US", "zipCode": "94025",
    })
    assert created.status_code == 201, created.text
    user_id = created.json()["data"]["userId"]
    client = signed_in(server.base_url, account.api_key)
    listing = client.get("/dashboard/users").text
    assert f'<a href="/dashboard/users/{user_id}">Laurie Bream</a>' in listing and "1 user, page 1 of 1" in listing
    assert 'No domains for this user yet. The reseller-style API orders domains for a user:\n  see <a href="/docs">' in client.get(f"/dashboard/users/{user_id}").text
    other = signed_in(server.base_url, make_account().api_key)
    assert other.get(f"/dashboard/users/{user_id}").status_code == 404
    assert "No users yet." in other.get("/dashboard/users").text


def test_a_fresh_accounts_empty_pages_each_say_what_to_do_next_with_a_link(server: LiveServer, account: Customer) -> None:
    client = signed_in(server.base_url, account.api_key)
    order_link = '<a href="/dashboard/order">'
    docs_link = '<a href="/docs">the API documentation</a>'
    expected = {
        "/dashboard": ("No domains yet. " + order_link, "No order is being provisioned. " + order_link),
        "/dashboard/domains": (f'<p id="no-domains">No domains yet. {order_link}Search for names and order some.</a>',),
        "/dashboard/subscriptions": ("No subscriptions yet", f"{order_link}Order domains and mailboxes.</a>"),
        "/dashboard/downloads": ('<p id="no-live-mailboxes">No live mailbox yet', f"{order_link}Order domains and mailboxes.</a>"),
        "/dashboard/webhooks": ('<p id="no-webhooks">No webhooks yet.', "POST /rest/v1/webhooks/subscribe", docs_link),
        "/dashboard/users": ('<p id="no-users">No users yet.', "POST /api/v1/integration/users", docs_link),
    }
    for path, sentences in expected.items():
        html = client.get(path).text
        for sentence in sentences:
            assert sentence in html, f"{path} lacks {sentence!r}"
    assert httpx.get(f"{server.base_url}/docs", timeout=30).status_code == 200  # where the links lead


def test_subscriptions_show_the_next_charge_and_switch_auto_renew_and_cancel(server: LiveServer, shop: dict[str, object], account: Customer) -> None:
    """Last in this file: it cancels the shop's subscription (at the period end)."""
    client = signed_in(server.base_url, str(shop["key"]))
    html = client.get("/dashboard/subscriptions").text
    row = re.search(r'<tr id="sub-(\w+)">(.*?)</tr>', html, re.S)
    assert row and str(shop["domain"]) in row.group(2)
    sub_id = row.group(1)
    assert '<td class="num next-charge">4.00 USD</td>' in row.group(2)  # one MAILDOSO mailbox a month
    page = "/dashboard/subscriptions"
    assert post_form(client, page, f"{page}/{sub_id}/auto-renew").status_code == 303  # no "on": off
    off = client.get(page).text
    assert "Off: turn on" in off and '<td class="num next-charge">none</td>' in off
    assert post_form(client, page, f"{page}/{sub_id}/auto-renew", {"auto_renew": "on"}).status_code == 303
    assert "On: turn off" in client.get(page).text
    other = signed_in(server.base_url, account.api_key)
    assert post_form(other, page, f"{page}/{sub_id}/cancel").status_code == 404  # not theirs
    assert post_form(client, page, f"{page}/{sub_id}/cancel").status_code == 303
    cancelled = client.get(page).text
    assert "(cancelled)" in cancelled and "Cancel at period end" not in cancelled


def test_work_that_waits_shows_failed_items_with_the_providers_message_and_the_refunds(
    server: LiveServer, account: Customer, runtime
) -> None:
    api = httpx.Client(base_url=server.base_url, headers=account.headers, timeout=30)
    api.post("/rest/v2/domains/owner", json=OWNER).raise_for_status()
    domain = f"fail-register-{unique('w')}.com"  # the sandbox registry refuses it
    placed = api.post("/rest/v2/domains/order", json={"provider": "MAILDOSO", "domains": [domain], "mailboxes": [
        {"first_name": "Jack", "last_name": "Barker", "email": f"jack@{domain}"}]})
    assert placed.status_code == 202, placed.text
    assert wait_for_order(api, placed.json()["order_id"])["status"] == "failed"
    reason = api.get(f"/rest/v2/domains/{domain}").json()["failure_reason"]
    assert reason
    html = signed_in(server.base_url, operator_key(runtime)).get("/dashboard/operator/work").text
    failures = html[html.index('id="failures"'):html.index('id="refunds-h"')]
    assert f"<td>domain</td><td>{domain}</td>" in failures and reason in failures
    refunds = html[html.index('id="refunds"'):]
    amounts = re.findall(rf'{account.id}</a></td><td>[^<]*</td><td class="num">([\d.]+) USD</td>', refunds)
    assert sum(float(a) for a in amounts) == pytest.approx(17.00)  # the domain (13.00) and its mailbox (4.00), paid back


def test_a_profile_picture_is_uploaded_checked_and_shown(server: LiveServer, shop: dict[str, object], account: Customer) -> None:
    import io

    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (64, 64), (20, 120, 200)).save(png, format="PNG")
    client = signed_in(server.base_url, str(shop["key"]))
    page = f"/dashboard/domains/{shop['domain']}/mailboxes/{shop['email']}"
    token = csrf_of(client.get(page).text)
    bad = client.post(f"{page}/picture", data={"csrf_token": token}, files={"picture": ("x.png", b"not a picture", "image/png")})
    assert bad.status_code == 422 and "Picture: " in bad.text
    other = signed_in(server.base_url, account.api_key)
    other_token = csrf_of(other.get("/dashboard").text)
    assert other.post(f"{page}/picture", data={"csrf_token": other_token}, files={"picture": ("p.png", png.getvalue(), "image/png")}).status_code == 404
    done = client.post(f"{page}/picture", data={"csrf_token": token}, files={"picture": ("p.png", png.getvalue(), "image/png")})
    assert done.status_code == 303
    src = re.search(r'<img id="picture" src="([^"]+)"', client.get(page).text).group(1)
    image = client.get(src)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"


def test_an_order_in_flight_with_its_items_done_counted_and_its_parked_items_for_the_operator(
    server: LiveServer, account: Customer, runtime
) -> None:
    api = httpx.Client(base_url=server.base_url, headers=account.headers, timeout=30)
    api.post("/rest/v2/domains/owner", json=OWNER).raise_for_status()
    parked = f"action-{unique('p')}.com"  # the sandbox parks it once (needs a person): it stays in flight
    placed = api.post("/rest/v2/domains/order", json={"provider": "MAILDOSO", "domains": [parked], "mailboxes": [
        {"first_name": "Gavin", "last_name": "Belson", "email": f"gavin@{parked}"},
        {"first_name": "Gavin", "last_name": "Belson", "email": f"gavin.belson@{parked}"}]})
    assert placed.status_code == 202, placed.text
    order_id = placed.json()["order_id"]
    status = wait_until(lambda: (s := api.get(f"/rest/v2/domains/orders/{order_id}").json())["status"] == "needs_action" and s,
                        timeout=60, interval=0.2)
    done = sum(d["status"] in ("ready", "failed") for d in status["domains"]) + sum(m["status"] in ("live", "failed") for m in status["mailboxes"])
    client = signed_in(server.base_url, account.api_key)
    for path in ("/dashboard", "/dashboard/orders/in-flight"):
        html = client.get(path).text
        assert f'<a href="/dashboard/orders/{order_id}">Order {order_id}</a>: needs_action' in html, path
        assert f'<progress max="3" value="{done}"' in html and f"{done} of 3 done" in html, path
    for path in (f"/dashboard/orders/{order_id}", f"/dashboard/orders/{order_id}/progress"):  # the order's own page
        html = client.get(path).text
        assert '<strong id="order-status">needs_action</strong>' in html and f"{done} of 3 done" in html, path
    parked_items = [(d["name"], d["failure_reason"]) for d in status["domains"] + status["mailboxes"] if d["status"] == "needs_action"]
    assert parked_items
    work = signed_in(server.base_url, operator_key(runtime)).get("/dashboard/operator/work").text
    listed = work[work.index(f"<code>{order_id}</code>"):]
    listed = listed[:listed.index("</ul>")]
    assert listed.count("<li>") == len(parked_items) and all(f"<li>{name}: {escape(reason)}</li>" in listed for name, reason in parked_items)


def test_an_orders_page_lists_its_items_a_page_at_a_time(server: LiveServer, account: Customer) -> None:
    api = httpx.Client(base_url=server.base_url, headers=account.headers, timeout=30)
    api.post("/rest/v2/domains/owner", json=OWNER).raise_for_status()
    label = unique("fail-register")  # refused by the sandbox's registry at once: little to provision
    names = [f"{label}-{i:02}.com" for i in range(26)]  # one more than a page
    placed = api.post("/rest/v2/domains/order", json={"provider": "MAILDOSO", "domains": names, "mailboxes": [
        {"first_name": "Nelson", "last_name": "Bighetti", "email": f"nelson@{name}"} for name in names]})
    assert placed.status_code == 202, placed.text
    order_id = placed.json()["order_id"]
    client = signed_in(server.base_url, account.api_key)
    first = client.get(f"/dashboard/orders/{order_id}").text
    assert "26 domains and 26 mailboxes, page 1 of 2" in first and " of 52 done" in first
    assert all(f">{name}</a>" in first for name in names[:25]) and names[25] not in first
    assert f'data-poll="/dashboard/orders/{order_id}/progress?page=1"' in first and 'rel="next" href="?page=2"' in first
    second = client.get(f"/dashboard/orders/{order_id}", params={"page": 2}).text
    assert f">{names[25]}</a>" in second and f"<td>nelson@{names[25]}</td>" in second and names[24] not in second
    assert 'rel="prev" href="?page=1"' in second and 'rel="next"' not in second
    polled = client.get(f"/dashboard/orders/{order_id}/progress", params={"page": 2}).text
    assert f">{names[25]}</a>" in polled and names[0] not in polled
