"""The Microsoft 365 mailbox host called directly against the loopback emulator of the Microsoft
identity platform and Microsoft Graph (one per module), with real DNS on loopback for domain
verification: token caching, domains, mail records, users and licences, errors, and the
documented bodies the emulator and the adapter share."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mailwright.config import Settings, SettingProblem
from mailwright.providers.base import (
    Capability,
    MailboxAccess,
    NeedsActionError,
    ProviderUnavailable,
    RecordSpec,
    RetriableError,
    TerminalError,
)
from mailwright.providers.microsoft365 import (
    IMAP_HOST,
    MARKER_ATTRIBUTE,
    SIGN_IN_NOTE,
    SMTP_HOST,
    Microsoft365Host,
    mx_token,
    token_roles,
)
from mailwright.providers.checks import check_role
from mailwright.providers.registry import MAILBOX_HOST_ROLE, Role, build_providers
from tests.conftest import unique
from tests.providers.microsoft365.dns_server import ServedZones
from tests.providers.microsoft365.emulator import ALL_ROLES, GraphEmulator

FIXTURES = Path(__file__).parent / "fixtures"
PASSWORD = "Cold-Outreach-2031!"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


class Clock:
    """The adapter's clock, moved by the test (the token's life is measured on it)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def zones() -> Iterator[ServedZones]:
    served = ServedZones()
    served.start()
    yield served
    served.stop()


@pytest.fixture(scope="module")
def graph(zones: ServedZones) -> Iterator[GraphEmulator]:
    emulator = GraphEmulator(dns_server=("127.0.0.1", zones.server.port)).start()
    yield emulator
    emulator.stop()


@pytest.fixture(autouse=True)
def clean(graph: GraphEmulator) -> Iterator[None]:
    graph.reset_faults()
    graph.roles = ALL_ROLES
    graph.expires_in = 3599
    yield
    graph.reset_faults()
    graph.roles = ALL_ROLES


def adapter_for(graph: GraphEmulator, **kwargs: Any) -> Microsoft365Host:
    options: dict[str, Any] = {"login_base": graph.login_base, "graph_base": graph.graph_base, "timeout": 3.0, **kwargs}
    secret = options.pop("client_secret", graph.client_secret)
    return Microsoft365Host(options.pop("tenant_id", graph.tenant_id), options.pop("client_id", graph.client_id), secret, **options)


@pytest.fixture()
def host(graph: GraphEmulator) -> Iterator[Microsoft365Host]:
    adapter = adapter_for(graph)
    yield adapter
    adapter.close()


def new_domain() -> str:
    return unique("ms") + ".com"


def verified(graph: GraphEmulator, host: Microsoft365Host, zones: ServedZones) -> str:
    """A domain added through the adapter, its TXT served, verified."""
    domain = new_domain()
    zones.serve(domain, host.add_domain(domain))
    host.verify_domain(domain)
    return domain


# ------------------------------------------------------------------ settings


def test_settings_missing_or_wrong_name_the_variable(tmp_path: Path, graph: GraphEmulator) -> None:
    base = {"database_url": f"sqlite:///{tmp_path / 'settings.db'}", "mailbox_hosts": '{"MICROSOFT": "microsoft365"}'}
    good = {"microsoft_tenant_id": graph.tenant_id, "microsoft_client_id": graph.client_id, "microsoft_client_secret": "s3cret-value"}
    cases = [
        ({k: v for k, v in good.items() if k != "microsoft_tenant_id"}, "MAILWRIGHT_MICROSOFT_TENANT_ID"),
        ({k: v for k, v in good.items() if k != "microsoft_client_id"}, "MAILWRIGHT_MICROSOFT_CLIENT_ID"),
        ({k: v for k, v in good.items() if k != "microsoft_client_secret"}, "MAILWRIGHT_MICROSOFT_CLIENT_SECRET"),
        ({**good, "microsoft_tenant_id": "not a tenant/"}, "MAILWRIGHT_MICROSOFT_TENANT_ID"),
        ({**good, "microsoft_client_id": "mailwright-app"}, "MAILWRIGHT_MICROSOFT_CLIENT_ID"),
        ({**good, "microsoft_graph_base": "graph.microsoft.com/v1.0"}, "MAILWRIGHT_MICROSOFT_GRAPH_BASE"),
        ({**good, "microsoft_login_base": "login.microsoftonline.com"}, "MAILWRIGHT_MICROSOFT_LOGIN_BASE"),
        ({**good, "microsoft_license_sku": " "}, "MAILWRIGHT_MICROSOFT_LICENSE_SKU"),
        ({**good, "microsoft_usage_location": "USA"}, "MAILWRIGHT_MICROSOFT_USAGE_LOCATION"),
    ]
    for values, variable in cases:
        with pytest.raises(SettingProblem) as problem:
            Microsoft365Host.from_settings(Settings(**base, **values), "MICROSOFT")
        assert problem.value.setting == variable, values
        assert "s3cret-value" not in problem.value.message
    with pytest.raises(SettingProblem) as through_the_registry:
        build_providers(Settings(**base, **cases[0][0]))
    assert through_the_registry.value.setting == "MAILWRIGHT_MICROSOFT_TENANT_ID"
    providers = build_providers(Settings(**base, **good, microsoft_usage_location="de"))
    try:
        adapter = providers.mailbox_host("MICROSOFT")
        assert isinstance(adapter, Microsoft365Host)
        assert adapter.provider == "MICROSOFT" and adapter.usage_location == "DE"
        assert str(adapter.graph.client.base_url) == "https://graph.microsoft.com/v1.0/"
        assert str(adapter.login.client.base_url) == "https://login.microsoftonline.com/"
        assert providers.mailbox_host_names["MICROSOFT"] == "microsoft365"
        assert "s3cret-value" not in repr(adapter)
        assert Microsoft365Host.SUPPORTS == {Capability.HOST_DOMAINS, Capability.MAILBOXES, Capability.PROFILE_PHOTOS}
    finally:
        providers.close()
    with pytest.raises(SettingProblem) as not_microsoft:
        Microsoft365Host.from_settings(Settings(**good), "GOOGLE")
    assert not_microsoft.value.setting == "MAILWRIGHT_MAILBOX_HOSTS"


