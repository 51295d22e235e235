"""Every process a benchmark starts, and its stopping: by its pid, at the end of its benchmark,
and at exit, on Ctrl-C, SIGTERM or a failure, whatever happened."""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench import loopback

STOP_TIMEOUT = 20.0
_started: list[subprocess.Popen[str]] = []
_kept: set[int] = set()  # pids of processes shared by the benchmarks of a run (the floor apps)
_paused_between: set[int] = set()  # pids of kept processes paused while no benchmark uses them
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
        """Seconds from the start until `url` answers 200; raises with the output if it dies or is late.
        Until its port takes connections only a connect is tried: a refused HTTP request costs
        ten times its CPU, 50 times a second through a start of many seconds."""
        deadline = time.monotonic() + timeout
        address = httpx.URL(url)
        with loopback.client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.popen.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{self.text[-3000:]}")
                try:
                    if _accepts(address.host, address.port) and client.get(url).status_code == 200:
                        return time.monotonic() - self.started_at
                except httpx.TransportError:
                    pass
                time.sleep(0.02)
        raise RuntimeError(f"{self.name} did not answer {url} within {timeout} s:\n{self.text[-3000:]}")

    def tree(self) -> list[int]:
        """Its pid and its descendants' (`serve`'s worker is a child process of its own)."""
        return tree(self.pid)

    def pause(self) -> None:
        """SIGSTOP, to it and its children: no CPU taken while the other side of a comparison is measured."""
        for pid in self.tree():
            _signal(pid, signal.SIGSTOP)

    def resume(self) -> None:
        for pid in self.tree():
            _signal(pid, signal.SIGCONT)

    def memory_kib(self) -> tuple[int, int]:
        """(RSS, PSS) in KiB, each summed over it and its children. RSS counts the pages the
        processes share (their libraries' code) once per process; PSS splits each shared page
        among its sharers, so that the sum is the memory the tree takes."""
        rss = pss = 0
        for pid in self.tree():
            try:
                text = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except (FileNotFoundError, ProcessLookupError):
                continue
            fields = dict(line.split(":", 1) for line in text.splitlines()[1:] if ":" in line)
            rss += int(fields["Rss"].split()[0])
            pss += int(fields["Pss"].split()[0])
        return rss, pss

    @contextmanager
    def peak_memory(self, interval: float = 0.1) -> Iterator[dict[str, int]]:
        """The largest `memory_kib()` seen, sampled every `interval` seconds while the block runs
        (the kernel keeps each process's own peak, VmHWM, but no peak of their sum)."""
        peak = {"rss_kib": 0, "pss_kib": 0}
        done = threading.Event()

        def sample() -> None:
            while True:
                rss, pss = self.memory_kib()
                peak["rss_kib"], peak["pss_kib"] = max(peak["rss_kib"], rss), max(peak["pss_kib"], pss)
                if done.wait(interval):
                    return

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            yield peak
        finally:
            done.set()
            sampler.join()

    def stop(self) -> None:
        stop(self.popen)


def tree(pid: int) -> list[int]:
    pids, index = [pid], 0
    while index < len(pids):
        pids += _children(pids[index])
        index += 1
    return pids


def _children(pid: int) -> list[int]:
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:
        return []
    found: list[int] = []
    for task in tasks:
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:
            pass
    return found


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _accepts(host: str, port: int | None) -> bool:
    try:
        socket.create_connection((host, port or 80), timeout=1.0).close()
    except OSError:
        return False
    return True


def stop(*popens: subprocess.Popen[str]) -> None:
    """SIGCONT (it and its children may be paused), SIGINT, then SIGKILL after STOP_TIMEOUT: by its pid. Several
    are signalled together, then waited for: they shut down side by side, not one by one."""
    running = [p for p in popens if p.poll() is None]
    for popen in running:
        for pid in tree(popen.pid):  # its children too: a paused one would not hear its parent
            _signal(pid, signal.SIGCONT)
        _signal(popen.pid, signal.SIGINT)
    for popen in running:
        try:
            popen.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.kill(popen.pid, signal.SIGKILL)
            popen.wait(timeout=STOP_TIMEOUT)
    for popen in popens:
        if popen in _started:
            _started.remove(popen)


def stop_processes(processes: list[Process]) -> None:
    stop(*(p.popen for p in processes))


def on_exit(cleanup: Callable[[], None]) -> Callable[[], None]:
    """Runs `cleanup` when everything is stopped (e.g. a throwaway PostgreSQL), once."""
    _cleanups.append(cleanup)
    return cleanup


def done(cleanup: Callable[[], None]) -> None:
    if cleanup in _cleanups:
        _cleanups.remove(cleanup)
        cleanup()


def pause_between_benchmarks(process: Process) -> None:
    """A kept process to pause (SIGSTOP) at the end of every benchmark: a `serve` shared by the
    benchmarks of a --quick run, whose worker would otherwise poll its queues, taking CPU from
    the benchmarks that do not use it. The next benchmark to use it resumes it."""
    _paused_between.add(process.pid)


def stop_benchmark() -> None:
    """Every process started, but those kept for the whole run (paused, if so registered)."""
    stop(*(p for p in reversed(_started) if p.pid not in _kept))
    for popen in _started:
        if popen.pid in _paused_between and popen.poll() is None:
            for pid in tree(popen.pid):  # its children too (serve's worker)
                _signal(pid, signal.SIGSTOP)


def stop_all() -> None:
    stop(*reversed(_started))
    while _cleanups:
        _cleanups.pop()()


def _on_signal(signum: int, _frame: object) -> None:
    stop_all()
    raise SystemExit(128 + signum)


def install() -> None:
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
