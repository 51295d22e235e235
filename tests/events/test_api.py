"""The subscriptions API: /rest/v1/webhooks, authenticated and validated like /rest/v2."""

from __future__ import annotations

import httpx

from mailwright.events.types import EVENT_TYPES
from tests.conftest import TLS


def fields(response):
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"] == "validation_error"
    return {f["field"]: f["issue"] for f in body["fields"]}


def test_subscribe_answers_the_secret_once_and_lists_without_it(api):
    response = api.post("/rest/v1/webhooks/subscribe", json={"target_url": "https://localhost/hooks", "event": "mailbox.created"})
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 30
    assert created["target_url"] == "https://localhost/hooks" and created["event"] == "mailbox.created"
    assert created["status"] == "active" and created["format"] == "standard" and created["unsubscribed"] is None
    listed = api.get("/rest/v1/webhooks").json()["webhooks"]
    assert [w["id"] for w in listed] == [created["id"]]
    assert "secret" not in listed[0]
    one = api.get(f"/rest/v1/webhooks/{created['id']}").json()
    assert one == {k: v for k, v in created.items() if k != "secret"}


def test_subscribe_names_every_bad_field(api):
    assert fields(api.post("/rest/v1/webhooks/subscribe", json={})) == {
        "target_url": "Field is required",
        "event": "Field is required",
    }
    bad = fields(api.post("/rest/v1/webhooks/subscribe", json={"target_url": "ftp://example.com/x", "event": "mailbox.exploded"}))
    assert set(bad) == {"target_url", "event"}
    assert "http or https" in bad["target_url"] and "mailbox.created" in bad["event"]
    for url in ("not a url", "https://", "/relative/path", "https://user:pw@example.com/", 42, "https://example.com:99999/"):
        assert set(fields(api.post("/rest/v1/webhooks/subscribe", json={"target_url": url, "event": "*"}))) == {"target_url"}, url
    assert set(fields(api.post("/rest/v1/webhooks/subscribe", json={"target_url": "https://localhost/", "event": ["*"]}))) == {"event"}