# ------------------------------------------------------------------ token


def test_the_token_is_kept_until_near_its_end_then_fetched_again(graph: GraphEmulator) -> None:
    clock = Clock()
    adapter = adapter_for(graph, clock=clock)
    graph.expires_in = 600  # the adapter renews a tenth of its life early: after 540 s
    before = graph.token_requests
    for _ in range(3):
        assert adapter.find_mailbox(f"nobody@{graph.initial_domain}") is None
    assert graph.token_requests == before + 1
    clock.now += 539
    adapter.find_mailbox(f"nobody@{graph.initial_domain}")
    assert graph.token_requests == before + 1
    clock.now += 2
    adapter.find_mailbox(f"nobody@{graph.initial_domain}")
    adapter.find_mailbox(f"nobody@{graph.initial_domain}")
    assert graph.token_requests == before + 2


def test_a_kept_token_graph_refuses_is_replaced_once(graph: GraphEmulator, host: Microsoft365Host) -> None:
    host.find_mailbox(f"nobody@{graph.initial_domain}")
    before = graph.token_requests
    graph.expire_tokens()  # Graph says "expired" while the adapter still believes it good
    assert host.find_mailbox(f"nobody@{graph.initial_domain}") is None
    assert graph.token_requests == before + 1
    # A token Graph refuses as soon as it is issued is not fetched again and again.
    graph.expires_in = 0
    graph.expire_tokens()
    with pytest.raises(NeedsActionError) as refused:
        host.find_mailbox(f"nobody@{graph.initial_domain}")
    assert graph.token_requests == before + 2
    assert "InvalidAuthenticationToken" in str(refused.value)


def test_sign_in_refusals_say_what_to_fix_and_never_show_the_secret(graph: GraphEmulator) -> None:
    wrong = "Wr0ng~" + unique("secret")
    with pytest.raises(NeedsActionError) as bad_secret:
        adapter_for(graph, client_secret=wrong).probe()
    assert "AADSTS7000215" in str(bad_secret.value) and "Value (not its Secret ID)" in str(bad_secret.value)
    assert "Trace ID" not in str(bad_secret.value)
    graph.secret_expired = True
    with pytest.raises(NeedsActionError) as expired:
        adapter_for(graph).probe()
    assert "has expired" in str(expired.value) and "New client secret" in str(expired.value)
    graph.secret_expired = False
    with pytest.raises(NeedsActionError) as unknown_app:
        adapter_for(graph, client_id="00000000-0000-0000-0000-000000000000").probe()
    assert "MAILWRIGHT_MICROSOFT_CLIENT_ID" in str(unknown_app.value)
    with pytest.raises(NeedsActionError) as unknown_tenant:
        adapter_for(graph, tenant_id="11111111-1111-1111-1111-111111111111").probe()
    assert "no tenant 11111111-1111-1111-1111-111111111111" in str(unknown_tenant.value)
    for error in (bad_secret, expired, unknown_app, unknown_tenant):
        assert wrong not in str(error.value) and graph.client_secret not in str(error.value)


def test_probe_reports_the_tenant_its_licences_and_the_roles_in_the_token(graph: GraphEmulator, host: Microsoft365Host) -> None:
    enabled, consumed = graph.licences()
    graph.set_licences(25, 22)
    try:
        assert host.probe() == (
            f"tenant {graph.tenant_id}: O365_BUSINESS_ESSENTIALS 3 of 25 licences left; "
            "roles in token: Domain.ReadWrite.All, Organization.Read.All, User.ReadWrite.All"
        )
    finally:
        graph.set_licences(enabled, consumed)
    with pytest.raises(NeedsActionError) as no_sku:
        adapter_for(graph, license_sku="SPE_E3").probe()
    assert "no subscription SPE_E3" in str(no_sku.value) and "O365_BUSINESS_ESSENTIALS" in str(no_sku.value)


