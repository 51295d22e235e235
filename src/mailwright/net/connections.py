"""The connections of `outbound.request`: httpx's transport over connections that the guard
makes (see outbound's docstring). Apart from outbound, so that loading the guard's rules does
not load httpx: most processes start without ever calling out."""

from __future__ import annotations

import functools
import ssl
from typing import Any, Iterable

import httpcore
import httpx

from mailwright.net.outbound import LOOKUP_SECONDS, Deadline, OutboundPolicy, resolve


@functools.cache
def _tls() -> ssl.SSLContext:
    """One per process: loading the CA bundle takes far longer than a call's own work."""
    return httpx.create_ssl_context(trust_env=False)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport (its request mapping and error translation), over a connection
    pool whose every connection is made by the guarded backend."""

    def __init__(self, policy: OutboundPolicy, deadline: Deadline) -> None:
        super().__init__(verify=_tls(), trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=_tls(),
            max_connections=4,
            network_backend=GuardedBackend(policy, deadline),
        )


class GuardedBackend(httpcore.SyncBackend):
    def __init__(self, policy: OutboundPolicy, deadline: Deadline) -> None:
        self._policy = policy
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = resolve(host, port, self._policy, timeout=min(LOOKUP_SECONDS, self._deadline.remaining))
        failure: Exception | None = None
        for address in addresses:  # every one checked; the first that answers is used
            try:
                stream = super().connect_tcp(
                    str(address), port, self._deadline.clip(timeout, httpcore.ConnectTimeout), local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            return DeadlineStream(stream, self._deadline)
        assert failure is not None
        raise failure


class DeadlineStream(httpcore.NetworkStream):
    """A connection whose every operation ends by the call's deadline (a server dripping one
    byte at a time cannot hold the call open past it)."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._deadline.clip(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._deadline.clip(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> httpcore.NetworkStream:
        secured = self._stream.start_tls(ssl_context, server_hostname, self._deadline.clip(timeout, httpcore.ConnectTimeout))
        return DeadlineStream(secured, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)
