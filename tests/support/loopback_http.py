"""A provider emulator's HTTP server on a free loopback port, each request in its own thread."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class LoopbackServer(ThreadingHTTPServer):
    """Quiet about clients that go away mid-answer (a `serve` killed on purpose, a client that
    stops reading at its size cap): socketserver would print a traceback to stderr, into whatever
    test captures it then. Any other error of a handler is still printed."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    server = LoopbackServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def serve_requests(handle: Callable[[BaseHTTPRequestHandler], None], *, protocol_version: str = "HTTP/1.0") -> ThreadingHTTPServer:
    """A server that hands every request, whatever its method, to `handle`, and logs nothing."""

    def log_message(self: BaseHTTPRequestHandler, *args: Any) -> None:
        pass

    methods = {f"do_{method}": lambda self: handle(self) for method in METHODS}
    handler = type("Handler", (BaseHTTPRequestHandler,), {"protocol_version": protocol_version, "log_message": log_message, **methods})
    return serve(handler)


def url_of(server: ThreadingHTTPServer | None) -> str:
    assert server is not None, "start() the emulator first"
    return f"http://127.0.0.1:{server.server_address[1]}"


def close(server: ThreadingHTTPServer | None) -> None:
    if server is not None:
        server.shutdown()
        server.server_close()


class LoopbackEmulator:
    """Base of the provider and platform emulators: one loopback server whose every request goes
    to `_handle(request)` (an emulator whose handler takes more overrides `_serve`)."""

    protocol_version = "HTTP/1.0"
    _server: ThreadingHTTPServer | None = None

    def start(self) -> Any:
        self._server = serve_requests(self._serve, protocol_version=self.protocol_version)
        return self

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        self._handle(request)  # type: ignore[attr-defined]

    def stop(self) -> None:
        close(self._server)
        self._server = None

    @property
    def origin(self) -> str:
        """http://127.0.0.1:<port>, the server's own address."""
        return url_of(self._server)