def test_providers_check_shows_what_the_app_may_do(graph: GraphEmulator, host: Microsoft365Host) -> None:
    result = check_role(Role(MAILBOX_HOST_ROLE, "microsoft365", host, "MICROSOFT"), Settings(microsoft_client_secret=graph.client_secret))
    assert (result.ok, result.reachable, result.authenticated) == (True, True, True)
    assert result.supports == ("host_domains", "mailboxes", "profile_photos")
    assert "O365_BUSINESS_ESSENTIALS" in result.message and "licences left" in result.message
    wrong = adapter_for(graph, client_secret="Wr0ng~" + graph.client_secret)
    refused = check_role(Role(MAILBOX_HOST_ROLE, "microsoft365", wrong, "MICROSOFT"), Settings(microsoft_client_secret=graph.client_secret))
    assert (refused.reachable, refused.authenticated) == (True, False) and "MAILWRIGHT_MICROSOFT_CLIENT_SECRET" in refused.message


def test_a_missing_permission_waits_for_a_person_naming_it(graph: GraphEmulator) -> None:
    graph.roles = ("Domain.ReadWrite.All", "Organization.Read.All")  # consented without User.ReadWrite.All
    adapter = adapter_for(graph)
    with pytest.raises(NeedsActionError) as probe:
        adapter.probe()
    assert "User.ReadWrite.All" in str(probe.value) and "Grant admin consent" in str(probe.value)
    with pytest.raises(NeedsActionError) as create:
        adapter.create_mailbox(f"jared@{graph.initial_domain}", "Jared", "Dunn", PASSWORD, "mailbox-perm")
    text = str(create.value)
    assert "Authorization_RequestDenied" in text and "User.ReadWrite.All" in text and "admin consent" in text
    assert "roles in its token: Domain.ReadWrite.All, Organization.Read.All" in text


def test_throttling_and_unavailability_are_retriable_with_retry_after(graph: GraphEmulator, host: Microsoft365Host) -> None:
    graph.throttle_next(1, retry_after=7)
    with pytest.raises(RetriableError) as throttled:
        host.find_mailbox(f"nobody@{graph.initial_domain}")
    assert throttled.value.retry_after == 7 and "429" in str(throttled.value)
    graph.throttle_next(1, retry_after=30, status=503)
    with pytest.raises(RetriableError) as unavailable:
        host.find_mailbox(f"nobody@{graph.initial_domain}")
    assert unavailable.value.retry_after == 30
    assert host.find_mailbox(f"nobody@{graph.initial_domain}") is None  # and then it goes on


def test_no_answer_is_provider_unavailable(graph: GraphEmulator) -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    adapter = Microsoft365Host(graph.tenant_id, graph.client_id, graph.client_secret, login_base=f"http://127.0.0.1:{port}",
                               graph_base=f"http://127.0.0.1:{port}/v1.0", timeout=1.0)
    with pytest.raises(ProviderUnavailable):
        adapter.probe()


# ------------------------------------------------------------------ domains


def test_a_domain_is_added_once_and_verified_only_when_its_txt_is_served(graph: GraphEmulator, host: Microsoft365Host, zones: ServedZones) -> None:
    domain = new_domain()
    records = host.add_domain(domain)
    assert len(records) == 1
    txt = records[0]
    assert (txt.type, txt.name, txt.ttl) == ("TXT", "@", 3600) and txt.value == graph.verification_codes[domain]
    since = len(graph.calls)
    assert host.add_domain(domain) == records  # looked up first: added once
    assert ("POST", "/v1.0/domains") not in graph.calls[since:]
    assert graph.domains[domain]["isVerified"] is False
    with pytest.raises(RetriableError) as not_served:
        host.verify_domain(domain)
    assert "does not see the verification TXT record" in str(not_served.value)
    zones.serve(domain, [RecordSpec("TXT", "@", "MS=ms00000000")])  # another value is not it
    with pytest.raises(RetriableError):
        host.verify_domain(domain)
    zones.serve(domain, records)
    host.verify_domain(domain)
    assert graph.domains[domain]["isVerified"] is True
    host.verify_domain(domain)  # verified already is fine
    with pytest.raises(TerminalError):
        host.verify_domain(new_domain())  # never added


def test_a_domain_verified_by_a_concurrent_run_meanwhile_is_fine(graph: GraphEmulator, host: Microsoft365Host) -> None:
    domain = new_domain()
    host.add_domain(domain)  # its TXT is not served: this run's own verify is refused
    looked = host._domain
    looks = {"n": 0}

    def another_run_verifies_meanwhile(name: str) -> dict[str, Any] | None:
        looks["n"] += 1
        if looks["n"] == 2:  # after this run's verify was refused
            graph.domains[name]["isVerified"] = True
        return looked(name)

    host._domain = another_run_verifies_meanwhile  # type: ignore[method-assign]
    host.verify_domain(domain)
    assert looks["n"] == 2 and graph.calls[-2] == ("POST", f"/v1.0/domains/{domain}/verify")


def test_a_domain_held_by_another_tenant_is_refused_for_good(graph: GraphEmulator, host: Microsoft365Host) -> None:
    domain = new_domain()
    graph.foreign_domains.add(domain)
    with pytest.raises(TerminalError) as refused:
        host.add_domain(domain)
    assert "another tenant" in str(refused.value) and domain not in graph.domains


