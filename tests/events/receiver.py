"""A real HTTP server on a free loopback port that records webhook requests and answers
with scripted status codes (then 200 once the script runs out)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from mailwright import clock
from tests.support.loopback_http import serve


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived
    answered: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    script: dict[str, list[int]] = field(default_factory=dict)  # path -> status codes to answer in turn
    delays: dict[str, list[float]] = field(default_factory=dict)  # path -> seconds to wait before answering
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, path: str, *codes: int) -> None:
        with self.lock:
            self.script[path] = list(codes)

    def stall(self, path: str, *seconds: float) -> None:
        with self.lock:
            self.delays[path] = list(seconds)

    def received(self, path: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if path is None or r.path == path]

    def _next_code(self, path: str) -> int:
        with self.lock:
            codes = self.script.get(path)
            return codes.pop(0) if codes else 200

    def _next_delay(self, path: str) -> float:
        with self.lock:
            delays = self.delays.get(path)
            return delays.pop(0) if delays else 0.0


def start_receiver() -> Receiver:
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            receiver = holder["r"]
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            code = receiver._next_code(self.path)
            time.sleep(receiver._next_delay(self.path))
            with receiver.lock:
                receiver.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic(), code)
                )
            self.send_response(code)
            if 300 <= code < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    holder["r"] = Receiver(serve(Handler))
    return holder["r"]


def verify(secret: str, request: Received, tolerance_seconds: int = 300) -> bool:
    """Standard Webhooks verification, written from the specification (not from Mailwright's code).
    "Now" is Mailwright's clock, which other tests may have moved."""
    msg_id = request.headers["webhook-id"]
    timestamp = request.headers["webhook-timestamp"]
    if abs(clock.now().timestamp() - int(timestamp)) > tolerance_seconds:
        return False
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret[len("whsec_"):])
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + request.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        part.startswith("v1,") and hmac.compare_digest(part[3:], expected)
        for part in request.headers["webhook-signature"].split(" ")
    )
