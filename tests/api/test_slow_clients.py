"""Slow clients, over raw sockets: a connection whose request's headers or body never finish is
closed at its deadline (after a 408 in the face's shape when the body was being read), while
other clients are served meanwhile."""

from __future__ import annotations

import contextlib
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest

from tests.api.bodies import assert_problem
from tests.conftest import client_for

# The HTTP server's deadlines on unfinished requests: no database is involved.
pytestmark = pytest.mark.backend_independent

PROVIDERS = "/rest/v2/domains/providers"
TIMEOUT = 0.5
# A connection held open shows as a read timing out here. Generous for a loaded machine; the
# connections are closed about TIMEOUT seconds after they stall.
CLOSED_WITHIN = 30.0


def connect(base_url: str) -> socket.socket:
    parts = urlsplit(base_url)
    conn = socket.create_connection((parts.hostname, parts.port))
    conn.settimeout(CLOSED_WITHIN)
    return conn


def read_until_closed(conn: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a read timing out fails)."""
    received = b""
    try:
        while chunk := conn.recv(65536):
            received += chunk
    except ConnectionResetError:  # closed while the client was still sending
        pass
    conn.close()
    return received


def read_one_answer(conn: socket.socket) -> httpx.Response:
    """One whole answer on a connection that stays open."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += conn.recv(65536)
    answer = as_response(received)
    while len(received.partition(b"\r\n\r\n")[2]) < int(answer.headers["content-length"]):
        received += conn.recv(65536)
    return as_response(received)


def as_response(raw: bytes) -> httpx.Response:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = [tuple(part.strip() for part in line.split(":", 1)) for line in header_lines]
    return httpx.Response(int(status_line.split()[1]), headers=headers, content=body)


def test_unfinished_requests_are_cut_off_while_others_are_served(make_server, account):
    live = make_server(request_headers_timeout_seconds=TIMEOUT, request_body_timeout_seconds=TIMEOUT)
    started = time.monotonic()
    silent = connect(live.base_url)  # connects and never says anything
    endless_headers = connect(live.base_url)
    endless_headers.sendall(f"GET {PROVIDERS} HTTP/1.1\r\nHost: mailwright\r\nx-api-key: {account.api_key}\r\nX-Slow: ".encode())
    stalled_bodies = {}
    for path, key_header in (("/rest/v2/domains/owner", "x-api-key"), ("/api/v1/integration/users", "cmr-x-api-key")):
        conn = connect(live.base_url)
        conn.sendall(
            f"POST {path} HTTP/1.1\r\nHost: mailwright\r\n{key_header}: {account.api_key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: 200\r\nX-Request-Id: stalled-body-0001\r\n\r\n{{\"email\": ".encode()
        )
        stalled_bodies[path] = conn

    # Answered without its body being read, then dripping on: uvicorn's keep-alive timer stops
    # at the first byte that comes after the answer.
    unread = connect(live.base_url)
    unread.sendall(f"GET {PROVIDERS} HTTP/1.1\r\nHost: mailwright\r\nx-api-key: {account.api_key}\r\nContent-Length: 100\r\n\r\n{{".encode())
    assert read_one_answer(unread).status_code == 200
    with contextlib.suppress(OSError):  # it may be closed already
        unread.sendall(b" ")

    with client_for(live, account) as other:
        assert other.get(PROVIDERS).status_code == 200

    assert read_until_closed(silent) == b""
    assert read_until_closed(endless_headers) == b""
    assert read_until_closed(unread) == b""
    woodpecker = as_response(read_until_closed(stalled_bodies["/rest/v2/domains/owner"]))
    assert_problem(woodpecker, 408, "Request Timeout", "The request body did not arrive within 0.5 seconds")
    assert woodpecker.headers["connection"] == "close"
    assert woodpecker.json()["request_id"] == "stalled-body-0001"
    reseller = as_response(read_until_closed(stalled_bodies["/api/v1/integration/users"]))
    assert (reseller.status_code, reseller.headers["connection"]) == (408, "close")
    assert reseller.json() == {
        "status": 408,
        "message": "The request body did not arrive within 0.5 seconds",
        "data": {"code": "request_timeout", "errors": [], "requestId": "stalled-body-0001"},
    }
    assert time.monotonic() - started < CLOSED_WITHIN


def test_a_kept_alive_connection_gets_the_same_deadline_for_its_next_request(make_server, account):
    """uvicorn's keep-alive timer stops at the first byte of the next request; ours does not."""
    live = make_server(request_headers_timeout_seconds=TIMEOUT, request_body_timeout_seconds=TIMEOUT)
    conn = connect(live.base_url)
    request = f"GET {PROVIDERS} HTTP/1.1\r\nHost: mailwright\r\nx-api-key: {account.api_key}\r\n"
    conn.sendall((request + "\r\n").encode())
    assert read_one_answer(conn).status_code == 200
    conn.sendall(request.encode())  # the next request's headers, never finished
    assert read_until_closed(conn) == b""
