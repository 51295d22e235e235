"""The whole test suite, as `./mw test` runs it: one pytest process per database backend, side
by side (SQLite and PostgreSQL), and a third for the tests that use no database of the backend
under test (`once`: tests/unit, tests/launcher, tests/readme, tests marked
backend_independent and every test without a database fixture, on SQLite), each line of output prefixed with its run. At the end it
repeats each backend's pytest summary line and prints one final line; the exit status is
non-zero if any backend failed.

Arguments are passed to both pytest processes, e.g. `./mw test -k order -x`.
MAILWRIGHT_TEST_BACKENDS chooses the backends (default `sqlite,postgresql`).
Backend-independent tests run once, in the `once` process (with the SQLite run: MAILWRIGHT_TEST_PART,
see tests/conftest.py); on a machine's two cores the three keep both busy where two left one idle
while the other waited on a workflow or a process."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("sqlite", "postgresql")
# pytest's closing line, "===== 12 passed, 1 skipped in 3.21s =====" (or without the rules under -q)
SUMMARY = re.compile(r"^=*\s*(\d+ [a-z]+(, )?)+ in [\d.]+s\b.*$|^=*\s*no tests ran in [\d.]+s\b.*$")
COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped)\b")
NO_TESTS_COLLECTED = 5


@dataclass
class Run:
    backend: str  # sqlite, postgresql, or once
    process: subprocess.Popen[str]
    basetemp: str  # its pytest --basetemp, removed once it passed (kept to look into otherwise)
    summary: str = ""
    relay: threading.Thread = field(init=False)

    @property
    def label(self) -> str:
        return f"[{self.backend[:6]:<6}] "


def main(argv: list[str]) -> int:
    backends = [b.strip() for b in os.environ.get("MAILWRIGHT_TEST_BACKENDS", ",".join(BACKENDS)).split(",") if b.strip()]
    unknown = set(backends) - set(BACKENDS)
    if unknown or not backends:
        print(f"MAILWRIGHT_TEST_BACKENDS must list some of {', '.join(BACKENDS)}; got {', '.join(sorted(unknown)) or 'nothing'}", file=sys.stderr)
        return 2
    started = time.monotonic()
    parts = backends + (["once"] if "sqlite" in backends else [])
    runs = [_start(part, argv) for part in parts]
    try:
        codes = {run.backend: run.process.wait() for run in runs}
    except KeyboardInterrupt:
        for run in runs:
            run.process.send_signal(signal.SIGINT)
        for run in runs:
            run.process.wait()
        return 130
    for run in runs:
        run.relay.join()
        if codes[run.backend] in (0, NO_TESTS_COLLECTED):
            shutil.rmtree(run.basetemp, ignore_errors=True)
    # A subset of tests may exist for one backend only (tests/unit); nothing at all is a failure.
    ran_somewhere = any(code != NO_TESTS_COLLECTED for code in codes.values())
    ok = {b: code == 0 or (code == NO_TESTS_COLLECTED and ran_somewhere) for b, code in codes.items()}

    print()
    for run in runs:
        print(run.label + (run.summary or f"no pytest summary (exit status {codes[run.backend]})"))
    minutes = (time.monotonic() - started) / 60
    verdicts = ", ".join(f"{b} {_verdict(codes[b], ok[b])}" for b in parts)
    print(f"Test suite {'passed' if all(ok.values()) else 'FAILED'} in {minutes:.1f} min: {verdicts}")
    print(_totals(runs))
    return 0 if all(ok.values()) else 1


def _start(part: str, argv: list[str]) -> Run:
    backend = "sqlite" if part == "once" else part
    env = os.environ | {"MAILWRIGHT_TEST_BACKEND": backend, "MAILWRIGHT_TEST_PART": "once" if part == "once" else "backend", "PYTHONUNBUFFERED": "1"}
    # Each run its own temporary directory: pytest keeps only the newest three of those it numbers
    # in the shared one, so a fourth pytest started meanwhile (any other run) would delete a
    # running one's databases.
    basetemp = tempfile.mkdtemp(prefix=f"mailwright-tests-{part}-")
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--basetemp={basetemp}", *argv]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    run = Run(part, process, basetemp)
    run.relay = threading.Thread(target=_relay, args=(run,), daemon=True)
    run.relay.start()
    return run


def _relay(run: Run) -> None:
    assert run.process.stdout is not None
    for line in run.process.stdout:
        sys.stdout.write(run.label + line)
        sys.stdout.flush()
        if SUMMARY.match(line.strip()):
            run.summary = line.strip()


def _totals(runs: list[Run]) -> str:
    """One plain closing line over every backend, e.g. "total: 380 passed, 0 failed, 2 skipped"."""
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for run in runs:
        for number, kind in COUNT.findall(run.summary):
            counts["failed" if kind.startswith("error") else kind] += int(number)
    line = f"total: {counts['passed']} passed, {counts['failed']} failed"
    return line + (f", {counts['skipped']} skipped" if counts["skipped"] else "")


def _verdict(code: int, ok: bool) -> str:
    if code == NO_TESTS_COLLECTED:
        return "no tests selected"
    return "passed" if ok else f"FAILED (exit status {code})"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
