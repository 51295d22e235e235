"""`mailwright serve` as a real process, for end-to-end and durability tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support import polling
from tests.support.postgres import free_port

MAILWRIGHT_COMMAND = str(Path(sys.executable).with_name("mailwright"))
START_TIMEOUT = 180  # a loaded CI machine may take a while to import and migrate


def serve_env(database_url: str | None, data_dir: Path | None, **settings: str) -> dict[str, str]:
    """An environment with no MAILWRIGHT_* inherited. Without a database URL or data dir,
    `serve` uses its defaults: ./mailwright-data/mailwright.db in its working directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILWRIGHT_")}
    env["PYTHONUNBUFFERED"] = "1"
    if database_url:
        env["MAILWRIGHT_DATABASE_URL"] = database_url
    if data_dir:
        env["MAILWRIGHT_DATA_DIR"] = str(data_dir)
    # Quick polling, so tests wait on the workflow engine for a fraction of a second, not seconds.
    # The sandbox DNS server on a free port: never the well-known one a developer's serve may hold.
    # Loopback webhook receivers and picture servers: allowed (the outbound guard's own tests turn it off).
    defaults = {
        "log_level": "WARNING",
        "queue_poll_seconds": str(polling.POLL_SECONDS),
        "queue_limits": polling.QUEUE_LIMITS,
        "step_retry_seconds": "0.1",
        "sandbox_dns_port": "0",
        "outbound_allow_private": "true",
    }
    return env | {f"MAILWRIGHT_{k.upper()}": v for k, v in (defaults | settings).items()}


def end(process: subprocess.Popen, *, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    """Ask a child process to stop (`sig`), and kill it if it has not within `timeout` seconds."""
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


@dataclass
class ServeProcess:
    """One `mailwright serve` on a free port; everything it prints is kept in `output`."""

    env: dict[str, str]
    cwd: Path
    port: int = field(default_factory=free_port)
    output: list[str] = field(default_factory=list)
    process: subprocess.Popen[str] | None = None
    umask: int = -1  # the child's umask; -1 keeps the test runner's

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def text(self) -> str:
        return "".join(self.output)

    def start(self) -> ServeProcess:
        self.output.clear()
        self.process = subprocess.Popen(
            [MAILWRIGHT_COMMAND, "serve", "--port", str(self.port)],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            umask=self.umask,
        )
        threading.Thread(target=self._collect, args=(self.process,), daemon=True).start()
        return self

    def wait_ready(self) -> ServeProcess:
        deadline = time.monotonic() + START_TIMEOUT
        # One client for every look: each new one loads the CA bundle (70 ms of CPU), which every
        # 0.1 s of a serve's start cost the test process seconds of CPU per start.
        with httpx.Client(timeout=5) as client:
            while True:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise AssertionError(f"serve exited with {self.process.returncode}:\n{self.text}")
                try:
                    if client.get(f"{self.base_url}/readyz").status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"serve was not ready within {START_TIMEOUT} s:\n{self.text}")
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when the machine loses power."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process:
            end(self.process, sig=signal.SIGINT)

    def _collect(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.output.append(line)
