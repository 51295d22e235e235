"""DKIM a person handles at the mailbox host (docs/decisions/1107): the sandbox's `dkim-` domains
ask for it as Google Workspace (a key from the operator) and Microsoft 365 (signing confirmed by
the operator) do. The domain waits, the rest of its records published; the key or the
confirmation, through the API or the command line, resumes it, and it is ready only once the
key is served."""

from __future__ import annotations

import base64

import httpx
from cryptography.hazmat.primitives import serialization

from mailwright.dns.dkim import dkim_txt_value, generate_private_key_pem
from mailwright.runtime import Runtime
from tests.api.bodies import assert_violation
from tests.conftest import Cli, unique, wait_for_order, wait_until
from tests.dns.test_sandbox_dns import ask, order, served_texts


def a_key() -> str:
    return dkim_txt_value(generate_private_key_pem())


def records(api: httpx.Client, domain: str) -> dict[str, dict]:
    return {r["purpose"]: r for r in api.get(f"/rest/v2/domains/{domain}/dns").json()["records"]}


def set_dkim(api: httpx.Client, domain: str, **body: object) -> httpx.Response:
    return api.patch(f"/rest/v2/domains/{domain}/set_dkim", json=body)


def test_google_waits_for_the_operators_key_then_serves_it(api_with_owner: httpx.Client, runtime: Runtime) -> None:
    api = api_with_owner
    domain = f"dkim-{unique()}.com"
    parked = order(api, domain, provider="GOOGLE")
    assert parked["status"] == "needs_action", parked
    detail = api.get(f"/rest/v2/domains/{domain}").json()
    assert detail["status"] == "needs_action"
    assert detail["failure_reason"].startswith(
        f"DKIM of {domain} waits for the operator; `mailwright dns set-dkim {domain} --selector google --value ...` resumes the order: "
    )
    # Everything else is published meanwhile; no DKIM record of Mailwright's own.
    published = records(api, domain)
    assert {"mx", "spf", "dmarc"} <= set(published) and "dkim" not in published

    # A confirmation is not what this host asks for; bad input names every field.
    assert_violation(
        api.patch(f"/rest/v2/domains/{domain}/confirm_dkim"),
        "dkim_not_asked",
        f"{domain}'s mailbox host asks for a DKIM key from the operator, not the operator's confirmation that signing is on",
        None,
    )
    bad = set_dkim(api, domain, selector="not a label", value="v=DKIM1; p=bm90IGEga2V5")
    assert bad.status_code == 422, bad.text
    assert {f["field"]: f["issue"] for f in bad.json()["fields"]} == {
        "selector": "A DKIM selector is one DNS label: letters, digits and hyphens, e.g. google",
        "value": "The DKIM key record's p= is not a public key in base64",
    }

    key = a_key()
    assert set_dkim(api, domain, selector="google", value=key).json() == {"success": True}
    assert wait_for_order(api, parked["order_id"])["status"] == "completed"
    ready = records(api, domain)
    assert (ready["dkim"]["fqdn"], ready["dkim"]["value"], ready["dkim"]["valid"]) == (f"google._domainkey.{domain}", key, True)
    assert served_texts(ask(runtime, f"google._domainkey.{domain}", "TXT")) == [key]

    # A new key on the ready domain replaces the old one in the zone.
    rotated = a_key()
    assert set_dkim(api, domain, selector="google", value=rotated).status_code == 200
    wait_until(lambda: served_texts(ask(runtime, f"google._domainkey.{domain}", "TXT")) == [rotated], timeout=30)
    assert records(api, domain)["dkim"]["value"] == rotated


def test_microsoft_waits_for_the_operators_confirmation(api_with_owner: httpx.Client) -> None:
    api = api_with_owner
    domain = f"dkim-{unique()}.com"
    parked = order(api, domain, provider="MICROSOFT")
    reason = api.get(f"/rest/v2/domains/{domain}").json()["failure_reason"]
    assert reason.startswith(f"DKIM signing of {domain} waits for the operator; `mailwright dns confirm-dkim {domain}` resumes the order: ")
    assert set_dkim(api, domain, selector="google", value=a_key()).json()["code"] == "dkim_not_asked"
    assert api.patch(f"/rest/v2/domains/{domain}/confirm_dkim").json() == {"success": True}
    assert wait_for_order(api, parked["order_id"])["status"] == "completed"
    assert api.get(f"/rest/v2/domains/{domain}").json()["status"] == "ready"


def test_a_domain_signed_with_mailwrights_own_key_takes_neither(api_with_owner: httpx.Client) -> None:
    domain = f"{unique('own')}.com"
    assert order(api_with_owner, domain, provider="GOOGLE")["status"] == "completed"
    refused = set_dkim(api_with_owner, domain, selector="google", value=a_key())
    assert_violation(
        refused,
        "dkim_not_asked",
        f"{domain}'s mailbox host asks for nothing: its mail is signed with the key Mailwright generated for it, not a DKIM key from the operator",
        None,
    )
    assert api_with_owner.patch(f"/rest/v2/domains/{unique('none')}.com/confirm_dkim").status_code == 404


def test_the_command_line_supplies_the_key_and_resumes_the_order(cli: Cli, api_with_owner: httpx.Client) -> None:
    domain = f"dkim-{unique()}.com"
    parked = order(api_with_owner, domain, provider="GOOGLE")
    bad = cli("dns", "set-dkim", domain, "--selector", "google", "--value", "p=")
    assert (bad.returncode, bad.stdout) == (2, "")
    assert bad.stderr == "Error: --value: The DKIM key record has no public key (p=)\n"
    key = a_key()
    done = cli.json("dns", "set-dkim", domain.upper(), "--selector", "Google", "--value", key)
    assert done == {"domain": domain, "status": "registered", "selector": "google", "confirmed": False}
    assert wait_for_order(api_with_owner, parked["order_id"])["status"] == "completed"
    assert records(api_with_owner, domain)["dkim"]["value"] == key
    missing = cli("dns", "confirm-dkim", f"{unique('nope')}.com")
    assert missing.returncode == 1 and "Error: no domain" in missing.stderr
    # The key is a public key, as published: a private one's base64 is refused.
    private = base64.b64encode(
        serialization.load_pem_private_key(generate_private_key_pem().encode(), None).private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    ).decode()
    refused = set_dkim(api_with_owner, domain, selector="google", value=f"v=DKIM1; p={private}")
    assert [(f["field"], f["issue"]) for f in refused.json()["fields"]] == [("value", "The DKIM key record's p= is not a public key in base64")]
