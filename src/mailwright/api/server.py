"""The HTTP server: uvicorn, configured in this one place for `serve` and the tests alike, with a
deadline on every unfinished request.

uvicorn closes idle kept-alive connections, but it has no timeout for a request under way, and
its keep-alive timer stops for good once a byte arrives: a client that never finishes its headers,
or stops sending a body it announced, holds its connection forever (slowloris). Here the headers
must arrive within `request_headers_timeout_seconds` of the connection (or of the previous answer
on a kept-alive one), and the body within `request_body_timeout_seconds` of the headers. The app
answers a body that is late with 408 in its face's shape (api.middleware.BodyLimit); the protocol
below closes the connection of headers that are late, and of a body that is late once the app has
answered (at once if it already had)."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from mailwright.config import Settings

log = logging.getLogger(__name__)

STARTUP_FAILURE = 3  # uvicorn's exit status when it cannot listen


class ServerConfig(uvicorn.Config):
    """uvicorn's configuration with Mailwright's protocol and logging, and the request deadlines."""

    def __init__(self, app: Any, settings: Settings, **options: Any) -> None:
        super().__init__(app, http=DeadlineH11Protocol, log_config=None, access_log=False, **options)
        self.headers_timeout = settings.request_headers_timeout_seconds
        self.body_timeout = settings.request_body_timeout_seconds


class DeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request's headers or body are late.

    One timer per connection, armed whenever the client's side of h11's state machine enters
    IDLE (headers awaited) or SEND_BODY (body awaited), and cancelled when it leaves them: while
    the app works on a complete request, nothing is timed. A late body's connection is closed
    only once the app has answered: the app answers 408 as soon as it reads past the deadline,
    and closing earlier would leave the client with no answer at all."""

    def __init__(self, config: uvicorn.Config, server_state: ServerState, app_state: dict[str, Any], _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        assert isinstance(config, ServerConfig), "serve through mailwright.api.server.ServerConfig"
        # h11's states are sentinel classes: IDLE, SEND_BODY, DONE ...
        self._timeouts: dict[object, float] = {h11.IDLE: config.headers_timeout, h11.SEND_BODY: config.body_timeout}
        self._awaiting: object = None
        self._deadline: asyncio.TimerHandle | None = None
        self._body_overdue = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._follow_request()

    def handle_events(self) -> None:
        # Called on every arrival of data and after every answer: all changes of the client's state.
        super().handle_events()
        self._follow_request()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._body_overdue and self.conn.their_state is h11.SEND_BODY:
            self._close("body")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _follow_request(self) -> None:
        state = self.conn.their_state
        if state is self._awaiting:
            return  # a deadline runs for the whole part, not from the last byte
        self._awaiting = state
        self._body_overdue = False
        self._disarm()
        timeout = self._timeouts.get(state)
        if timeout is not None and not self.transport.is_closing():
            self._deadline = self.loop.call_later(timeout, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if self._awaiting is h11.IDLE:
            self._close("headers")
        elif self.cycle is not None and not self.cycle.response_complete:
            self._body_overdue = True  # closed in on_response_complete
        else:
            self._close("body")

    def _close(self, part: str) -> None:
        if not self.transport.is_closing():
            log.info("closing a connection from %s: its request's %s did not arrive in time", self.client[0] if self.client else "?", part)
            self.transport.close()


def run(config: ServerConfig) -> None:
    """Serves until told to stop (Ctrl-C, SIGTERM), as uvicorn.run does for one process; exits with
    uvicorn's status 3 when it could not start (the port is taken ...)."""
    server = uvicorn.Server(config)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    if not server.started:
        sys.exit(STARTUP_FAILURE)
