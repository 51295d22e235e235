"""Every example in the OpenAPI document is true: each request example is sent to the live server
(on fresh accounts, with unique domain names and the ids the run itself created put in for the
example's), and the answer has the documented status, validates against the documented schema,
and has the shape of the example answer.

MAILWRIGHT_WRITE_EXAMPLES=1 ./mw test tests/api/test_examples.py records the answers of this
run as the examples (api/<face>/examples.json), with this run's names and ids put back."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest

from mailwright.accounts import service as accounts
from mailwright.api.examples import JSON, MULTIPART, Example, all_examples
from mailwright.api.reseller import PREFIX as RESELLER
from mailwright.api.reseller import examples as rx
from mailwright.api.woodpecker import examples as wx
from mailwright.money import Money
from tests.api.bodies import assert_accepted, mailbox, order_domains
from tests.conftest import OWNER, LiveServer, unique, wait_for_order, wait_until

WRITE = os.environ.get("MAILWRIGHT_WRITE_EXAMPLES") == "1"
PUBLIC_BASE = "https://mailwright.example.com"
W = "/rest/v2/domains"
# A local port nothing listens on: webhook deliveries of this run fail at once, on this machine.
CLOSED_HOOK = "http://127.0.0.1:9/hooks"

Body = Any
Capture = Callable[[Body, dict[str, str]], dict[str, str]]


def _of(items: list[dict[str, Any]], key: str, value: str) -> dict[str, Any]:
    return next(item for item in items if item[key] == value)


# Ids the examples name, taken from the answers that create them in this run.
CAPTURES: dict[tuple[str, str], Capture] = {
    ("POST", f"{W}/order"): lambda b, k: {wx.ORDER_ID: b["order_id"]},
    ("POST", f"{W}/mailboxes/order"): lambda b, k: {wx.MAILBOX_ORDER_ID: b["order_id"]},
    ("GET", "/rest/v2/subscriptions"): lambda b, k: {wx.SUBSCRIPTION_ID: _of(b["subscriptions"], "domain", k[wx.DOMAIN])["subscription_id"]},
    ("POST", "/rest/v1/webhooks/subscribe"): lambda b, k: {wx.WEBHOOK_ID: b["id"]},
    ("POST", f"{RESELLER}/users"): lambda b, k: {rx.USER_ID: b["data"]["userId"]},
    ("POST", f"{RESELLER}/orders"): lambda b, k: {rx.ORDER_ID: b["data"]["orderId"]},
    ("GET", f"{RESELLER}/domains"): lambda b, k: {rx.DOMAIN_ID: _of(b["data"]["domains"], "domainName", k[rx.DOMAIN])["domainId"]},
    ("POST", f"{RESELLER}/orders/mailboxes"): lambda b, k: {rx.MAILBOX_ORDER_ID: b["data"]["orderId"]},
    ("POST", f"{RESELLER}/domains/renew"): lambda b, k: {rx.DOMAIN_RENEWAL_ID: b["data"][0]["actionId"]},
    ("POST", f"{RESELLER}/domains/dns-records"): lambda b, k: {rx.RECORD_ID: b["data"]["recordId"]},
    ("GET", f"{RESELLER}/mailboxes"): lambda b, k: {
        rx.MAILBOX_ID: _of(b["data"]["mailboxes"], "username", "monica")["mailboxId"],
        rx.SECOND_MAILBOX_ID: _of(b["data"]["mailboxes"], "username", "jared")["mailboxId"],
    },
    ("GET", f"{RESELLER}/subscriptions"): lambda b, k: {rx.SUBSCRIPTION_ID: b["data"]["subscriptions"][0]["subscriptionId"]},
    ("POST", f"{RESELLER}/subscriptions/renew-subscriptions"): lambda b, k: {rx.SUBSCRIPTION_RENEWAL_ID: b["data"]["actionId"]},
    ("POST", f"{RESELLER}/webhooks"): lambda b, k: {rx.WEBHOOK_ID: b["data"]["webhookId"]},
}


def _wait_reseller_order(client: httpx.Client, order_id: str) -> None:
    def final() -> bool:
        status = client.get(f"{RESELLER}/orders/{order_id}/status").json()["data"]["orderStatus"]
        return status not in ("CREATED", "PROCESSING") and status == "COMPLETED"

    wait_until(final, timeout=60, interval=0.1)


# What must have happened before the next example can run: orders finish provisioning.
AFTER: dict[tuple[str, str], Callable[[httpx.Client, dict[str, str]], None]] = {
    ("POST", f"{W}/order"): lambda c, k: _completed(c, k[wx.ORDER_ID]),
    ("POST", f"{W}/mailboxes/order"): lambda c, k: _completed(c, k[wx.MAILBOX_ORDER_ID]),
    ("POST", f"{W}/orders/{{order_id}}/retry"): lambda c, k: _completed(c, k[wx.PARKED_ORDER_ID]),
    ("DELETE", "/rest/v1/webhooks/{webhook_id}"): lambda c, k: _parked(c, k[wx.PARKED_ORDER_ID]),
    ("POST", f"{RESELLER}/orders/{{orderId}}/process"): lambda c, k: _wait_reseller_order(c, k[rx.ORDER_ID]),
    ("POST", f"{RESELLER}/orders/mailboxes"): lambda c, k: _wait_reseller_order(c, k[rx.MAILBOX_ORDER_ID]),
}


def _parked(client: httpx.Client, order_id: str) -> None:
    """The order placed before the examples has reached needs_action (the retry example is next)."""
    wait_until(lambda: client.get(f"{W}/orders/{order_id}").json()["status"] == "needs_action", timeout=60)


def _completed(client: httpx.Client, order_id: str) -> None:
    assert wait_for_order(client, order_id)["status"] == "completed"


@dataclass
class Run:
    """One face's examples on its own fresh account; `known` maps each name or id the examples
    use to the one this run uses."""

    client: httpx.Client
    known: dict[str, str]
    answers: dict[str, Any] = field(default_factory=dict)

    def put_in(self, value: Any) -> Any:
        return _replace(value, sorted(self.known.items(), key=lambda pair: -len(pair[0])))

    def put_back(self, value: Any, base_url: str) -> Any:
        pairs = sorted(((real, named) for named, real in self.known.items()), key=lambda pair: -len(pair[0]))
        return _shorten(_replace(value, [(base_url, PUBLIC_BASE), *pairs]))


def _replace(value: Any, pairs: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        for old, new in pairs:
            value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [_replace(v, pairs) for v in value]
    if isinstance(value, dict):
        return {_replace(k, pairs): _replace(v, pairs) for k, v in value.items()}
    return value


def _shorten(value: Any) -> Any:
    """Long lists (countries, suggestions ...) are shown by their first items."""
    if isinstance(value, list):
        return [_shorten(v) for v in value[:3]]
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    return value


def shape_problems(example: Any, real: Any, where: str = "") -> list[str]:
    """Where the answer departs from the example's shape: other members, other JSON types (a null
    on either side matches anything; lists are compared by their first items)."""
    if example is None or real is None:
        return []
    if isinstance(example, dict):
        if not isinstance(real, dict):
            return [f"{where or '.'}: an object was expected"]
        if set(example) != set(real):
            return [f"{where or '.'}: members differ: {sorted(set(example) ^ set(real))}"]
        return [p for key in example for p in shape_problems(example[key], real[key], f"{where}.{key}")]
    if isinstance(example, list):
        if not isinstance(real, list):
            return [f"{where}: an array was expected"]
        return shape_problems(example[0], real[0], f"{where}[0]") if example and real else []
    numbers = (int, float)
    same = type(example) is type(real) or (isinstance(example, numbers) and isinstance(real, numbers) and not isinstance(real, bool))
    return [] if same else [f"{where}: {type(example).__name__} expected, {type(real).__name__} answered"]


def _fresh_account(runtime: Any, name: str) -> str:
    with runtime.db.write() as session:
        _, key = accounts.create_account(session, f"{name} {unique()}", "USD", credit=Money(200_000, "USD"))
    return key


@pytest.fixture(scope="module")
def runs(server: LiveServer, runtime: Any) -> Iterator[dict[str, Run]]:
    woodpecker_key, reseller_key = _fresh_account(runtime, "Examples"), _fresh_account(runtime, "Reseller examples")
    with httpx.Client(base_url=server.base_url, headers={"x-api-key": woodpecker_key}, timeout=30) as woodpecker, httpx.Client(
        base_url=server.base_url, headers={"cmr-x-api-key": reseller_key}, timeout=30
    ) as reseller:
        yield {"woodpecker": _woodpecker_run(woodpecker), "reseller": _reseller_run(reseller)}


def _woodpecker_run(client: httpx.Client) -> Run:
    """An owner, an order parked in needs_action (for the retry example) and a webhook
    subscription (for the unsubscribe example)."""
    assert client.post(f"{W}/owner", json=OWNER).status_code == 200
    parked = f"action-{unique()}.com"
    parked_order = assert_accepted(order_domains(client, [parked], [mailbox(f"ann@{parked}")]), "19.00")
    # Domains whose DKIM waits for the operator (for the set_dkim and confirm_dkim examples).
    waiting = {}
    for name, provider in ((wx.KEYED_DOMAIN, "GOOGLE"), (wx.CONFIRMED_DOMAIN, "MICROSOFT")):
        waiting[name] = f"dkim-{unique()}.com"
        assert_accepted(order_domains(client, [waiting[name]], [mailbox(f"ann@{waiting[name]}")], provider=provider), "19.00")
    hook = client.post("/rest/v1/webhooks/subscribe", json={"target_url": CLOSED_HOOK, "event": "mailbox.created"})
    assert hook.status_code == 201, hook.text
    for domain in waiting.values():
        wait_until(lambda: client.get(f"{W}/{domain}").json()["status"] == "needs_action", timeout=60)
    known = {wx.DOMAIN: f"{unique('pp')}.com", wx.HOOK_URL: CLOSED_HOOK, wx.PARKED_DOMAIN: parked, wx.PARKED_ORDER_ID: parked_order} | waiting
    return Run(client, known)


def _reseller_run(client: httpx.Client) -> Run:
    """A second user without domains (for the removal example)."""
    domain = f"{unique('rv')}.com"
    former = client.post(f"{RESELLER}/users", json=rx.USER | {"email": f"peter@{domain}", "firstName": "Peter"})
    assert former.status_code == 201, former.text
    return Run(client, {rx.DOMAIN: domain, rx.HOOK_URL: CLOSED_HOOK, rx.FORMER_USER_ID: former.json()["data"]["userId"]})


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    return jsonschema_rs.Draft202012Validator({**schema, "components": document["components"]})


def _send(run: Run, example: Example, *, as_form: bool = False) -> httpx.Response:
    path = example.path.format(**run.put_in(example.path_params))
    params = run.put_in(example.query)
    if as_form:
        assert example.form is not None
        # A form with an empty file part, so that it goes as multipart/form-data as documented.
        return run.client.request(example.method, path, params=params, data=run.put_in(example.form), files={"_": ("", b"")})
    body = run.put_in(example.body)
    return run.client.request(example.method, path, params=params, json=body) if body is not None else run.client.request(example.method, path, params=params)


def test_every_request_body_and_success_answer_has_an_example(anon):
    document = anon.get("/openapi.json").json()
    examples = {e.key for e in all_examples()}
    assert len(examples) == len(all_examples()), "one example per operation"
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            for media, described in content.items():
                assert "example" in described, (method, path, media)
            for status, answer in operation["responses"].items():
                for media in answer.get("content", {}) if status.startswith("2") else ():
                    if media == JSON or media.startswith("text/"):
                        assert "example" in answer["content"][media], (method, path, status, media)
                        assert (method.upper(), path) in examples, (method, path)
    for example in all_examples():
        assert example.response is not None or WRITE, f"no recorded answer for {example.key}"


@pytest.mark.timeout(300)
def test_every_example_gets_the_answer_it_shows(server, runs, anon):
    """Each face on its own account, both at once (most of the time goes to waiting for orders)."""
    document = anon.get("/openapi.json").json()
    by_face = {"woodpecker": [e for e in all_examples() if not e.path.startswith(RESELLER)], "reseller": [e for e in all_examples() if e.path.startswith(RESELLER)]}
    with ThreadPoolExecutor(max_workers=2) as pool:
        found = pool.map(lambda face: _check(server, document, runs[face], by_face[face]), by_face)
        problems = [problem for face_problems in found for problem in face_problems]
    if WRITE:
        _write(runs["woodpecker"], wx.__file__)
        _write(runs["reseller"], rx.__file__)
    assert not problems, "\n".join(problems)


def _check(server: LiveServer, document: dict[str, Any], run: Run, examples: list[Example]) -> list[str]:
    problems: list[str] = []
    for example in examples:
        operation = document["paths"][example.path][example.method.lower()]
        schema = operation["responses"][str(example.status)]["content"][example.media_type]["schema"]
        attempts = [_send(run, example)]
        if example.form is not None and MULTIPART in operation.get("requestBody", {}).get("content", {}):
            attempts.append(_send(run, example, as_form=True))
        for number, response in enumerate(attempts):
            label = f"{example.method} {example.path}" + (" (multipart)" if number else "")
            if response.status_code != example.status:
                problems.append(f"{label}: {response.status_code} {response.text[:300]}")
                return problems  # the examples after it build on this one
            if example.media_type != JSON:
                problems += [f"{label}: {p}" for p in _text_problems(example, response)]
                run.answers[f"{example.method} {example.path}"] = run.put_back(response.text, server.base_url)
                continue
            body = response.json()
            errors = [f"{e.instance_path}: {e.message}" for e in _validator(document, schema).iter_errors(body)]
            problems += [f"{label}: schema: {e}" for e in errors[:3]]
            if number == 0:
                capture = CAPTURES.get(example.key)
                if capture:
                    run.known |= capture(body, run.known)
                run.answers[f"{example.method} {example.path}"] = run.put_back(body, server.base_url)
                if not WRITE:
                    problems += [f"{label}: shape: {p}" for p in shape_problems(example.response, body)]
        after = AFTER.get(example.key)
        if after:
            after(run.client, run.known)
    return problems


def _text_problems(example: Example, response: httpx.Response) -> list[str]:
    """A text answer (a CSV file): its media type, and the example's first line (the header row)."""
    problems = []
    if not response.headers.get("content-type", "").startswith(example.media_type):
        problems.append(f"content-type {response.headers.get('content-type')!r}, not {example.media_type}")
    shown = str(example.response or "").splitlines()[:1]
    if not WRITE and shown != response.text.splitlines()[:1]:
        problems.append(f"first line {response.text.splitlines()[:1]}, not {shown}")
    return problems


def _write(run: Run, module_file: str) -> None:
    answers = run.answers
    Path(module_file).with_name("examples.json").write_text(json.dumps(answers, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
