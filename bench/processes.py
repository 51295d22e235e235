"""Every process a benchmark starts, and its stopping: by its pid, at the end of its benchmark,
and at exit, on Ctrl-C, SIGTERM or a failure, whatever happened."""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

STOP_TIMEOUT = 20.0
_started: list[subprocess.Popen[str]] = []
_kept: set[int] = set()  # pids of processes shared by the benchmarks of a run (the floor apps)
_cleanups: list[Callable[[], None]] = []


class Process:
    """A child in a session of its own, its output kept (the last lines say why it died)."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], cwd: Path, *, keep: bool = False) -> None:
        self.name = name
        self.output: list[str] = []
        self.started_at = time.monotonic()
        self.popen = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )
        _started.append(self.popen)
        if keep:
            _kept.add(self.popen.pid)
        threading.Thread(target=self._collect, daemon=True).start()

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def text(self) -> str:
        return "".join(self.output)

    def _collect(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.output.append(line)

    def wait_http(self, url: str, timeout: float = 120.0) -> float:
        """Seconds from the start until `url` answers 200; raises with the output if it dies or is late."""
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.popen.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{self.text[-3000:]}")
                try:
                    if client.get(url).status_code == 200:
                        return time.monotonic() - self.started_at
                except httpx.TransportError:
                    pass
                time.sleep(0.02)
        raise RuntimeError(f"{self.name} did not answer {url} within {timeout} s:\n{self.text[-3000:]}")

    def pause(self) -> None:
        """SIGSTOP: the process takes no CPU while the other side of a comparison is measured."""
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)

    def rss_kib(self) -> tuple[int, int]:
        """(VmRSS, VmHWM) in KiB: resident now, and the peak so far."""
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{self.pid}/status").read_text().splitlines() if ":" in line)
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])

    def stop(self) -> None:
        stop(self.popen)


def stop(popen: subprocess.Popen[str]) -> None:
    """SIGCONT (it may be paused), SIGINT, then SIGKILL after STOP_TIMEOUT: by its pid."""
    if popen.poll() is None:
        try:
            os.kill(popen.pid, signal.SIGCONT)
            os.kill(popen.pid, signal.SIGINT)
            popen.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.kill(popen.pid, signal.SIGKILL)
            popen.wait(timeout=STOP_TIMEOUT)
        except ProcessLookupError:
            pass
    if popen in _started:
        _started.remove(popen)


def on_exit(cleanup: Callable[[], None]) -> Callable[[], None]:
    """Runs `cleanup` when everything is stopped (e.g. a throwaway PostgreSQL), once."""
    _cleanups.append(cleanup)
    return cleanup


def done(cleanup: Callable[[], None]) -> None:
    if cleanup in _cleanups:
        _cleanups.remove(cleanup)
        cleanup()


def stop_benchmark() -> None:
    """Every process started, but those kept for the whole run."""
    for popen in reversed(list(_started)):
        if popen.pid not in _kept:
            stop(popen)


def stop_all() -> None:
    for popen in reversed(list(_started)):
        stop(popen)
    while _cleanups:
        _cleanups.pop()()


def _on_signal(signum: int, _frame: object) -> None:
    stop_all()
    raise SystemExit(128 + signum)


def install() -> None:
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