def test_mail_setup_is_what_microsoft_gives_with_the_dkim_cnames_it_expects(graph: GraphEmulator, host: Microsoft365Host, zones: ServedZones) -> None:
    domain = unique("cold-") + ".co"
    token = domain.replace(".", "-") + "01b"  # Microsoft's token for a name with a dash, as its MX host shows it
    graph.mx_tokens[domain] = token
    zones.serve(domain, host.add_domain(domain))
    with pytest.raises(RetriableError):
        host.mail_setup(domain)  # not verified yet
    host.verify_domain(domain)
    setup = host.mail_setup(domain)
    assert setup.mx == (RecordSpec("MX", "@", f"{token}.mail.protection.outlook.com.", 3600, 0),)
    assert setup.spf_includes == ("spf.protection.outlook.com",)
    assert setup.dkim is None and setup.dkim_by_operator is None
    initial = graph.initial_domain
    assert setup.extra == (
        RecordSpec("CNAME", "autodiscover", "autodiscover.outlook.com.", 3600),
        RecordSpec("CNAME", "selector1._domainkey", f"selector1-{token}._domainkey.{initial}.", 3600),
        RecordSpec("CNAME", "selector2._domainkey", f"selector2-{token}._domainkey.{initial}.", 3600),
    )  # Teams (SIP) and Intune records are not mail's: not published
    steps = setup.dkim_confirmation or ""
    for words in ("Email & collaboration → Policies & rules → Threat policies → Email authentication settings → DKIM",
                  f"New-DkimSigningConfig -DomainName {domain} -Enabled $true", "dkim.mail.microsoft",
                  f"`mailwright dns confirm-dkim {domain}`"):
        assert words in steps
    assert steps.endswith(f"`mailwright dns confirm-dkim {domain}`.")
    assert mx_token("contoso-com.o-v1.mx.microsoft") == "contoso-com"


# ------------------------------------------------------------------ mailboxes


def test_a_mailbox_lives_its_whole_life_at_microsoft_365(graph: GraphEmulator, host: Microsoft365Host, zones: ServedZones) -> None:
    domain = verified(graph, host, zones)
    email = f"richard@{domain}"
    assert host.find_mailbox(email) is None
    enabled, consumed = graph.licences()
    access = host.create_mailbox(email, "Richard", "Hendricks", PASSWORD, "mailbox-r1")
    assert (access.smtp_host, access.smtp_port, access.imap_host, access.imap_port) == (SMTP_HOST, 587, IMAP_HOST, 993)
    user = graph.user_named(email)
    assert user is not None and access.provider_ref == user["id"]
    assert (user["givenName"], user["surname"], user["displayName"], user["mailNickname"]) == ("Richard", "Hendricks", "Richard Hendricks", "richard")
    assert user["usageLocation"] == "US" and user["accountEnabled"] is True
    assert user["passwordProfile"] == {"password": PASSWORD, "forceChangePasswordNextSignIn": False}
    assert user["assignedLicenses"] == [{"disabledPlans": [], "skuId": graph.skus[0]["skuId"]}]
    assert user["onPremisesExtensionAttributes"][MARKER_ATTRIBUTE] == "mailwright:mailbox-r1"
    assert graph.licences() == (enabled, consumed + 1)
    # A retry (the step ran twice) finds its own user: nothing created or licensed twice.
    posts = graph.calls.count(("POST", "/v1.0/users"))
    assert host.create_mailbox(email, "Richard", "Hendricks", PASSWORD, "mailbox-r1") == access
    assert graph.calls.count(("POST", "/v1.0/users")) == posts and graph.licences() == (enabled, consumed + 1)
    assert host.find_mailbox(email) == access

    host.set_profile_picture(email, JPEG, "image/jpeg")
    assert graph.photos[user["id"]] == (JPEG, "image/jpeg")
    host.set_names(email, "Dick", "Hendricks")
    assert (user["givenName"], user["surname"], user["displayName"]) == ("Dick", "Hendricks", "Dick Hendricks")

    renamed = host.rename_mailbox(email, f"ceo@{domain}")
    assert renamed == access and user["userPrincipalName"] == f"ceo@{domain}" and user["mail"] == f"ceo@{domain}"
    assert host.rename_mailbox(email, f"ceo@{domain}") == access  # done already
    assert user["passwordProfile"]["password"] == PASSWORD and user["onPremisesExtensionAttributes"][MARKER_ATTRIBUTE] == "mailwright:mailbox-r1"

    host.suspend_mailbox(f"ceo@{domain}")
    host.suspend_mailbox(f"ceo@{domain}")
    assert user["accountEnabled"] is False
    host.restore_mailbox(f"ceo@{domain}")
    assert user["accountEnabled"] is True
    host.delete_mailbox(f"ceo@{domain}")
    host.delete_mailbox(f"ceo@{domain}")  # gone already is fine
    assert graph.user_named(f"ceo@{domain}") is None and graph.licences() == (enabled, consumed)
    for change in (lambda: host.suspend_mailbox(email), lambda: host.set_names(email, "A", "B"),
                   lambda: host.set_profile_picture(email, JPEG, "image/jpeg")):
        with pytest.raises(TerminalError):
            change()