def test_subscribe_refuses_bad_json_and_duplicates(api):
    response = api.post("/rest/v1/webhooks/subscribe", content=b"{nope", headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["status"] == 400
    response = api.post("/rest/v1/webhooks/subscribe", json=["https://example.com"])
    assert response.status_code == 400
    body = {"target_url": "https://localhost/dup", "event": "*"}
    assert api.post("/rest/v1/webhooks/subscribe", json=body).status_code == 201
    again = api.post("/rest/v1/webhooks/subscribe", json=body)
    assert again.status_code == 422 and again.json()["code"] == "already_subscribed"
    assert fields(again) == {"target_url": "Already subscribed to this event"}
    # Another type for the same URL is a separate subscription.
    assert api.post("/rest/v1/webhooks/subscribe", json=body | {"event": "order.completed"}).status_code == 201


def test_unsubscribe_by_url_and_event_or_by_id(api):
    one = api.post("/rest/v1/webhooks/subscribe", json={"target_url": "https://localhost/a", "event": "*"}).json()
    two = api.post("/rest/v1/webhooks/subscribe", json={"target_url": "https://localhost/b", "event": "order.completed"}).json()
    response = api.post("/rest/v1/webhooks/unsubscribe", json={"target_url": "https://localhost/a", "event": "*"})
    assert response.status_code == 200 and response.json() == {"success": True, "unsubscribed": [one["id"]]}
    again = api.post("/rest/v1/webhooks/unsubscribe", json={"target_url": "https://localhost/a", "event": "*"})
    assert again.status_code == 404 and again.json()["details"] == "Webhook subscription not found"
    assert set(fields(api.post("/rest/v1/webhooks/unsubscribe", json={"event": "nope"}))) == {"target_url", "event"}
    assert api.delete(f"/rest/v1/webhooks/{two['id']}").json() == {"success": True, "unsubscribed": [two["id"]]}
    statuses = {w["id"]: (w["status"], w["status_reason"]) for w in api.get("/rest/v1/webhooks").json()["webhooks"]}
    assert statuses == {
        one["id"]: ("unsubscribed", "Unsubscribed through the API"),
        two["id"]: ("unsubscribed", "Unsubscribed through the API"),
    }


def test_webhooks_of_another_account_are_not_found(api, server, make_account):
    from tests.conftest import client_for

    mine = api.post("/rest/v1/webhooks/subscribe", json={"target_url": "https://localhost/mine", "event": "*"}).json()
    with client_for(server, make_account()) as other:
        for method, path in (("GET", ""), ("DELETE", ""), ("GET", "/deliveries")):
            response = other.request(method, f"/rest/v1/webhooks/{mine['id']}{path}")
            assert response.status_code == 404 and response.json()["details"] == "Webhook not found"
        assert other.get("/rest/v1/webhooks").json() == {"webhooks": []}
    assert api.get(f"/rest/v1/webhooks/{mine['id']}").json()["status"] == "active"


def test_the_api_key_is_required(anon):
    for method, path in (("GET", "/rest/v1/webhooks"), ("POST", "/rest/v1/webhooks/subscribe"), ("GET", "/rest/v1/webhooks/events")):
        response = anon.request(method, path)
        assert response.status_code == 401 and response.json()["details"] == "Missing x-api-key header"
    response = anon.get("/rest/v1/webhooks", headers={"x-api-key": "mw_wrong"})
    assert response.status_code == 401


def test_event_types_and_openapi(api, anon):
    assert api.get("/rest/v1/webhooks/events").json() == {"events": list(EVENT_TYPES)}
    schema = anon.get("/openapi.json").json()
    paths = schema["paths"]
    assert {"/rest/v1/webhooks/subscribe", "/rest/v1/webhooks/unsubscribe", "/rest/v1/webhooks", "/rest/v1/webhooks/{webhook_id}", "/rest/v1/webhooks/{webhook_id}/deliveries"} <= set(paths)
    subscribe = paths["/rest/v1/webhooks/subscribe"]["post"]
    assert subscribe["requestBody"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/SubscribeRequest"
    assert {"201", "401", "422"} <= set(subscribe["responses"])
    assert "*" in schema["components"]["schemas"]["SubscribeRequest"]["properties"]["event"]["enum"]


# What the outbound guard refuses where private addresses are not allowed (the default).
REFUSED_TARGETS = {
    "https://169.254.169.254/latest/meta-data/": "169.254.169.254 is a link-local address; only public addresses are allowed",
    "https://[::ffff:169.254.169.254]/": "::ffff:169.254.169.254 is a link-local address; only public addresses are allowed",
    "http://127.0.0.1:8080/hooks": "127.0.0.1 is a loopback address; only public addresses are allowed",
    "https://localhost/hooks": "localhost resolves to a loopback address; only public addresses are allowed",
    "http://10.0.0.7/hooks": "10.0.0.7 is a private address; only public addresses are allowed",
    "https://no-such-host.invalid/hooks": "no-such-host.invalid does not resolve to any address",
}


def test_subscribing_a_url_of_a_private_address_is_refused(make_server, account):
    public_only = make_server(outbound_allow_private=False)
    with httpx.Client(base_url=public_only.base_url, headers=account.headers, timeout=30, verify=TLS) as api:
        for url, issue in REFUSED_TARGETS.items():
            response = api.post("/rest/v1/webhooks/subscribe", json={"target_url": url, "event": "*"})
            assert fields(response) == {"target_url": issue}, url
            assert response.json()["fields"][0]["value"] == url
        # Both problems of one request are named at once.
        both = api.post("/rest/v1/webhooks/subscribe", json={"target_url": "http://127.0.0.1/", "event": "nope"})
        assert set(fields(both)) == {"target_url", "event"}
        assert api.get("/rest/v1/webhooks").json()["webhooks"] == []  # nothing was stored
