"""MAILWRIGHT_MAILBOX_HOSTS: a provider set to "off" is withdrawn: not listed by /providers, and
orders for it are refused on both faces with the face's own sentence, naming what is left."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from mailwright.providers.base import NeedsActionError
from mailwright.providers.registry import build_providers
from tests.api.bodies import assert_invalid, mailbox, order_domains
from tests.conftest import LiveServer, client_for, serve_in_thread, unique
from tests.reseller.conftest import BASE, field_errors


@pytest.fixture(scope="module")
def withdrawn(runtime) -> Iterator[LiveServer]:
    """A server on the session's database whose operator withdrew MICROSOFT and MAILFORGE."""
    settings = runtime.settings.model_copy(update={"mailbox_hosts": '{"MICROSOFT": "off", "MAILFORGE": "off"}'})
    providers = build_providers(settings)
    withdrawing = dataclasses.replace(runtime, settings=settings)
    withdrawing.providers = providers
    live = serve_in_thread(withdrawing)
    yield live
    live.stop()
    providers.close()


def test_a_withdrawn_provider_is_neither_listed_nor_sold(withdrawn, make_account, api_with_owner):
    customer = make_account()
    with client_for(withdrawn, customer) as api:
        listed = api.get("/rest/v2/domains/providers").json()["providers"]
        assert [p["name"] for p in listed] == ["MAILDOSO", "GOOGLE"]
        api.post("/rest/v2/domains/owner", json=api_with_owner.get("/rest/v2/domains/owner").json())
        domain = f"{unique('off')}.com"
        refused = order_domains(api, [domain], [mailbox(f"richard@{domain}")], provider="MICROSOFT")
        assert_invalid(refused, ("provider", "Valid values are MAILDOSO, GOOGLE", "MICROSOFT"))
        search = api.get("/rest/v2/domains/availability", params={"query": "piedpiper", "provider": "MAILFORGE"})
        assert_invalid(search, ("provider", "Valid values are MAILDOSO, GOOGLE", "MAILFORGE"))
    with client_for(withdrawn, customer) as plain:
        reseller = plain.post(
            BASE + "/orders",
            headers={"cmr-x-api-key": customer.api_key},
            json={"domains": [{"domain": f"{unique('off')}.com"}], "mailboxes": {}, "serviceProvider": "MICROSOFT"},
        )
    assert reseller.status_code == 400, reseller.text
    assert field_errors(reseller)["serviceProvider"] == "Valid values are GOOGLE"
    # What was sold before the withdrawal waits for a person at its next step, never crashes.
    with pytest.raises(NeedsActionError, match='MICROSOFT is withdrawn here .*"off"'):
        withdrawn.runtime.providers.mailbox_host("MICROSOFT")


def test_mailbox_hosts_setting_names_what_is_wrong():
    from pydantic import ValidationError

    from mailwright.config import Settings

    for text, message in (
        ("[]", "must be a JSON object"),
        ('{"GOOGLE": "gmail"}', "GOOGLE can be served by sandbox, google_workspace, off, not 'gmail'"),
        ('{"YAHOO": "off"}', "'YAHOO' is not a mailbox provider"),
        ('{"MAILDOSO": "google_workspace"}', "MAILDOSO can be served by sandbox, off"),
    ):
        with pytest.raises(ValidationError, match=message):
            Settings(mailbox_hosts=text)