def test_a_crash_after_creating_the_user_creates_no_second_one(graph: GraphEmulator, host: Microsoft365Host, zones: ServedZones) -> None:
    domain = verified(graph, host, zones)
    email = f"gilfoyle@{domain}"
    # The step's first run created the user, then died before licensing it (or before recording it).
    first = host.create_mailbox(email, "Bertram", "Gilfoyle", PASSWORD, "mailbox-g1")
    user = graph.user_named(email)
    assert user is not None
    user["assignedLicenses"].clear()
    graph.skus[0]["consumedUnits"] -= 1
    posts = graph.calls.count(("POST", "/v1.0/users"))
    again = adapter_for(graph).create_mailbox(email, "Bertram", "Gilfoyle", PASSWORD, "mailbox-g1")  # a new process
    assert again == first and len(graph.users_on(domain)) == 1
    assert graph.calls.count(("POST", "/v1.0/users")) == posts
    assert user["assignedLicenses"] == [{"disabledPlans": [], "skuId": graph.skus[0]["skuId"]}]


def test_an_address_someone_else_holds_is_refused_not_taken_over(graph: GraphEmulator, host: Microsoft365Host, zones: ServedZones) -> None:
    domain = verified(graph, host, zones)
    graph.add_user(f"dinesh@{domain}")  # made in the admin center
    with pytest.raises(TerminalError) as outside:
        host.create_mailbox(f"dinesh@{domain}", "Dinesh", "Chugtai", PASSWORD, "mailbox-d1")
    assert "was not created for this mailbox" in str(outside.value)
    host.create_mailbox(f"monica@{domain}", "Monica", "Hall", PASSWORD, "mailbox-m1")
    with pytest.raises(TerminalError):
        host.create_mailbox(f"monica@{domain}", "Monica", "Hall", PASSWORD, "mailbox-m2")  # another order's mailbox
    with pytest.raises(TerminalError) as taken:
        host.rename_mailbox(f"monica@{domain}", f"dinesh@{domain}")
    assert "already belongs to another mailbox" in str(taken.value)
    with pytest.raises(TerminalError):
        host.rename_mailbox(f"nobody@{domain}", f"somebody@{domain}")


def test_no_licence_left_waits_for_a_person_to_buy_more_and_creates_nothing(graph: GraphEmulator, host: Microsoft365Host, zones: ServedZones) -> None:
    domain = verified(graph, host, zones)
    enabled, consumed = graph.licences()
    graph.set_licences(consumed)
    try:
        with pytest.raises(NeedsActionError) as none_left:
            host.create_mailbox(f"erlich@{domain}", "Erlich", "Bachman", PASSWORD, "mailbox-e1")
        assert "buy 1 more licence of O365_BUSINESS_ESSENTIALS" in str(none_left.value)
        assert graph.users_on(domain) == []
        graph.set_licences(consumed - 2)  # the tenant went down to fewer licences than it uses
        with pytest.raises(NeedsActionError) as three:
            host.create_mailbox(f"erlich@{domain}", "Erlich", "Bachman", PASSWORD, "mailbox-e1")
        assert "buy 3 more licences of O365_BUSINESS_ESSENTIALS" in str(three.value)
        # Licences spent elsewhere between the look and the assignment: Graph's own refusal, same sentence.
        graph.set_licences(consumed + 1)
        stale = json.loads(json.dumps(graph.skus[0]))  # what the adapter read: one left
        graph.set_licences(consumed)  # then someone took it
        outsider = graph.add_user(f"gavin@{domain}", usageLocation="US")
        with pytest.raises(NeedsActionError) as raced:
            host._assign_licence({"id": outsider["id"], "assignedLicenses": []}, f"gavin@{domain}", stale)
        assert "buy 1 more licence of O365_BUSINESS_ESSENTIALS" in str(raced.value)
    finally:
        graph.set_licences(enabled)


def test_graph_refusals_are_terminal_in_graphs_words_without_the_password(graph: GraphEmulator, host: Microsoft365Host, zones: ServedZones) -> None:
    domain = verified(graph, host, zones)
    weak = "password"
    with pytest.raises(TerminalError) as policy:
        host.create_mailbox(f"big-head@{domain}", "Nelson", "Bighetti", weak, "mailbox-b1")
    assert "does not comply with password complexity requirements" in str(policy.value)
    assert f"'{weak}'" not in str(policy.value) and PASSWORD not in str(policy.value)
    graph.refuse_users[f"laurie@{domain}"] = "The mailbox database is full."
    with pytest.raises(TerminalError) as refused:
        host.create_mailbox(f"laurie@{domain}", "Laurie", "Bream", PASSWORD, "mailbox-l1")
    assert "The mailbox database is full." in str(refused.value) and PASSWORD not in str(refused.value)
    with pytest.raises(TerminalError) as unverified:
        host.create_mailbox(f"peter@{new_domain()}", "Peter", "Gregory", PASSWORD, "mailbox-p1")
    assert "verified domain names" in str(unverified.value)


def test_a_photo_waits_until_exchange_online_has_made_the_mailbox(graph: GraphEmulator, host: Microsoft365Host, zones: ServedZones) -> None:
    domain = verified(graph, host, zones)
    graph.add_user(f"jian@{domain}", usageLocation="US")  # no licence yet: no mailbox
    with pytest.raises(RetriableError) as not_yet:
        host.set_profile_picture(f"jian@{domain}", JPEG, "image/jpeg")
    assert not_yet.value.retry_after == 60
    with pytest.raises(TerminalError):
        host.set_profile_picture(f"jian@{domain}", b"x" * (4 * 1024 * 1024 + 1), "image/jpeg")


