"""`serve`'s worker, run in a child process it supervises (docs/decisions/1212-serve-runs-its-worker-in-a-child-process.md).

In one process, the API's request threads and the workflow engine's threads share one GIL: an
order waited behind the provisioning of the orders before it. The child is `mailwright worker`
with the same settings and executor id. It lives exactly as long as this process:

- a graceful stop of `serve` stops the worker first (SIGTERM, then SIGKILL after STOP_SECONDS);
- a SIGKILL of `serve` kills the worker too (the kernel's parent-death signal on Linux, and the
  worker's own look at its parent every PARENT_CHECK_SECONDS elsewhere), as a crash of a single
  process would: its workflows resume from their checkpoints at the next start, under the same id;
- a worker that dies on its own is started again, after RESTART_PAUSES (longer each time, reset
  once one has run for STABLE_SECONDS), and said so in the log."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time

log = logging.getLogger(__name__)

STOP_SECONDS = 20.0  # the worker's own shutdown waits up to 5 s for running workflows
RESTART_PAUSES = (1.0, 2.0, 5.0, 10.0, 30.0)
STABLE_SECONDS = 60.0
PARENT_CHECK_SECONDS = 0.5
_PR_SET_PDEATHSIG = 1
# `serve`'s worker: the same id at every start, so a restarted server resumes its own workflows
# at once. Several servers with workers on one database need --executor-id each.
SERVE_EXECUTOR_ID = "local"


def worker_command(executor_id: str) -> list[str]:
    """The child's command line: this interpreter, this package's CLI, the hidden supervision option."""
    return [sys.executable, "-m", "mailwright.cli", "worker", "--executor-id", executor_id, "--supervised-by", str(os.getpid())]


class WorkerProcess:
    """The worker child of this process: `start()` once, `stop()` once."""

    def __init__(self, executor_id: str) -> None:
        self.executor_id = executor_id
        self._child: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        # The thread that starts the child must live as long as it: Linux sends the parent-death
        # signal when the creating thread ends, not the process.
        self._thread = threading.Thread(target=self._supervise, name="mailwright-worker-supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> int | None:
        """Stop the worker and wait for it; its exit code (None if it was not running)."""
        self._stopping.set()
        with self._lock:
            child = self._child
        if child is None:
            if self._thread.is_alive():
                self._thread.join(timeout=STOP_SECONDS)
            return None
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
        try:
            code = child.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            log.warning("the worker did not stop within %s s; killed", STOP_SECONDS)
            child.kill()
            code = child.wait(timeout=STOP_SECONDS)
        self._thread.join(timeout=STOP_SECONDS)
        return code

    def _supervise(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            began = time.monotonic()
            with self._lock:
                if self._stopping.is_set():
                    return
                try:
                    # Its own process group: a terminal's Ctrl-C reaches `serve`, which stops it in order.
                    self._child = subprocess.Popen(worker_command(self.executor_id), process_group=0)
                except OSError as exc:
                    self._child, ended = None, f"could not start ({exc})"
            if self._child is not None:
                ended = f"exited with code {self._child.wait()}"
            if self._stopping.is_set():
                return
            failures = 0 if time.monotonic() - began >= STABLE_SECONDS else failures + 1
            pause = RESTART_PAUSES[min(max(failures - 1, 0), len(RESTART_PAUSES) - 1)]
            log.error("the worker process %s; starting it again in %s s", ended, pause, extra={"executor_id": self.executor_id})
            self._stopping.wait(pause)


def follow_parent(parent_pid: int) -> None:
    """In the worker child: end with the parent. The kernel's parent-death signal where there is
    one (Linux), and a thread that looks at the parent everywhere (it also covers the moment
    before the signal was asked for)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl here: the thread below still ends it
            pass
    if os.getppid() != parent_pid:
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="mailwright-parent-watch", daemon=True).start()
