"""`mailwright` commands as processes forked from one warm interpreter, the way
multiprocessing's forkserver starts its workers.

A command run by `subprocess` spends about 1.5 s of CPU starting Python and importing the
database layer, the ORM models and the workflow engine's client before it does anything; the
suite runs hundreds. Here one helper process (started on first use, one per test process)
imports those once and forks a child per command. The child is still a process of its own: its
own arguments, environment, working directory, stdin (/dev/null), stdout, stderr and exit
status, and none of the test process's state (runtime, workflow engine, logging). The CLI module
itself is imported in the child, after its environment is in place, as a fresh process would.

Commands that are about a process's life (`serve`, `worker`) and tests of what a fresh process
loads start real processes (tests/conftest.py's Cli, tests/cli/test_imports.py)."""

from __future__ import annotations

import io
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import types
from pathlib import Path
from typing import Any

# What a command loads whatever it does (tests/cli/test_imports.py), and the services commands use.
PRELOAD = (
    "typer",
    "rich.console",
    "rich.table",
    "sqlalchemy",
    "pydantic",
    "pydantic_settings",
    "dbos",
    "alembic.command",
    "mailwright.config",
    "mailwright.runtime",
    "mailwright.accounts.service",
    "mailwright.wallet.service",
    "mailwright.orders.service",
    "mailwright.owners.service",
    "mailwright.billing.service",
    "mailwright.catalog.prices",
    "mailwright.exports.service",
    "mailwright.dns.host_dkim",
)
_HEADER = struct.Struct("!I")


# ------------------------------------------------------------------ the test process's side


class Forkserver:
    """The helper process, and commands run through it."""

    def __init__(self) -> None:
        self._directory = tempfile.mkdtemp(prefix="mw-cli-")
        self.address = os.path.join(self._directory, "socket")
        # Its stdin is a pipe from this process: when this process ends, however it ends, the
        # helper reads end-of-file and exits.
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.cli_processes", self.address],
            cwd=Path(__file__).resolve().parents[2],
            stdin=subprocess.PIPE,
            env={k: v for k, v in os.environ.items() if not k.startswith("MAILWRIGHT_")},
        )
        self._wait_until_listening()

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + 120
        while not os.path.exists(self.address):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the CLI's forkserver did not start")
            time.sleep(0.02)

    def start(self, argv: list[str], env: dict[str, str], cwd: Path | None = None) -> Command:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.connect(self.address)
        _send(connection, {"argv": argv, "env": env, "cwd": str(cwd or os.getcwd())})
        pid = _receive(connection)["pid"]
        return Command([str(Path(sys.executable).with_name("mailwright")), *argv], connection, pid)


class Command:
    """One forked command: wait for it as for a subprocess."""

    def __init__(self, argv: list[str], connection: socket.socket, pid: int) -> None:
        self.argv, self._connection, self.pid = argv, connection, pid

    def wait(self, timeout: float) -> subprocess.CompletedProcess[str]:
        self._connection.settimeout(timeout)
        try:
            done = _receive(self._connection)
        except TimeoutError:
            os.kill(self.pid, signal.SIGKILL)
            raise subprocess.TimeoutExpired(self.argv, timeout) from None
        finally:
            self._connection.close()
        return subprocess.CompletedProcess(self.argv, done["returncode"], done["stdout"], done["stderr"])


_forkserver: list[Forkserver] = []
_lock = threading.Lock()


def forkserver() -> Forkserver:
    with _lock:
        if not _forkserver:
            _forkserver.append(Forkserver())
        return _forkserver[0]


# ------------------------------------------------------------------ the helper process


def serve(address: str) -> None:
    for name in PRELOAD:
        __import__(name)
    # A fork copies only the forking thread: nothing imported may have started another.
    assert threading.active_count() == 1, threading.enumerate()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address + ".new")
    os.rename(address + ".new", address)  # the test process connects once it is listening
    listener.listen(64)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the system
    while True:
        readable, _, _ = select.select([listener, sys.stdin], [], [])
        if sys.stdin in readable:
            return  # the test process ended
        connection, _ = listener.accept()
        if os.fork() == 0:
            listener.close()
            _child(connection)  # never returns
        connection.close()


def _child(connection: socket.socket) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # a fresh process's: commands wait for theirs
    request = _receive(connection)
    _send(connection, {"pid": os.getpid()})
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    stdout, stderr = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    null = os.open(os.devnull, os.O_RDONLY)
    for source, target in ((null, 0), (stdout.fileno(), 1), (stderr.fileno(), 2)):
        os.dup2(source, target)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", write_through=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace", write_through=True)
    sys.argv = [str(Path(sys.executable).with_name("mailwright")), *request["argv"]]
    # The console script's own __main__, of no package: click names the program after argv[0].
    sys.modules["__main__"] = types.ModuleType("__main__")
    returncode = _run_main()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    _send(connection, {"returncode": returncode, "stdout": _read(stdout), "stderr": _read(stderr)})
    os._exit(0)


def _run_main() -> int:
    try:
        from mailwright.cli import main

        main()
    except SystemExit as exit:
        code = exit.code
        if code is None or isinstance(code, int):
            return code or 0
        print(code, file=sys.stderr)  # sys.exit("message"), as the interpreter prints it
        return 1
    except BaseException:
        traceback.print_exc()
        return 1
    return 0


def _read(file: Any) -> str:
    file.seek(0)
    return file.read().decode("utf-8", errors="replace")


def _send(connection: socket.socket, message: dict[str, Any]) -> None:
    data = json.dumps(message).encode()
    connection.sendall(_HEADER.pack(len(data)) + data)


def _receive(connection: socket.socket) -> dict[str, Any]:
    (length,) = _HEADER.unpack(_exactly(connection, _HEADER.size))
    return json.loads(_exactly(connection, length))


def _exactly(connection: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = connection.recv(min(left, 1 << 20))
        if not chunk:
            raise ConnectionError("the CLI's forkserver closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


if __name__ == "__main__":
    serve(sys.argv[1])
