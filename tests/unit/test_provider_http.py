"""The HTTP client every provider adapter uses: real HTTP to a loopback server, each failure mapped
to the typed error the workflow acts on, and no credentials in any message."""

from __future__ import annotations

import datetime as dt
import http.server
import time
from collections.abc import Iterator

import httpx
import pytest

from mailwright.providers.base import ProviderUnavailable, RetriableError
from mailwright.providers.http import MAX_RETRY_AFTER_SECONDS, ProviderHttp, retry_after
from tests.support.loopback_http import serve
from tests.support.serve import free_port

# path -> (status, headers, body, seconds to wait before answering)
ANSWERS = {
    "/ok": (200, {}, b'{"status": "SUCCESS"}', 0),
    "/refused": (400, {}, b'{"status": "ERROR", "message": "Invalid API key"}', 0),
    "/busy": (429, {"Retry-After": "7"}, b"slow down", 0),
    "/down": (503, {}, b"maintenance", 0),
    "/slow": (200, {}, b"{}", 2),
}


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            assert self.path.startswith("/api/json/v3/"), self.path  # paths are relative to the base URL
            status, headers, body, wait = ANSWERS["/" + self.path.split("?")[0].rsplit("/", 1)[1]]
            time.sleep(wait)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = serve(Handler)
    yield f"http://127.0.0.1:{server.server_address[1]}/api/json/v3"
    server.shutdown()


def test_answers_are_returned_and_failures_are_typed(api):
    client = ProviderHttp("Porkbun", api, timeout=0.5)
    assert client.request("GET", "/ok").json() == {"status": "SUCCESS"}
    assert client.request("GET", "refused").status_code == 400  # the adapter reads the provider's own words

    with pytest.raises(RetriableError, match=r"^Porkbun GET /busy: rate limited \(429\)$") as busy:
        client.request("GET", "busy", params={"apikey": "pk1_secret"})
    assert busy.value.retry_after == 7.0
    with pytest.raises(RetriableError, match=r"the provider failed \(503\)") as down:
        client.request("GET", "down")
    assert not isinstance(down.value, ProviderUnavailable) and down.value.retry_after is None
    with pytest.raises(ProviderUnavailable, match=r"^Porkbun GET /slow: no answer within 0.5 s$"):
        client.request("GET", "slow", params={"ApiKey": "secret"})
    with pytest.raises(ProviderUnavailable, match=r"cannot be reached \(ConnectError\)") as gone:
        ProviderHttp("Porkbun", f"http://127.0.0.1:{free_port()}/", timeout=0.5).request("GET", "ok?apikey=pk1_secret")
    assert "secret" not in str(gone.value)


def test_retry_after_in_seconds_or_as_a_date_and_capped():
    now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)

    def answer(value: str) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": value})

    assert retry_after(answer("120"), now=now) == 120.0
    assert retry_after(answer("Tue, 01 Dec 2026 12:01:30 GMT"), now=now) == 90.0
    assert retry_after(answer("Tue, 01 Dec 2026 11:00:00 GMT"), now=now) == 0.0  # already passed
    assert retry_after(answer("999999"), now=now) == MAX_RETRY_AFTER_SECONDS
    assert retry_after(answer("soon"), now=now) is None
    assert retry_after(httpx.Response(429), now=now) is None
