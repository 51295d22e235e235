"""HTTP-level errors in the {title, status, details, timestamp} shape: bad bodies, keys, paths,
sizes, rate limits, unreachable providers and databases, unexpected failures; request ids."""

from __future__ import annotations

import dataclasses
import secrets
import socket
from urllib.parse import urlsplit

import pytest

from mailwright import runtime as runtime_module
from mailwright.accounts import service as accounts
from mailwright.crypto import SecretBox
from tests.api.bodies import assert_problem, balance, mailbox, order_domains, request_id
from tests.conftest import client_for, serve_in_thread, settings_for, unique
from tests.support.postgres import free_port

PROVIDERS = "/rest/v2/domains/providers"
OWNER_PATH = "/rest/v2/domains/owner"


@pytest.fixture
def serve():
    """Serves another runtime (a broken one) over HTTP for the length of a test."""
    started = []

    def start(rt):
        live = serve_in_thread(rt)
        started.append(live)
        return live

    yield start
    for live in started:
        live.stop()


@pytest.mark.parametrize(
    ("content", "details"),
    [
        (b"{not json", "Request body is not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        (b"[1, 2]", "Request body must be a JSON object"),
        (b'"text"', "Request body must be a JSON object"),
        (b"", "Request body is required: send a JSON object"),
        (b"  \n", "Request body is required: send a JSON object"),
        (b'{"a": "\xff"}', "Request body is not valid JSON: 'utf-8' codec can't decode byte 0xff in position 7: invalid start byte"),
    ],
    ids=["invalid", "array", "string", "empty", "blank", "not-utf8"],
)
def test_bad_bodies_are_400(api, content, details):
    response = api.post(OWNER_PATH, content=content, headers={"content-type": "application/json"})
    assert_problem(response, 400, "Bad Request", details)


def test_missing_unknown_and_revoked_keys_are_401(anon, api, account, runtime):
    assert_problem(anon.get(PROVIDERS), 401, "Unauthorized", "Missing x-api-key header")
    assert_problem(anon.get(PROVIDERS, headers={"x-api-key": "mw_" + "x" * 43}), 401, "Unauthorized", "Invalid or revoked API key")
    assert api.get(PROVIDERS).status_code == 200
    with runtime.db.write() as session:
        for key in accounts.list_keys(session, account.id):
            accounts.revoke_key(session, key.id)
    assert_problem(api.get(PROVIDERS), 401, "Unauthorized", "Invalid or revoked API key")
    assert_problem(api.post("/rest/v2/domains/order", content=b"{"), 401, "Unauthorized", "Invalid or revoked API key")


def test_unknown_path_and_method(api):
    assert_problem(api.get("/rest/v3/nothing"), 404, "Not Found", "No endpoint at GET /rest/v3/nothing")
    refused = api.put("/healthz")
    assert_problem(refused, 405, "Method Not Allowed", "PUT is not allowed on /healthz; allowed: GET, OPTIONS")
    assert refused.headers["allow"] == "GET, OPTIONS"


def raw_exchange(base_url: str, head: str, chunks: list[bytes]) -> bytes:
    """Sends a request's head and some body chunks, then reads the answer without ever finishing
    the body: a server that waited for the whole body would never answer."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=15) as sock:
        sock.sendall(head.encode())
        for chunk in chunks:
            sock.sendall(chunk)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer) < answer.index(b"\r\n\r\n") + 60:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
        return answer


def test_declared_oversize_body_is_413_before_reading_it(make_server, account):
    live = make_server(max_body_bytes=2048)
    head = (
        f"POST {OWNER_PATH} HTTP/1.1\r\nHost: x\r\nx-api-key: {account.api_key}\r\n"
        "Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n"
    )
    answer = raw_exchange(live.base_url, head, [])
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"Request body is larger than the limit of 2048 bytes" in answer
    with client_for(live, account) as api:
        response = api.post(OWNER_PATH, content=b"{" + b" " * 4096 + b"}", headers={"content-type": "application/json"})
        assert_problem(response, 413, "Payload Too Large", "Request body is larger than the limit of 2048 bytes")
        response = api.post(OWNER_PATH, content=b"{" + b" " * 2000 + b"}", headers={"content-type": "application/json"})
        assert response.status_code == 422  # under the limit: read and validated


def test_chunked_oversize_body_is_413_without_reading_it_all(make_server, account):
    live = make_server(max_body_bytes=2048)
    head = (
        f"POST {OWNER_PATH} HTTP/1.1\r\nHost: x\r\nx-api-key: {account.api_key}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"400\r\n" + b" " * 1024 + b"\r\n"
    answer = raw_exchange(live.base_url, head, [chunk] * 4)  # 4 KB sent, and the body never ends
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"Request body is larger than the limit of 2048 bytes" in answer

    def endless():
        for _ in range(1000):
            yield b" " * 1024

    with client_for(live, account) as api:
        response = api.post(OWNER_PATH, content=endless(), headers={"content-type": "application/json"})
    assert_problem(response, 413, "Payload Too Large", "Request body is larger than the limit of 2048 bytes")


def test_rate_limit_per_key_is_429_with_retry_after(make_server, account, make_account):
    live = make_server(rate_limit_per_minute=1, rate_limit_burst=2)
    with client_for(live, account) as api:
        assert [api.get(PROVIDERS).status_code for _ in range(2)] == [200, 200]
        response = api.get(PROVIDERS)
    retry_after = response.headers["retry-after"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 60
    assert_problem(
        response, 429, "Too Many Requests", f"Rate limit of 1 requests per minute exceeded; retry in {retry_after} s"
    )
    with client_for(live, make_account()) as other:  # another key has its own allowance
        assert other.get(PROVIDERS).status_code == 200


def test_failed_authentication_is_throttled_per_client_address(make_server, account):
    """Random wrong keys, each with a bucket of its own, still run out of one allowance: their
    address's. Addresses come through X-Forwarded-For, which uvicorn trusts from loopback."""
    live = make_server(auth_failures_per_minute=1, auth_failures_burst=3)
    guesser = {"x-forwarded-for": "203.0.113.7"}
    with client_for(live) as http:
        guesses = [http.get(PROVIDERS, headers=guesser | {"x-api-key": f"mw_{secrets.token_urlsafe(32)}"}) for _ in range(6)]
        assert [r.status_code for r in guesses] == [401, 401, 401, 429, 429, 429]
        retry_after = guesses[-1].headers["retry-after"]
        assert retry_after.isdigit() and 1 <= int(retry_after) <= 60
        assert_problem(guesses[-1], 429, "Too Many Requests", f"Too many failed authentications from your address; retry in {retry_after} s")
        # The rest of its /64 is the same guesser; the reseller face answers in its envelope.
        assert http.get(PROVIDERS, headers={"x-forwarded-for": "2001:db8:0:7::1", "x-api-key": "mw_a"}).status_code == 401
        assert http.get(PROVIDERS, headers={"x-forwarded-for": "2001:db8:0:7::1", "x-api-key": "mw_b"}).status_code == 401
        assert http.get(PROVIDERS, headers={"x-forwarded-for": "2001:db8:0:7::1", "x-api-key": "mw_c"}).status_code == 401
        assert http.get(PROVIDERS, headers={"x-forwarded-for": "2001:db8:0:7:ffff::2", "x-api-key": "mw_d"}).status_code == 429
        reseller = http.get("/api/v1/integration/wallet", headers=guesser | {"cmr-x-api-key": "mw_e"})
        assert reseller.status_code == 429 and reseller.headers["retry-after"].isdigit()
        assert reseller.json()["data"]["code"] == "too_many_requests"
        # From the guessing address even a valid key waits (checking it would answer the guess) ...
        assert http.get(PROVIDERS, headers=guesser | account.headers).status_code == 429
        # ... while from anywhere else it is served at once.
        for _ in range(5):
            assert http.get(PROVIDERS, headers={"x-forwarded-for": "198.51.100.9"} | account.headers).status_code == 200


def test_unreachable_provider_is_503_and_charges_nothing(api_with_owner, account, runtime):
    domain = f"{unique('unreachable')}.com"
    response = order_domains(api_with_owner, [domain], [mailbox(f"r@{domain}")])
    assert_problem(response, 503, "Service Unavailable", "A provider cannot be reached right now; try again shortly")
    assert response.headers["retry-after"] == "5"
    assert balance(runtime, account.id) == "1000.00"


def test_unreachable_database_is_503(serve, tmp_path, account):
    dead_url = f"postgresql+psycopg://mailwright@127.0.0.1:{free_port()}/mailwright"
    live = serve(runtime_module.build(settings_for(dead_url, tmp_path)))
    with client_for(live, account) as api:
        response = api.get(PROVIDERS)
        assert_problem(response, 503, "Service Unavailable", "The database cannot be reached right now; try again shortly")
        assert response.headers["retry-after"] == "5"
        assert api.get("/healthz").json() == {"status": "ok"}
        ready = api.get("/readyz")
    assert (ready.status_code, ready.json()) == (503, {"status": "unavailable", "reason": "OperationalError"})


def test_unexpected_error_is_500_without_details(serve, runtime, shop):
    wrong_key = SecretBox(["another-secret-key-that-is-long-enough-0123456789"])
    live = serve(dataclasses.replace(runtime, secrets=wrong_key))
    with client_for(live, shop.account) as api:
        response = api.get(f"/rest/v2/domains/{shop.domain}/mailboxes/m0@{shop.domain}")
    assert_problem(response, 500, "Internal Server Error", "Unexpected server error")


def test_every_response_carries_a_request_id(anon, api):
    ids = {request_id(r) for r in (anon.get("/healthz"), api.get(PROVIDERS), anon.get(PROVIDERS), api.get("/nope"))}
    assert len(ids) == 4
    mine = api.get(PROVIDERS, headers={"x-request-id": "client-chosen-id-0001"})
    assert request_id(mine) == "client-chosen-id-0001"
    unsafe = api.get(PROVIDERS, headers={"x-request-id": "bad id\twith spaces"})
    assert request_id(unsafe) != "bad id\twith spaces"
    error = api.post("/rest/v2/domains/order", json={}, headers={"x-request-id": "client-chosen-id-0002"})
    assert error.json()["request_id"] == "client-chosen-id-0002"
    # Problem bodies too, not only the 422 one.
    for problem in (anon.get(PROVIDERS, headers={"x-request-id": "client-chosen-id-0003"}), api.get("/nope", headers={"x-request-id": "client-chosen-id-0003"})):
        assert problem.status_code in (401, 404) and problem.json()["request_id"] == "client-chosen-id-0003"


def test_health_and_readiness(anon):
    assert (anon.get("/healthz").status_code, anon.get("/healthz").json()) == (200, {"status": "ok"})
    assert (anon.get("/readyz").status_code, anon.get("/readyz").json()) == (200, {"status": "ready"})
