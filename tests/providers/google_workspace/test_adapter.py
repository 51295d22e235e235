"""The Google Workspace MailboxHost called directly against the loopback emulator of Google's
token endpoint, Directory, Site Verification and Gmail settings APIs (one per module), with a
real DNS server on loopback serving the verification TXT records Google looks up."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.name
import dns.zone
import pytest

from mailwright.config import Settings, SettingProblem
from mailwright.dns.zone import build_zone
from mailwright.providers.base import Capability, NeedsActionError, ProviderError, RecordSpec, RetriableError, TerminalError
from mailwright.providers.google_workspace import GoogleWorkspaceHost
from mailwright.providers.registry import build_providers
from mailwright.providers.sandbox.dns_server import SandboxDnsServer
from tests.conftest import unique
from tests.providers.google_workspace.emulator import (
    DEFAULT_GRANT,
    DOMAIN_SCOPE,
    GMAIL_SETTINGS_BASIC,
    GoogleWorkspaceEmulator,
    ServiceAccount,
    error_body,
)

# No database of the backend under test: runs once (tests/run.py).
pytestmark = pytest.mark.backend_independent

FIXTURES = Path(__file__).parent / "fixtures"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 3
PASSWORD = "Pw-" + "s3cret-mailbox-password"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def same_error(body: dict[str, Any], documented: dict[str, Any]) -> bool:
    """Google's v1 error bodies, the `status` member aside (newer answers add it)."""
    strip = lambda b: {k: v for k, v in b["error"].items() if k != "status"}  # noqa: E731
    return strip(body) == strip(documented)


class Zones:
    """Real DNS on loopback: the records a test publishes, per domain."""

    def __init__(self) -> None:
        self.records: dict[str, list[RecordSpec]] = {}
        self.server = SandboxDnsServer(self.zone_for)
        self.port = self.server.start()

    def zone_for(self, qname: dns.name.Name) -> dns.zone.Zone | None:
        for domain, records in list(self.records.items()):
            if qname.is_subdomain(dns.name.from_text(domain)):
                return build_zone(domain, records, ["ns1.dns.test."])
        return None


@pytest.fixture(scope="module")
def zones() -> Iterator[Zones]:
    served = Zones()
    yield served
    served.server.stop()


@pytest.fixture(scope="module")
def google(zones: Zones) -> Iterator[GoogleWorkspaceEmulator]:
    emulator = GoogleWorkspaceEmulator(dns_server=("127.0.0.1", zones.port)).start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def account(google: GoogleWorkspaceEmulator, tmp_path_factory: pytest.TempPathFactory) -> ServiceAccount:
    return google.add_service_account(tmp_path_factory.mktemp("google") / "key.json")


@pytest.fixture(autouse=True)
def clean(google: GoogleWorkspaceEmulator) -> Iterator[None]:
    google.reset_faults()
    yield
    google.reset_faults()
    google.page_size, google.token_lifetime, google.verify_lag = 3, 3599, 0
    google.secondary_domains_allowed = True


def host_for(google: GoogleWorkspaceEmulator, key_file: Path, **overrides: Any) -> GoogleWorkspaceHost:
    return GoogleWorkspaceHost.from_settings(Settings(**(google.settings(key_file) | overrides)))


@pytest.fixture(scope="module")
def host(google: GoogleWorkspaceEmulator, account: ServiceAccount) -> Iterator[GoogleWorkspaceHost]:
    adapter = host_for(google, account.key_file)
    yield adapter
    adapter.close()


def verified_domain(google: GoogleWorkspaceEmulator, zones: Zones, host: GoogleWorkspaceHost) -> str:
    domain = unique("gw") + ".com"
    records = host.add_domain(domain)
    zones.records[domain] = list(records)
    host.verify_domain(domain)
    return domain


# ------------------------------------------------------------------ settings