def test_delete_workspace_deletes_every_user_of_the_domain_across_pages_then_the_domain(graph: GraphEmulator, host: Microsoft365Host, zones: ServedZones) -> None:
    domain, other = verified(graph, host, zones), verified(graph, host, zones)
    for i in range(5):
        host.create_mailbox(f"user{i}@{domain}", "User", str(i), PASSWORD, f"mailbox-w{i}")
    host.create_mailbox(f"keep@{other}", "Keep", "Me", PASSWORD, "mailbox-keep")
    host.PAGE_SIZE = 2  # type: ignore[misc]
    since = len(graph.calls)
    host.delete_workspace(domain)
    pages = [path for method, path in graph.calls[since:] if method == "GET" and path.startswith("/v1.0/users?")]
    assert len(pages) >= 4 and all("%24top=2" in p or "$top=2" in p for p in pages) and any("skiptoken" in p for p in pages)
    assert graph.users_on(domain) == [] and domain not in graph.domains
    assert graph.user_named(f"keep@{other}") is not None and other in graph.domains
    host.delete_workspace(domain)  # gone already
    # Something outside Mailwright still using the domain keeps it: a person decides.
    graph.add_user(f"outsider@{other}").update(userPrincipalName=f"outsider@{graph.initial_domain}", mail=f"outsider@{other}")
    with pytest.raises(RetriableError):
        host.delete_workspace(other)  # it deleted keep@ a moment ago: Graph may lag behind
    with pytest.raises(NeedsActionError) as kept:
        host.delete_workspace(other)
    assert "Force delete" in str(kept.value) and graph.initial_domain in str(kept.value)


def test_forwarding_is_refused_with_what_a_person_does(host: Microsoft365Host) -> None:
    host.set_forwarding("piedpiper.com", None)  # nothing to undo
    with pytest.raises(TerminalError) as refused:
        host.set_forwarding("piedpiper.com", "richard@hooli.com")
    assert "mail flow rule" in str(refused.value) and "richard@hooli.com" in str(refused.value)
    assert Capability.FORWARDING not in Microsoft365Host.SUPPORTS and Capability.ONE_TIME_CODES not in Microsoft365Host.SUPPORTS


def test_no_secret_reaches_any_error(graph: GraphEmulator, zones: ServedZones) -> None:
    host = adapter_for(graph)
    domain = verified(graph, host, zones)
    token = host._access().value
    messages: list[str] = []
    graph.roles = ("Domain.ReadWrite.All",)
    for call in (lambda: adapter_for(graph).create_mailbox(f"a@{domain}", "A", "B", PASSWORD, "k"),
                 lambda: adapter_for(graph, client_secret="wrong-" + graph.client_secret).probe(),
                 lambda: host.create_mailbox(f"a@{domain}", "A", "B", "short", "k")):
        with pytest.raises(Exception) as error:
            call()
        messages.append(str(error.value) + repr(error.value))
    graph.roles = ALL_ROLES
    for text in messages:
        for secret in (graph.client_secret, token, PASSWORD):
            assert secret not in text


# ------------------------------------------------------------------ documented bodies


def shape(body: Any) -> Any:
    """Keys and value types, recursively, so two answers compare by structure."""
    if isinstance(body, dict):
        return {k: shape(v) for k, v in body.items()}
    if isinstance(body, list):
        return [shape(body[0])] if body else []
    return type(body).__name__


def documented_keys_match(documented: dict[str, Any], answered: dict[str, Any]) -> None:
    missing = set(documented) - set(answered)
    assert not missing, f"the emulator leaves out documented keys {missing}"


