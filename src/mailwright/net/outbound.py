"""The one way out to a URL a customer gave us (profile pictures, webhook deliveries, and any
later call of that kind): only to public addresses, checked where the connection is made.

- `check_url` is the early check (at request time): the URL's form, its scheme, and every
  address its host resolves to.
- `request` makes the call. Its connections go through `connections.GuardedBackend`, which resolves the
  host itself, checks every address and connects to the checked address, never asking DNS a
  second time (TLS SNI, certificate check and Host header stay the original name). So a name
  that changed its answer since `check_url`, or a redirect to a forbidden place, is refused
  before a connection exists. One deadline bounds the whole call (lookups, connect, TLS, every
  read and write, every redirect hop) and the body read is capped.

What is refused (`address_kind`): loopback, private, link-local, site-local, multicast,
reserved, shared (carrier-grade NAT), unspecified and otherwise non-global addresses of both IP
versions, and IPv6 addresses that embed such an IPv4 address (IPv4-mapped ::ffff:a.b.c.d,
IPv4-compatible ::a.b.c.d, 6to4 2002::/16, NAT64 64:ff9b::/96). A name with any forbidden
address is refused as a whole. `OutboundPolicy.allow_private` (MAILWRIGHT_OUTBOUND_ALLOW_PRIVATE)
lifts the rule for closed networks and tests, except for unspecified and multicast addresses,
which no TCP call can mean."""

from __future__ import annotations

import concurrent.futures
import ipaddress
import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Literal, Mapping

from mailwright.validation import ascii_digits

if TYPE_CHECKING:
    import httpx

    from mailwright.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Never a destination, whatever the policy: "this host" and group addresses.
_NEVER = ("unspecified", "multicast")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_SHARED = ipaddress.ip_network("100.64.0.0/10")
# The system resolver has no timeout of its own (a dead DNS server holds it for many seconds):
# lookups run on these threads and are waited for at most this long (or the call's time left).
LOOKUP_SECONDS = 5.0
_LOOKUPS = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="outbound-dns")


class OutboundError(Exception):
    """The call did not happen or did not complete; the message is safe to show the customer."""


class OutboundRefused(OutboundError):
    """The rules refused the URL or an address it leads to; nothing was sent there."""


class OutboundFailed(OutboundError):
    """The call was allowed but failed: no connection, TLS error, timeout, broken answer."""


@dataclass(frozen=True)
class OutboundPolicy:
    """Which addresses calls may go to. `allowed_networks` are allowed although not public
    (for example one test listener), without opening every private address."""

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def of(cls, settings: Settings) -> OutboundPolicy:
        return cls(allow_private=settings.outbound_allow_private)

    def refusal(self, address: IPAddress) -> str | None:
        """None if the address may be called, else what kind of address it is."""
        kind = address_kind(address)
        if kind is None or kind in _NEVER:
            return kind
        effective = _embedded_ipv4(address) or address
        if self.allow_private or any(effective in network for network in self.allowed_networks):
            return None
        return kind


