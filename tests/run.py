"""The whole test suite, as `./mw test` runs it: one pytest process per database backend, side
by side (SQLite and PostgreSQL), each line of output prefixed with its backend.

Arguments are passed to both pytest processes, e.g. `./mw test -k order -x`.
Backend-independent unit tests (tests/unit) run once, in the SQLite process."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    backends = os.environ.get("MAILWRIGHT_TEST_BACKENDS", "sqlite,postgresql").split(",")
    started = time.monotonic()
    runs = []
    for backend in backends:
        extra = [] if backend == "sqlite" else ["--ignore=tests/unit"]
        env = os.environ | {"MAILWRIGHT_TEST_BACKEND": backend, "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *extra, *argv]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        thread = threading.Thread(target=_relay, args=(backend, process), daemon=True)
        thread.start()
        runs.append((backend, process, thread))
    results = {}
    for backend, process, thread in runs:
        results[backend] = process.wait()
        thread.join()
    minutes = (time.monotonic() - started) / 60
    print(f"\nTest suite finished in {minutes:.1f} min: " + ", ".join(f"{b} {'passed' if c == 0 else 'FAILED'}" for b, c in results.items()))
    return 0 if all(code == 0 for code in results.values()) else 1


def _relay(backend: str, process: subprocess.Popen[str]) -> None:
    label = f"[{backend[:6]:<6}] "
    assert process.stdout is not None
    for line in process.stdout:
        sys.stdout.write(label + line)
        sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