def test_the_emulator_answers_with_the_documented_bodies(graph: GraphEmulator, host: Microsoft365Host, zones: ServedZones) -> None:
    domain = verified(graph, host, zones)
    with httpx.Client(base_url=graph.url, timeout=3.0, verify=False) as raw:  # loopback http: no TLS context to load
        token = raw.post(f"/{graph.tenant_id}/oauth2/v2.0/token", data={
            "client_id": graph.client_id, "client_secret": graph.client_secret, "scope": "https://graph.microsoft.com/.default", "grant_type": "client_credentials"})
        assert token.status_code == 200
        documented_keys_match(fixture("token_success.json"), token.json())
        assert token.json()["token_type"] == "Bearer"
        assert token_roles(token.json()["access_token"]) == tuple(sorted(ALL_ROLES))
        scope = raw.post(f"/{graph.tenant_id}/oauth2/v2.0/token", data={
            "client_id": graph.client_id, "client_secret": graph.client_secret, "scope": "https://foo.microsoft.com/.default", "grant_type": "client_credentials"})
        assert scope.status_code == 400 and shape(scope.json()) == shape({**fixture("token_error_invalid_scope.json"), "error_uri": ""})
        assert scope.json()["error"] == "invalid_scope" and scope.json()["error_codes"] == [70011]
        secret = raw.post(f"/{graph.tenant_id}/oauth2/v2.0/token", data={
            "client_id": graph.client_id, "client_secret": "nope", "scope": "https://graph.microsoft.com/.default", "grant_type": "client_credentials"})
        assert secret.status_code == 401 and shape(secret.json()) == shape(fixture("token_error_invalid_client.json"))
        assert secret.json()["error_description"].split("\r\n")[0] == fixture("token_error_invalid_client.json")["error_description"].split("\r\n")[0].replace(
            "535fb089-9ff3-47b6-9bfb-4f1264799865", graph.client_id)

        bearer = {"Authorization": "Bearer " + token.json()["access_token"]}
        got = raw.get(f"/v1.0/domains/{graph.initial_domain}", headers=bearer).json()
        assert shape(got) == shape(fixture("domain_get.json"))
        documented_keys_match(fixture("domain_create.json"), raw.post("/v1.0/domains", json={"id": new_domain()}, headers=bearer).json())
        records = raw.get(f"/v1.0/domains/{domain}/verificationDnsRecords", headers=bearer).json()["value"]
        assert [shape(r) for r in records] == [shape(r) for r in fixture("verification_dns_records.json")["value"]]
        service = raw.get(f"/v1.0/domains/{domain}/serviceConfigurationRecords", headers=bearer).json()["value"]
        for documented in fixture("service_configuration_records.json")["value"]:
            match = next(r for r in service if r["recordType"] == documented["recordType"])
            documented_keys_match(documented, match)
        skus = raw.get("/v1.0/subscribedSkus", headers=bearer).json()
        assert shape(skus["value"][0]) == shape(fixture("subscribed_skus.json")["value"][0])
        documented_keys_match(fixture("organization.json")["value"][0], raw.get("/v1.0/organization", headers=bearer).json()["value"][0])
        created = raw.post("/v1.0/users", headers=bearer, json={
            "accountEnabled": True, "displayName": "Adele Vance", "mailNickname": "AdeleV", "userPrincipalName": f"AdeleV@{domain}",
            "passwordProfile": {"forceChangePasswordNextSignIn": True, "password": "xWwvJ]6NMw+bWH-d"}})
        assert created.status_code == 201
        documented_keys_match(fixture("user_create.json"), created.json())
        assert "passwordProfile" not in created.json()
        taken = raw.post("/v1.0/users", headers=bearer, json={
            "accountEnabled": True, "displayName": "Adele Vance", "mailNickname": "AdeleV", "userPrincipalName": f"AdeleV@{domain}",
            "passwordProfile": {"forceChangePasswordNextSignIn": True, "password": "xWwvJ]6NMw+bWH-d"}})
        assert taken.status_code == 400 and taken.json()["error"]["message"] == fixture("error_upn_taken.json")["error"]["message"]
        weak = raw.post("/v1.0/users", headers=bearer, json={
            "accountEnabled": True, "displayName": "W", "mailNickname": "w", "userPrincipalName": f"w@{domain}",
            "passwordProfile": {"password": "weak"}})
        assert weak.json()["error"]["message"] == fixture("error_password_policy.json")["error"]["message"]
        for _ in range(3):
            raw.post("/v1.0/users", headers=bearer, json={
                "accountEnabled": True, "displayName": "P", "mailNickname": "p", "userPrincipalName": f"p{_}@{domain}",
                "passwordProfile": {"password": "Paged-User-1"}})
        page = raw.get("/v1.0/users", params={"$top": "2"}, headers=bearer).json()
        assert set(page) == set(fixture("users_page.json")) and set(page["value"][0]) == set(fixture("users_page.json")["value"][0])
        assert page["@odata.nextLink"].startswith(graph.graph_base + "/users?")
        missing = raw.get("/v1.0/users/nobody@contoso.com", headers=bearer)
        assert missing.status_code == 404 and shape(missing.json()) == shape(fixture("error_not_found.json"))
        assert missing.json()["error"]["message"] == fixture("error_not_found.json")["error"]["message"]
        licence = {"addLicenses": [{"disabledPlans": [], "skuId": graph.skus[0]["skuId"]}], "removeLicenses": []}
        nowhere = raw.post(f"/v1.0/users/{created.json()['id']}/assignLicense", headers=bearer, json=licence)
        assert nowhere.status_code == 400 and "invalid usage location" in nowhere.json()["error"]["message"]
        assert raw.patch(f"/v1.0/users/{created.json()['id']}", headers=bearer, json={"usageLocation": "US"}).status_code == 204
        enabled, consumed = graph.licences()
        graph.set_licences(consumed)
        try:
            none_left = raw.post(f"/v1.0/users/{created.json()['id']}/assignLicense", headers=bearer, json=licence)
        finally:
            graph.set_licences(enabled)
        assert none_left.json()["error"]["message"] == fixture("error_no_licences.json")["error"]["message"]
        assert set(fixture("assign_license_request.json")) == {"addLicenses", "removeLicenses"}

        graph.throttle_next(1, retry_after=3)
        limited = raw.get("/v1.0/subscribedSkus", headers=bearer)
        assert limited.status_code == 429 and limited.headers["retry-after"] == "3"
        assert shape(limited.json())["error"].keys() == shape(fixture("error_throttled.json"))["error"].keys()
        assert limited.json()["error"]["code"] == "TooManyRequests" and limited.json()["error"]["message"] == "Please retry again later."
        graph.expire_tokens()
        expired = raw.get("/v1.0/subscribedSkus", headers=bearer)
        assert expired.status_code == 401 and expired.json()["error"]["message"] == fixture("error_token_expired.json")["error"]["message"]
    graph.roles = ("User.Read.All",)
    weak_token = adapter_for(graph)._access().value
    with httpx.Client(base_url=graph.url, timeout=3.0, verify=False) as raw:  # loopback http: no TLS context to load
        denied = raw.get("/v1.0/subscribedSkus", headers={"Authorization": "Bearer " + weak_token})
    assert denied.status_code == 403
    assert {k: v for k, v in denied.json()["error"].items() if k != "innerError"} == {
        k: v for k, v in fixture("error_authorization_denied.json")["error"].items() if k != "innerError"}