def address_kind(address: IPAddress) -> str | None:
    """None for a public (global unicast) address, else its kind, e.g. 'loopback'."""
    if address.version == 6 and (address.is_unspecified or address.is_loopback):
        return "unspecified" if address.is_unspecified else "loopback"
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return address_kind(embedded)
    for kind, flagged in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("site-local", address.version == 6 and address.is_site_local),
        ("shared (carrier-grade NAT)", address in _SHARED),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("non-public", not address.is_global),
    ):
        if flagged:
            return kind
    return None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, where it stands for one."""
    if address.version == 4:
        return None
    assert isinstance(address, ipaddress.IPv6Address)
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or address in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


# ------------------------------------------------------------------ checking


def resolve(host: str, port: int, policy: OutboundPolicy, *, timeout: float = LOOKUP_SECONDS) -> list[IPAddress]:
    """Every address of `host` (a name or an IP literal), in the resolver's order; refused
    unless each of them is allowed, and if the lookup takes longer than `timeout` seconds."""
    try:
        infos = _getaddrinfo(host, port, timeout)
    except concurrent.futures.TimeoutError as exc:
        raise OutboundRefused(f"{host} could not be resolved within {timeout:g} s") from exc
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundRefused(f"{host} does not resolve to any address") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise OutboundRefused(f"{host} does not resolve to any address")
    for address in addresses:
        kind = policy.refusal(address)
        if kind is None:
            continue
        if _is_literal(host):
            raise OutboundRefused(f"{host} is {_a(kind)} address; only public addresses are allowed")
        # The address itself is not shown: it would tell what our resolver says about names.
        raise OutboundRefused(f"{host} resolves to {_a(kind)} address; only public addresses are allowed")
    return addresses


def _getaddrinfo(host: str, port: int, timeout: float) -> list[Any]:
    if _is_literal(host):  # no lookup to wait for
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    lookup = _LOOKUPS.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return lookup.result(timeout=max(timeout, 0.0))


def check_url(url: str, policy: OutboundPolicy, *, schemes: Iterable[str] = ("https",)) -> None:
    """The early check of a customer's URL: absolute, one of `schemes`, and a host whose every
    address is allowed (so it also resolves the name)."""
    target = _parse(url, tuple(schemes))
    resolve(_host(target), target.port or _default_port(target.scheme), policy)


def _parse(url: str | httpx.URL, schemes: tuple[str, ...]) -> httpx.URL:
    import httpx  # here, as in `request`: most processes start without ever calling out

    try:
        target = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise OutboundRefused("Not a valid URL") from exc
    if target.scheme not in schemes:
        raise OutboundRefused(f"Must be {_a(' or '.join(schemes))} URL")
    if not target.host:
        raise OutboundRefused("The URL has no host")
    return target


def _host(target: httpx.URL) -> str:
    """The host as it is looked up when connecting (IDNA-encoded, IPv6 without brackets)."""
    return target.raw_host.decode("ascii")


def _a(words: str) -> str:
    return f"an {words}" if words[0] in "aeiouh" else f"a {words}"


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------ calling


@dataclass(frozen=True)
class Answer:
    status_code: int
    headers: httpx.Headers
    body: bytes = field(repr=False)
    url: str
    # The body was longer than the cap: `body` holds only its start.
    truncated: bool = False
    # An unfollowed redirect's target (redirects=0, or the caller's limit was reached).
    location: str | None = None


def request(
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"],
    url: str,
    *,
    policy: OutboundPolicy,
    timeout: float,
    max_bytes: int,
    schemes: Iterable[str] = ("https",),
    redirects: int = 0,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
) -> Answer:
    """One call within `timeout` seconds in all, reading at most `max_bytes` of the body.
    With `redirects` > 0, up to that many redirects are followed, each hop checked again
    (scheme here, addresses at its connection); with 0 a redirect is answered, not followed.
    The body is read as sent (identity encoding asked for; a compressed one is refused, so the
    cap is a cap on what is held in memory)."""
    import httpx

    from mailwright.net.connections import GuardedTransport

    allowed = tuple(schemes)
    target = _parse(url, allowed)
    deadline = Deadline(timeout)
    sent_headers = {"accept-encoding": "identity", **(headers or {})}
    with httpx.Client(
        transport=GuardedTransport(policy, deadline),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,  # a proxy from the environment would be connected to instead of the checked address
    ) as client:
        outgoing = client.build_request(method, target, headers=sent_headers, content=content)
        deadline.start()  # the time is the remote side's from here on, not our own setup's
        try:
            for hop in range(redirects + 1):
                response = client.send(outgoing, stream=True)
                try:
                    following = response.next_request if hop < redirects else None
                    if following is None:
                        return _read(response, max_bytes)
                    _parse(following.url, allowed)
                finally:
                    response.close()
                outgoing = following
        except httpx.HTTPError as exc:
            raise OutboundFailed(_describe(exc, deadline)) from exc
    raise AssertionError("unreachable: the last hop returns")


def _read(response: httpx.Response, max_bytes: int) -> Answer:
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise OutboundFailed(f"The answer was compressed ({encoding}); only uncompressed answers are accepted")
    body = bytearray()
    declared = response.headers.get("content-length", "")
    truncated = ascii_digits(declared) and int(declared) > max_bytes
    if not truncated:
        for chunk in response.iter_raw():
            body += chunk
            if len(body) > max_bytes:
                del body[max_bytes:]
                truncated = True
                break
    location = response.headers.get("location") if response.has_redirect_location else None
    return Answer(response.status_code, response.headers, bytes(body), str(response.url), truncated, location)


def _describe(exc: httpx.HTTPError, deadline: Deadline) -> str:
    detail = f"no complete answer within {deadline.seconds:g} s" if deadline.passed else str(exc)
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.start()

    def start(self) -> None:
        self._at = time.monotonic() + self.seconds

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self._at

    @property
    def remaining(self) -> float:
        return max(self._at - time.monotonic(), 0.0)

    def clip(self, timeout: float | None, error: type[Exception]) -> float:
        """The time an operation may take: its own timeout, but never past the deadline."""
        remaining = self._at - time.monotonic()
        if remaining <= 0:
            raise error(f"the {self.seconds:g} s limit for the whole call has passed")
        return remaining if timeout is None else min(timeout, remaining)
