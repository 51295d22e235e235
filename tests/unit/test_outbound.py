"""The outbound guard against real listeners on loopback addresses (Linux answers all of
127/8): which addresses it refuses, that it never connects to them (not even through a
redirect), and that it caps an answer's size and the call's total time. A policy that allows
127.0.0.1 alone stands for "the public internet" here, and 127.0.0.2 for a forbidden address."""

from __future__ import annotations

import http.server
import ipaddress
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from mailwright.mailboxes.pictures import MAX_REDIRECTS, DecodeBudget, PictureRejected, fetch_picture
from mailwright.net.outbound import OutboundFailed, OutboundPolicy, OutboundRefused, address_kind, check_url, request
from tests.reseller.images import png

ONLY_127_0_0_1 = OutboundPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),))
PUBLIC_ONLY = OutboundPolicy()

Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


@dataclass
class Listener:
    """An HTTP server on one loopback address that counts the connections it accepted."""

    server: http.server.ThreadingHTTPServer
    connections: int = 0
    hosts: list[str] = field(default_factory=list)

    def url(self, path: str = "/", host: str | None = None) -> str:
        address, port = self.server.server_address[:2]
        return f"http://{host or address}:{port}{path}"


@pytest.fixture
def listen() -> Iterator[Callable[[str, Handler], Listener]]:
    started: list[Listener] = []

    def start(address: str, handle: Handler) -> Listener:
        holder: dict[str, Listener] = {}

        class RequestHandler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the standard library's name
                holder["l"].hosts.append(self.headers.get("host", ""))
                handle(self)

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        class CountingServer(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def verify_request(self, request: object, client_address: object) -> bool:
                holder["l"].connections += 1
                return True

        listener = Listener(CountingServer((address, 0), RequestHandler))
        holder["l"] = listener
        threading.Thread(target=listener.server.serve_forever, daemon=True).start()
        started.append(listener)
        return listener

    yield start
    for listener in started:
        listener.server.shutdown()
        listener.server.server_close()


def answer(status: int, body: bytes = b"", **headers: str) -> Handler:
    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        for name, value in headers.items():
            h.send_header(name.replace("_", "-"), value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return handle


def get(url: str, policy: OutboundPolicy = ONLY_127_0_0_1, **options: object):
    return request("GET", url, policy=policy, timeout=5, max_bytes=1024, schemes=("http", "https"), **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("169.254.169.254", "link-local"),
        ("::ffff:169.254.169.254", "link-local"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::127.0.0.1", "loopback"),
        ("2002:7f00:1::1", "loopback"),  # 6to4 around 127.0.0.1
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 around 169.254.169.254
        ("127.0.0.2", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("100.64.0.1", "shared (carrier-grade NAT)"),
        ("fe80::1", "link-local"),
        ("fec0::1", "site-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "private"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("::ffff:0.0.0.0", "unspecified"),
        ("2001:db8::1", "private"),
        ("8.8.8.8", None),
        ("::ffff:8.8.8.8", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_address_kinds(address, kind):
    assert address_kind(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address; only public addresses are allowed"),
        ("https://[::ffff:169.254.169.254]/", "::ffff:169.254.169.254 is a link-local address; only public addresses are allowed"),
        ("https://[::1]:8443/a.png", "::1 is a loopback address; only public addresses are allowed"),
        ("https://localhost/a.png", "localhost resolves to a loopback address; only public addresses are allowed"),
        ("https://2130706433/a.png", "2130706433 resolves to a loopback address; only public addresses are allowed"),
        ("https://no-such-name.invalid/a.png", "no-such-name.invalid does not resolve to any address"),
        ("http://8.8.8.8/a.png", "Must be an https URL"),
        ("https:///a.png", "The URL has no host"),
    ],
)
def test_check_url_refuses(url, reason):
    with pytest.raises(OutboundRefused) as refused:
        check_url(url, PUBLIC_ONLY)
    assert str(refused.value) == reason


@pytest.mark.parametrize("url", ["https://metadata.google.internal/a.png", "https://127.0.0.1.nip.io/a.png"])
def test_names_of_internal_services_are_refused_whether_or_not_they_resolve(url):
    """Offline these do not resolve; online they resolve to link-local or loopback addresses."""
    with pytest.raises(OutboundRefused, match="does not resolve to any address|resolves to a (link-local|loopback) address"):
        check_url(url, PUBLIC_ONLY)


def test_public_addresses_pass_and_private_ones_only_where_allowed():
    check_url("https://8.8.8.8/a.png", PUBLIC_ONLY)
    check_url("https://[2606:4700:4700::1111]/", PUBLIC_ONLY)
    check_url("http://localhost/a.png", OutboundPolicy(allow_private=True), schemes=("http",))
    check_url("http://127.0.0.1/", ONLY_127_0_0_1, schemes=("http",))
    with pytest.raises(OutboundRefused, match="127.0.0.2 is a loopback address"):
        check_url("http://127.0.0.2/", ONLY_127_0_0_1, schemes=("http",))
    # Never a destination, even where private addresses are allowed.
    for url in ("http://0.0.0.0/", "http://[::]/", "http://224.0.0.1/"):
        with pytest.raises(OutboundRefused, match="unspecified|multicast"):
            check_url(url, OutboundPolicy(allow_private=True), schemes=("http",))


def test_a_forbidden_address_is_never_connected_to(listen):
    forbidden = listen("127.0.0.2", answer(200, b"secret"))
    for url in (forbidden.url("/"), forbidden.url("/", host="[::ffff:127.0.0.2]")):
        with pytest.raises(OutboundRefused, match="loopback"):
            get(url)
    assert forbidden.connections == 0
    local = listen("127.0.0.1", answer(200, b"secret"))
    with pytest.raises(OutboundRefused, match="localhost resolves to a loopback address"):
        get(local.url("/", host="localhost"), PUBLIC_ONLY)
    # 0.0.0.0 would reach the listener on 127.0.0.1.
    with pytest.raises(OutboundRefused, match="0.0.0.0 is an unspecified address"):
        get(local.url("/", host="0.0.0.0"), OutboundPolicy(allow_private=True))
    assert local.connections == 0


def test_a_call_goes_to_the_checked_address_under_its_own_name(listen):
    allowed = listen("127.0.0.1", answer(200, b"hello"))
    done = get(allowed.url("/x", host="localhost"), OutboundPolicy(allow_private=True))
    assert (done.status_code, done.body, done.truncated) == (200, b"hello", False)
    port = allowed.server.server_address[1]
    assert allowed.hosts == [f"localhost:{port}"]  # connected by address, the Host header kept the name


def test_a_redirect_to_a_forbidden_address_is_refused_and_never_reached(listen):
    forbidden = listen("127.0.0.2", answer(200, b"secret"))
    allowed = listen("127.0.0.1", answer(302, Location=forbidden.url("/latest/meta-data/")))
    with pytest.raises(OutboundRefused, match="127.0.0.2 is a loopback address"):
        get(allowed.url("/moved"), redirects=3)
    # Without following, the redirect is answered as it is.
    unfollowed = get(allowed.url("/moved"))
    assert (unfollowed.status_code, unfollowed.location) == (302, forbidden.url("/latest/meta-data/"))
    assert forbidden.connections == 0 and allowed.connections == 2


def test_redirects_within_the_rules_are_followed_up_to_the_limit(listen):
    target = listen("127.0.0.1", answer(200, b"there"))
    hop = listen("127.0.0.1", answer(301, Location=target.url("/final")))
    done = get(hop.url("/start"), redirects=1)
    assert (done.status_code, done.body, done.url) == (200, b"there", target.url("/final"))
    again = listen("127.0.0.1", answer(302, Location=hop.url("/start")))
    stopped = get(again.url("/"), redirects=1)  # two hops needed, one allowed
    assert (stopped.status_code, stopped.location) == (301, target.url("/final"))
    # A redirect may not leave the caller's schemes either (https to http, here http to https).
    with pytest.raises(OutboundRefused, match="Must be an http URL"):
        request("GET", listen("127.0.0.1", answer(302, Location="https://127.0.0.1/")).url(), policy=ONLY_127_0_0_1,
                timeout=5, max_bytes=10, schemes=("http",), redirects=2)


def test_the_body_read_is_capped(listen):
    big = b"x" * 10_000

    def undeclared(h: http.server.BaseHTTPRequestHandler) -> None:  # no Content-Length: read until closed
        h.send_response(200)
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(big)

    for listener in (listen("127.0.0.1", answer(200, big)), listen("127.0.0.1", undeclared)):
        done = get(listener.url())
        assert done.truncated and len(done.body) <= 1024
    with pytest.raises(OutboundFailed, match="compressed"):
        get(listen("127.0.0.1", answer(200, b"\x1f\x8b", Content_Encoding="gzip")).url())


def test_one_deadline_bounds_the_whole_call(listen):
    """Each read is quick, but the answer drips for ever: the call ends at its deadline."""
    stop = threading.Event()

    def drip(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "100000")
        h.end_headers()
        while not stop.is_set():
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(0.05)

    dripping = listen("127.0.0.1", drip)
    started = time.monotonic()
    try:
        with pytest.raises(OutboundFailed, match="Timeout: no complete answer within 0.4 s"):
            request("GET", dripping.url(), policy=ONLY_127_0_0_1, timeout=0.4, max_bytes=200_000, schemes=("http",))
    finally:
        stop.set()
    assert time.monotonic() - started < 3  # the drip alone would last 5000 s


def test_a_picture_url_is_fetched_through_the_guard(listen):
    image = png(8)
    budget = DecodeBudget(1024 * 1024)
    private_allowed = OutboundPolicy(allow_private=True)
    fine = listen("127.0.0.1", answer(200, image, Content_Type="image/png"))
    assert fetch_picture(fine.url("/a.png"), policy=private_allowed, timeout=5, budget=budget).width == 8
    assert fine.connections == 1
    # A redirect is followed through the guard: to 0.0.0.0 (which would reach `fine`) it is refused.
    moved = listen("127.0.0.1", answer(302, Location=fine.url("/a.png", host="0.0.0.0")))
    with pytest.raises(PictureRejected, match="0.0.0.0 is an unspecified address"):
        fetch_picture(moved.url("/a.png"), policy=private_allowed, timeout=5, budget=budget)
    assert fine.connections == 1
    forbidden = listen("127.0.0.2", answer(200, image))
    https_there = forbidden.url("/a.png").replace("http://", "https://")
    with pytest.raises(PictureRejected, match="127.0.0.2 is a loopback address"):
        fetch_picture(https_there, policy=PUBLIC_ONLY, timeout=5, budget=budget)
    with pytest.raises(PictureRejected, match="Must be an https URL"):
        fetch_picture(forbidden.url("/a.png"), policy=PUBLIC_ONLY, timeout=5, budget=budget)
    assert forbidden.connections == 0
    loop = listen("127.0.0.1", answer(302, Location="/again"))
    with pytest.raises(PictureRejected, match=f"redirected more than {MAX_REDIRECTS} times"):
        fetch_picture(loop.url("/again"), policy=private_allowed, timeout=5, budget=budget)
    assert loop.connections >= 1