def test_settings_missing_or_wrong_name_the_variable(google: GoogleWorkspaceEmulator, account: ServiceAccount, tmp_path: Path) -> None:
    base = google.settings(account.key_file) | {"database_url": f"sqlite:///{tmp_path / 'settings.db'}", "sandbox_dns_port": 0}

    def problem(**changes: Any) -> SettingProblem:
        with pytest.raises(SettingProblem) as caught:
            GoogleWorkspaceHost.from_settings(Settings(**(base | changes)), "GOOGLE")
        return caught.value

    missing = problem(google_service_account_file="")
    assert missing.setting == "MAILWRIGHT_GOOGLE_SERVICE_ACCOUNT_FILE" and "google_workspace" in missing.message
    absent = problem(google_service_account_file=str(tmp_path / "nowhere.json"))
    assert absent.setting == "MAILWRIGHT_GOOGLE_SERVICE_ACCOUNT_FILE" and "does not exist" in absent.message
    unreadable = problem(google_service_account_file=str(tmp_path))  # a directory: cannot be read as a file
    assert unreadable.setting == "MAILWRIGHT_GOOGLE_SERVICE_ACCOUNT_FILE" and "cannot be read" in unreadable.message
    (tmp_path / "junk.json").write_text("not json")
    assert "is not JSON" in problem(google_service_account_file=str(tmp_path / "junk.json")).message
    key = json.loads(account.key_file.read_text())
    (tmp_path / "user.json").write_text(json.dumps(key | {"type": "authorized_user"}))
    wrong_type = problem(google_service_account_file=str(tmp_path / "user.json"))
    assert "not a service account key" in wrong_type.message and "PRIVATE KEY" not in wrong_type.message
    (tmp_path / "broken.json").write_text(json.dumps(key | {"private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}))
    broken = problem(google_service_account_file=str(tmp_path / "broken.json"))
    assert broken.setting == "MAILWRIGHT_GOOGLE_SERVICE_ACCOUNT_FILE" and "private key" in broken.message and "AAAA" not in broken.message
    assert problem(google_admin_email="").setting == "MAILWRIGHT_GOOGLE_ADMIN_EMAIL"
    assert problem(google_admin_email="admin").setting == "MAILWRIGHT_GOOGLE_ADMIN_EMAIL"
    assert problem(google_directory_base="admin.googleapis.com").setting == "MAILWRIGHT_GOOGLE_DIRECTORY_BASE"
    providers = build_providers(Settings(**base))
    try:
        adapter = providers.mailbox_host("GOOGLE")
        assert isinstance(adapter, GoogleWorkspaceHost) and adapter.provider == "GOOGLE"
        assert providers.mailbox_host_names["GOOGLE"] == "google_workspace"
        assert GoogleWorkspaceHost.SUPPORTS == {Capability.HOST_DOMAINS, Capability.MAILBOXES, Capability.PROFILE_PHOTOS}
        assert GoogleWorkspaceHost.STEP_RATE == (60, 60)
    finally:
        providers.close()


# ------------------------------------------------------------------ check and tokens


def test_probe_names_the_scopes_granted_and_the_domains(google: GoogleWorkspaceEmulator, host: GoogleWorkspaceHost, account: ServiceAccount) -> None:
    sentence = host.probe()
    assert sentence.startswith(f"Service account {account.client_email} acting as {google.admin_email}: scopes ")
    for scope in ("admin.directory.user", "admin.directory.domain", "siteverification", "gmail.settings.basic"):
        assert scope in sentence
    assert f"{len(google.domains)} domain" in sentence
    # One token per scope, each with the admin as subject, signed and addressed as Google asks
    # (then the admin's token for the domains list).
    asked = google.token_requests_for(google.admin_email)[-5:-1]
    assert sorted(c["scope"] for c in asked) == sorted(DEFAULT_GRANT)
    assert {c["aud"] for c in asked} == {"https://oauth2.googleapis.com/token"} and {c["iss"] for c in asked} == {account.client_email}


def test_a_scope_not_granted_is_named_with_where_to_grant_it(google: GoogleWorkspaceEmulator, tmp_path: Path) -> None:
    lacking = google.add_service_account(tmp_path / "lacking.json", scopes=DEFAULT_GRANT - {GMAIL_SETTINGS_BASIC, DOMAIN_SCOPE})
    adapter = host_for(google, lacking.key_file)
    with pytest.raises(NeedsActionError) as probe:
        adapter.probe()
    text = str(probe.value)
    assert "granted: admin.directory.user, siteverification" in text
    assert "admin.directory.domain, gmail.settings.basic" in text and lacking.client_id in text
    assert "Security → Access and data control → API controls → Domain-wide delegation" in text
    assert "https://www.googleapis.com/auth/gmail.settings.basic" in text
    # A call's token asks for the admin's three scopes at once; the refusal names the missing one.
    with pytest.raises(NeedsActionError) as call:
        adapter.add_domain(unique("gw") + ".com")
    assert "admin.directory.domain" in str(call.value) and "gmail" not in str(call.value).split("(")[0]


def test_an_api_refusing_the_token_scope_names_the_scope(google: GoogleWorkspaceEmulator, host: GoogleWorkspaceHost) -> None:
    body = fixture("error_insufficient_permissions.json")
    assert same_error(error_body(403, "insufficientPermissions", body["error"]["message"]), body)
    google.fail_next(403, "insufficientPermissions", path="/users/")
    with pytest.raises(NeedsActionError) as caught:
        host.find_mailbox(f"nobody@{google.primary_domain}")
    assert "admin.directory.user" in str(caught.value) and "Domain-wide delegation" in str(caught.value)


def test_token_is_kept_until_it_nears_expiry_then_fetched_anew(google: GoogleWorkspaceEmulator, account: ServiceAccount) -> None:
    google.token_lifetime = 1
    adapter = host_for(google, account.key_file)
    before = len(google.token_requests_for(google.admin_email))
    admin = f"{google.admin_email}"
    assert adapter.find_mailbox(admin) is not None
    assert adapter.find_mailbox(admin) is not None
    assert len(google.token_requests_for(google.admin_email)) == before + 1  # kept between calls
    time.sleep(0.95)  # a one-second token is renewed a tenth of its life before it expires
    assert adapter.find_mailbox(admin) is not None
    assert len(google.token_requests_for(google.admin_email)) == before + 2
    # Google forgets a token early (401 with its body): one new token, one more try.
    google.token_lifetime = 3599
    other = host_for(google, account.key_file)
    other.find_mailbox(admin)
    google.expire_tokens()
    assert other.find_mailbox(admin) is not None
    assert len(google.token_requests_for(google.admin_email)) == before + 4


def test_token_endpoint_refusals_say_what_to_fix(google: GoogleWorkspaceEmulator, tmp_path: Path) -> None:
    revoked = google.add_service_account(tmp_path / "revoked.json")
    google.revoke_key(revoked.client_email)
    with pytest.raises(NeedsActionError) as key:
        host_for(google, revoked.key_file).find_mailbox(google.admin_email)
    assert "deleted or revoked" in str(key.value) and "MAILWRIGHT_GOOGLE_SERVICE_ACCOUNT_FILE" in str(key.value)
    fine = google.add_service_account(tmp_path / "fine.json")
    with pytest.raises(NeedsActionError) as admin:
        host_for(google, fine.key_file, google_admin_email="nobody@" + google.primary_domain).find_mailbox(google.admin_email)
    assert "MAILWRIGHT_GOOGLE_ADMIN_EMAIL" in str(admin.value) and "Invalid email or User ID" in str(admin.value)
    # A throttled or failing token endpoint is retried by the workflow, at once, without sleeping here.
    adapter = host_for(google, fine.key_file)
    google.fail_token_next(503, "internal_failure", "Backend Error")
    started = time.monotonic()
    with pytest.raises(RetriableError):
        adapter.find_mailbox(google.admin_email)
    assert time.monotonic() - started < 1.0
    assert adapter.find_mailbox(google.admin_email) is not None


# ------------------------------------------------------------------ errors


def test_throttling_is_retriable_with_retry_after(google: GoogleWorkspaceEmulator, host: GoogleWorkspaceHost) -> None:
    someone = f"someone@{google.primary_domain}"
    google.fail_next(429, "rateLimitExceeded", retry_after=7, path="/users/")
    with pytest.raises(RetriableError) as limited:
        host.find_mailbox(someone)
    assert limited.value.retry_after == 7
    assert same_error(error_body(403, "userRateLimitExceeded", "User Rate Limit Exceeded", "usageLimits"), fixture("error_user_rate_limit.json"))
    google.fail_next(403, "userRateLimitExceeded", path="/users/")
    with pytest.raises(RetriableError) as user_limit:
        host.find_mailbox(someone)
    assert "userRateLimitExceeded" in str(user_limit.value)
    google.fail_next(403, "quotaExceeded", retry_after=5, path="/users/")
    with pytest.raises(RetriableError) as quota:
        host.find_mailbox(someone)
    assert quota.value.retry_after == 5
    assert same_error(error_body(503, "backendError", "Backend Error"), fixture("error_backend.json"))
    google.fail_next(503, "backendError", retry_after=3, path="/users/")
    with pytest.raises(RetriableError) as backend:
        host.find_mailbox(someone)
    assert backend.value.retry_after == 3
    assert host.find_mailbox(someone) is None  # and then it answers


def test_other_refusals_are_terminal_in_googles_words_or_park(google: GoogleWorkspaceEmulator, host: GoogleWorkspaceHost) -> None:
    google.fail_next(400, "invalid", "Invalid Input: primary_user_email", path="/users")
    with pytest.raises(TerminalError) as invalid:
        host.create_mailbox(f"x@{google.primary_domain}", "X", "Y", PASSWORD, "k-invalid")
    assert "Invalid Input: primary_user_email" in str(invalid.value)
    google.fail_next(403, "accessNotConfigured", path="/users/")
    with pytest.raises(NeedsActionError) as disabled:
        host.find_mailbox(f"x@{google.primary_domain}")
    assert "Admin SDK API" in str(disabled.value) and "APIs & Services" in str(disabled.value)
    with pytest.raises(NeedsActionError) as foreign:  # an address on a domain not in the account
        host.find_mailbox("someone@not-ours.example")
    assert "Not Authorized to access this resource/api" in str(foreign.value)


# ------------------------------------------------------------------ domains


def test_a_domain_is_added_once_and_verified_only_when_its_txt_is_served(google: GoogleWorkspaceEmulator, zones: Zones, host: GoogleWorkspaceHost) -> None:
    domain = unique("gw") + ".com"
    records = host.add_domain(domain)
    assert len(records) == 1 and records[0].type == "TXT" and records[0].name == "@"
    assert records[0].value.startswith("google-site-verification=")
    assert google.domains[domain]["verified"] is False and google.domains[domain]["isPrimary"] is False
    assert host.add_domain(domain) == records  # the same token, the domain not added twice
    assert sum(1 for name in google.domains if name == domain) == 1
    with pytest.raises(RetriableError) as unseen:
        host.verify_domain(domain)
    assert "does not see the verification TXT record" in str(unseen.value)
    assert google.domains[domain]["verified"] is False
    zones.records[domain] = [RecordSpec("TXT", "@", "v=spf1 -all"), *records]
    google.verify_lag = 1  # Workspace reports the domain verified a moment after Site Verification
    with pytest.raises(RetriableError) as lagging:
        host.verify_domain(domain)
    assert "not marked verified yet" in str(lagging.value)
    host.verify_domain(domain)
    assert google.domains[domain]["verified"] is True
    assert google.admin_email in google.verified_owners[domain]
    calls = len(google.calls)
    host.verify_domain(domain)  # verified already: one look, nothing more
    assert len(google.calls) == calls + 1


def test_a_domain_another_customer_holds_is_refused(google: GoogleWorkspaceEmulator, host: GoogleWorkspaceHost) -> None:
    taken = unique("gw") + ".com"
    google.foreign_domains.add(taken)
    with pytest.raises(TerminalError) as refused:
        host.add_domain(taken)
    assert "belongs to another Google Workspace" in str(refused.value)
    google.secondary_domains_allowed = False
    with pytest.raises(NeedsActionError) as plan:
        host.add_domain(unique("gw") + ".com")
    assert "multidomain" in str(plan.value)


def test_mail_setup_is_googles_mx_and_spf_and_dkim_from_the_operator(host: GoogleWorkspaceHost) -> None:
    setup = host.mail_setup("piedpiper.com")
    assert setup.mx == (RecordSpec("MX", "@", "smtp.google.com.", priority=1),)
    assert setup.spf_includes == ("_spf.google.com",) and setup.dkim is None and setup.extra == ()
    assert setup.dkim_by_operator is not None and setup.dkim_by_operator.selector == "google"
    steps = setup.dkim_by_operator.steps
    for words in (
        "Apps → Google Workspace → Gmail → Authenticate email",
        "select piedpiper.com",
        "Generate new record",
        "2048-bit",
        '"google"',
        "mailwright dns set-dkim piedpiper.com --selector google --value '<the TXT value shown>'",
        "Start authentication",
    ):
        assert words in steps


def test_forwarding_and_one_time_codes_are_not_offered(host: GoogleWorkspaceHost) -> None:
    assert Capability.FORWARDING not in host.SUPPORTS and Capability.ONE_TIME_CODES not in host.SUPPORTS
    host.set_forwarding("piedpiper.com", None)  # nothing Mailwright made, nothing to undo
    with pytest.raises(TerminalError) as refused:
        host.set_forwarding("piedpiper.com", "boss@elsewhere.example")
    assert "no API for domain-wide forwarding" in str(refused.value) and "Gmail → Routing" in str(refused.value)


# ------------------------------------------------------------------ users


def test_a_mailbox_lives_its_whole_life(google: GoogleWorkspaceEmulator, zones: Zones, host: GoogleWorkspaceHost) -> None:
    domain = verified_domain(google, zones, host)
    email, key = f"richard@{domain}", "order-1:mailbox-1"
    assert host.find_mailbox(email) is None
    access = host.create_mailbox(email, "Richard", "Hendricks", PASSWORD, key)
    assert (access.smtp_host, access.smtp_port, access.imap_host, access.imap_port) == ("smtp.gmail.com", 587, "imap.gmail.com", 993)
    user = google.users[access.provider_ref]
    assert user["primaryEmail"] == email and user["name"] == {"givenName": "Richard", "familyName": "Hendricks", "fullName": "Richard Hendricks"}
    assert user["changePasswordAtNextLogin"] is False and google.passwords[user["id"]] == PASSWORD
    assert google.imap[user["id"]]["enabled"] is True
    assert google.token_requests_for(email)[-1]["scope"] == GMAIL_SETTINGS_BASIC  # IMAP set as the user
    # Looked up first: the same order's retry answers the same user; another's is refused.
    assert host.create_mailbox(email, "Richard", "Hendricks", PASSWORD, key) == access
    with pytest.raises(TerminalError):
        host.create_mailbox(email, "Other", "Person", PASSWORD, "order-2:mailbox-9")
    assert host.find_mailbox(email) == access
    host.set_profile_picture(email, PNG, "image/png")
    assert google.photos[user["id"]] == {"data": PNG, "mimeType": "PNG"}
    host.set_names(email, "Dick", "Hendricks")
    host.set_names(email, "Dick", "Hendricks")
    assert user["name"]["fullName"] == "Dick Hendricks"
    renamed = f"dick@{domain}"
    assert host.rename_mailbox(email, renamed) == access
    assert user["primaryEmail"] == renamed and email not in google.aliases  # the old address is free again
    assert host.rename_mailbox(email, renamed) == access  # done already
    assert host.find_mailbox(email) is None and host.find_mailbox(renamed) == access
    assert google.passwords[user["id"]] == PASSWORD and google.photos[user["id"]]["data"] == PNG
    host.suspend_mailbox(renamed)
    host.suspend_mailbox(renamed)
    assert user["suspended"] is True
    host.restore_mailbox(renamed)
    assert user["suspended"] is False
    host.delete_mailbox(renamed)
    host.delete_mailbox(renamed)
    assert access.provider_ref not in google.users and host.find_mailbox(renamed) is None
    for missing in (host.suspend_mailbox, host.restore_mailbox):
        with pytest.raises(TerminalError):
            missing(renamed)
    with pytest.raises(TerminalError):
        host.set_profile_picture(renamed, PNG, "image/png")


def test_a_create_whose_answer_was_lost_is_found_not_repeated(google: GoogleWorkspaceEmulator, zones: Zones, host: GoogleWorkspaceHost) -> None:
    domain = verified_domain(google, zones, host)
    email = f"gilfoyle@{domain}"
    google.lose_answer_next("users.insert")
    with pytest.raises(RetriableError):
        host.create_mailbox(email, "Bertram", "Gilfoyle", PASSWORD, "order-3:mailbox-1")
    calls = len(google.calls)
    access = host.create_mailbox(email, "Bertram", "Gilfoyle", PASSWORD, "order-3:mailbox-1")
    assert [u["id"] for u in google.users.values() if u["primaryEmail"] == email] == [access.provider_ref]
    assert not [c for c in google.calls[calls:] if c == ("POST", "/admin/directory/v1/users")]
    # The Gmail mailbox of a new user takes a while: retried, and then IMAP is on.
    late = f"dinesh@{domain}"
    google.mail_service_pending.add(late)
    with pytest.raises(RetriableError) as pending:
        host.create_mailbox(late, "Dinesh", "Chugtai", PASSWORD, "order-3:mailbox-2")
    assert "Mail service not enabled" in str(pending.value)
    google.mail_service_pending.discard(late)
    created = host.create_mailbox(late, "Dinesh", "Chugtai", PASSWORD, "order-3:mailbox-2")
    assert google.imap[created.provider_ref]["enabled"] is True


def test_an_address_held_elsewhere_is_refused(google: GoogleWorkspaceEmulator, zones: Zones, host: GoogleWorkspaceHost) -> None:
    domain = verified_domain(google, zones, host)
    google.conflicting_accounts.add(f"erlich@{domain}")
    with pytest.raises(TerminalError) as conflict:
        host.create_mailbox(f"erlich@{domain}", "Erlich", "Bachman", PASSWORD, "order-4:mailbox-1")
    assert "outside this Google Workspace account" in str(conflict.value)
    first = host.create_mailbox(f"jared@{domain}", "Jared", "Dunn", PASSWORD, "order-4:mailbox-2")
    host.create_mailbox(f"monica@{domain}", "Monica", "Hall", PASSWORD, "order-4:mailbox-3")
    with pytest.raises(TerminalError) as taken:
        host.rename_mailbox(f"jared@{domain}", f"monica@{domain}")
    assert "another mailbox" in str(taken.value)
    with pytest.raises(TerminalError) as neither:
        host.rename_mailbox(f"nobody@{domain}", f"noone@{domain}")
    assert "Neither" in str(neither.value)
    assert host.find_mailbox(f"jared@{domain}") == first


def test_deleting_a_workspace_deletes_every_user_page_by_page_then_the_domain(google: GoogleWorkspaceEmulator, zones: Zones, host: GoogleWorkspaceHost) -> None:
    domain = verified_domain(google, zones, host)
    for n in range(5):
        host.create_mailbox(f"user{n}@{domain}", "User", str(n), PASSWORD, f"order-5:mailbox-{n}")
    google.page_size = 2
    calls = len(google.calls)
    host.delete_workspace(domain)
    assert not [u for u in google.users.values() if u["primaryEmail"].endswith("@" + domain)]
    assert domain not in google.domains and google.user_by_email(google.admin_email) is not None
    listed = [path for method, path in google.calls[calls:] if method == "GET" and path.startswith("/admin/directory/v1/users?")]
    assert len(listed) == 3 and all("pageToken=" in path for path in listed[1:])
    host.delete_workspace(domain)  # gone already


# ------------------------------------------------------------------ documented bodies and secrets


def test_the_emulator_answers_as_the_documentation_shows(google: GoogleWorkspaceEmulator, zones: Zones, host: GoogleWorkspaceHost) -> None:
    httpx = host.directory.client  # a plain client on loopback (module-level httpx calls load TLS each time)
    token = fixture("token_response.json")
    answer = httpx.post(
        google.token_uri, data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "a.b.c"}
    )
    assert answer.status_code == 400 and set(answer.json()) == set(fixture("token_error_invalid_grant.json"))
    issued = host.tokens.fetch(google.admin_email, ("https://www.googleapis.com/auth/admin.directory.user",))
    assert issued.value.startswith("ya29.") and {"access_token", "expires_in", "token_type"} <= set(token)
    headers = {"Authorization": f"Bearer {issued.value}"}
    missing = httpx.get(f"{google.url}/admin/directory/v1/users/nobody@{google.primary_domain}", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["errors"] == fixture("error_not_found.json")["error"]["errors"]
    expired = httpx.get(f"{google.url}/admin/directory/v1/users/x@{google.primary_domain}", headers={"Authorization": "Bearer ya29.unknown"})
    assert expired.status_code == 401 and expired.json() == fixture("error_invalid_credentials.json")
    domain = verified_domain(google, zones, host)
    request = fixture("users_insert_request.json") | {"primaryEmail": f"liz@{domain}", "password": PASSWORD}
    created = httpx.post(f"{google.url}/admin/directory/v1/users", json=request, headers=headers)
    documented = fixture("users_insert_response.json")
    assert created.status_code == 201
    body = created.json()
    assert set(documented) - {"kind"} <= set(body) and body["kind"] == "admin#directory#user"
    assert body["externalIds"] == request["externalIds"] and body["name"]["fullName"] == "Elizabeth Smith"
    duplicate = httpx.post(f"{google.url}/admin/directory/v1/users", json=request, headers=headers)
    assert duplicate.status_code == 409 and duplicate.json()["error"]["errors"] == fixture("error_duplicate.json")["error"]["errors"]
    assert set(fixture("domains_insert_response.json")) <= set(google.domains[domain])
    site = fixture("site_verification_get_token_response.json")
    assert host.add_domain(domain)[0].value.startswith(site["token"].split("=")[0] + "=")
    unverified = unique("gw") + ".com"
    host.add_domain(unverified)
    admin_site_token = host.tokens.get(google.admin_email, ("https://www.googleapis.com/auth/siteverification",))
    refused = httpx.post(
        f"{google.site_verification_base}/webResource?verificationMethod=DNS_TXT",
        json={"site": {"type": "INET_DOMAIN", "identifier": unverified}},
        headers={"Authorization": f"Bearer {admin_site_token}"},
    )
    assert refused.status_code == 400 and refused.json()["error"]["errors"] == fixture("error_verification_token_not_found.json")["error"]["errors"]
    assert set(google.imap[body["id"]]) == set(fixture("imap_settings.json"))
    assert fixture("token_error_unauthorized_client.json")["error_description"] in Path(__file__).with_name("emulator.py").read_text()


def test_no_secret_in_any_error(google: GoogleWorkspaceEmulator, zones: Zones, host: GoogleWorkspaceHost, account: ServiceAccount) -> None:
    domain = verified_domain(google, zones, host)
    errors: list[ProviderError] = []

    def collect(call: Any, *args: Any) -> None:
        try:
            call(*args)
        except ProviderError as exc:
            errors.append(exc)

    google.fail_next(400, "invalid", "Invalid Password", path="/users")
    collect(host.create_mailbox, f"a@{domain}", "A", "B", PASSWORD, "k1")
    google.lose_answer_next("users.insert")
    collect(host.create_mailbox, f"b@{domain}", "A", "B", PASSWORD, "k2")
    google.expire_tokens()
    google.fail_next(401, "authError", times=2)
    collect(host.find_mailbox, f"b@{domain}")
    google.fail_token_next(401, "unauthorized_client", "Client is unauthorized to retrieve access tokens using this method.")
    google.expire_tokens()
    host.tokens.forget(google.admin_email, ("https://www.googleapis.com/auth/admin.directory.user", "https://www.googleapis.com/auth/admin.directory.domain", "https://www.googleapis.com/auth/siteverification"))
    collect(host.find_mailbox, f"b@{domain}")
    assert len(errors) == 4
    key = json.loads(account.key_file.read_text())["private_key"]
    secrets = [PASSWORD, key.splitlines()[1], *google.tokens]
    for error in errors:
        text = str(error) + repr(error.args)
        assert not [s for s in secrets if s in text], text