def answering(pages: dict[str, dict[str, Any]], seen: list[str]) -> Microsoft365Host:
    """An adapter whose token call gets the documented token answer (with roles in it), whose
    GETs get `pages[path?query]` (404 otherwise) and whose other calls succeed empty."""

    def reply(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/v2.0/token"):
            body = fixture("token_success.json")
            roles = json.dumps({"roles": ["User.ReadWrite.All", "Domain.ReadWrite.All", "Organization.Read.All"]}).encode()
            body["access_token"] = "eyJ0eXAiOiJKV1QifQ." + base64.urlsafe_b64encode(roles).decode().rstrip("=") + ".c2ln"
            return httpx.Response(200, json=body)
        key = request.url.path.removeprefix("/v1.0/") + (f"?{request.url.query.decode()}" if request.url.query else "")
        seen.append(f"{request.method} {key}")
        if request.method != "GET":
            return httpx.Response(204)
        return httpx.Response(200, json=pages[key]) if key in pages else httpx.Response(404, json=fixture("error_not_found.json"))

    return Microsoft365Host("84841066-274d-4ec0-a5c1-276be684bdd3", "535fb089-9ff3-47b6-9bfb-4f1264799865", "secret",
                            license_sku="ENTERPRISEPREMIUM", transport=httpx.MockTransport(reply))


def test_the_adapter_reads_the_documented_bodies() -> None:
    contoso = {**fixture("domain_get.json"), "id": "contoso.com", "isInitial": False}
    initial = {**fixture("domain_get.json"), "id": "contoso.onmicrosoft.com"}
    next_page = fixture("users_page.json")["@odata.nextLink"].removeprefix("https://graph.microsoft.com/v1.0/")
    seen: list[str] = []
    host = answering({
        "organization?%24select=id%2CdisplayName": fixture("organization.json"),
        "subscribedSkus": fixture("subscribed_skus.json"),
        "domains/contoso.com": contoso,
        "domains": {"value": [contoso, initial]},
        "domains/contoso.com/verificationDnsRecords": fixture("verification_dns_records.json"),
        "domains/contoso.com/serviceConfigurationRecords": fixture("service_configuration_records.json"),
        "users?%24select=id%2CuserPrincipalName&%24top=999": fixture("users_page.json"),
        next_page: {"value": [{"id": "e8b753b5-4117-464e-9a08-713e1ff266b3", "userPrincipalName": "GradyA@contoso.com"}]},
        "users/adelev@contoso.onmicrosoft.com?%24select=id": fixture("user_create.json"),  # looked up as lower case
    }, seen)
    assert host.probe() == (
        "tenant 84841066-274d-4ec0-a5c1-276be684bdd3: ENTERPRISEPREMIUM 11 of 25 licences left; "
        "roles in token: Domain.ReadWrite.All, Organization.Read.All, User.ReadWrite.All"
    )
    assert host.add_domain("contoso.com") == (RecordSpec("TXT", "@", "MS=ms12345678", 3600),)
    setup = host.mail_setup("contoso.com")
    assert setup.mx == (RecordSpec("MX", "@", "contoso-com.mail.protection.outlook.com.", 3600, 0),)
    assert setup.spf_includes == ("spf.protection.outlook.com",)  # the documented "include: spf..." too
    assert setup.extra == (
        RecordSpec("CNAME", "selector1._domainkey", "selector1-contoso-com._domainkey.contoso.onmicrosoft.com.", 3600),
        RecordSpec("CNAME", "selector2._domainkey", "selector2-contoso-com._domainkey.contoso.onmicrosoft.com.", 3600),
    )
    assert host.find_mailbox("AdeleV@contoso.onmicrosoft.com") == MailboxAccess(
        "87d349ed-44d7-43e1-9a83-5f2406dee5bd", SMTP_HOST, 587, IMAP_HOST, 993, sign_in_note=SIGN_IN_NOTE)
    host.delete_workspace("contoso.com")  # both pages read; only contoso.com's users deleted
    assert f"GET {next_page}" in seen
    assert [s for s in seen if s.startswith("DELETE")] == [
        "DELETE users/6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0",
        "DELETE users/4562bcc8-c436-4f95-b7c0-4f8ce89dca5e",
        "DELETE users/e8b753b5-4117-464e-9a08-713e1ff266b3",
        "DELETE domains/contoso.com",
    ]
