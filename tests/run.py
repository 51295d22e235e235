"""The whole test suite, as `./mw test` runs it: for each database backend (SQLite and
PostgreSQL) its tests in MAILWRIGHT_TEST_SHARDS pytest processes (default 1; more split them by
file, each with its own database server and workflow engine, for machines with more cores), and
one more for the tests that use no database of
the backend under test (`once`: tests/unit, tests/launcher, tests/readme, tests marked
backend_independent and every test without a database fixture, on SQLite), all side by side,
each line of output prefixed with its run. At the end it repeats each run's pytest summary line
and prints one final line; the exit status is non-zero if any run failed.

Arguments are passed to every pytest process, e.g. `./mw test -k order -x`.
MAILWRIGHT_TEST_BACKENDS chooses the backends (default `sqlite,postgresql`). Which tests a run
takes: MAILWRIGHT_TEST_PART and MAILWRIGHT_TEST_SHARD, see tests/conftest.py."""

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
# One per backend: each process's workflow engine polls its queues all the time (about a third of
# a core at the tests' pace), so on two cores more processes spent more on polling than they won
# by overlapping waits (measured: after 9.7 min, two shards per backend had each run 30-44% of
# their half; one process per backend had run 41% of the whole after 8.3 min).
DEFAULT_SHARDS = 1
# pytest's closing line, "===== 12 passed, 1 skipped in 3.21s =====" (or without the rules under -q)
SUMMARY = re.compile(r"^=*\s*(\d+ [a-z]+(, )?)+ in [\d.]+s\b.*$|^=*\s*no tests ran in [\d.]+s\b.*$")
COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped)\b")
NO_TESTS_COLLECTED = 5


@dataclass(frozen=True)
class Part:
    """One pytest process: a backend's shard `shard` of `shards`, or the `once` run."""

    backend: str  # sqlite or postgresql
    once: bool = False
    shard: int = 1
    shards: int = 1

    @property
    def name(self) -> str:
        return "once" if self.once else f"{self.backend}-{self.shard}" if self.shards > 1 else self.backend

    @property
    def label(self) -> str:
        short = "once" if self.once else f"{self.backend[:6]}" + (f"-{self.shard}" if self.shards > 1 else "")
        return f"[{short:<8}] "

    def environment(self) -> dict[str, str]:
        return {
            "MAILWRIGHT_TEST_BACKEND": self.backend,
            "MAILWRIGHT_TEST_PART": "once" if self.once else "backend",
            "MAILWRIGHT_TEST_SHARD": f"{self.shard}/{self.shards}",
        }


@dataclass
class Run:
    part: Part
    process: subprocess.Popen[str]
    basetemp: str  # its pytest --basetemp, removed once it passed (kept to look into otherwise)
    summary: str = ""
    relay: threading.Thread = field(init=False)


def main(argv: list[str]) -> int:
    backends = [b.strip() for b in os.environ.get("MAILWRIGHT_TEST_BACKENDS", ",".join(BACKENDS)).split(",") if b.strip()]
    unknown = set(backends) - set(BACKENDS)
    if unknown or not backends:
        print(f"MAILWRIGHT_TEST_BACKENDS must list some of {', '.join(BACKENDS)}; got {', '.join(sorted(unknown)) or 'nothing'}", file=sys.stderr)
        return 2
    shards = os.environ.get("MAILWRIGHT_TEST_SHARDS", str(DEFAULT_SHARDS)).strip()
    if not (shards.isascii() and shards.isdigit() and 1 <= int(shards) <= 8):
        print(f"MAILWRIGHT_TEST_SHARDS must be a whole number from 1 to 8; got {shards!r}", file=sys.stderr)
        return 2
    started = time.monotonic()
    parts = [Part(b, shard=i, shards=int(shards)) for b in backends for i in range(1, int(shards) + 1)]
    parts += [Part("sqlite", once=True)] if "sqlite" in backends else []
    runs = [_start(part, argv) for part in parts]
    try:
        codes = {run.part: run.process.wait() for run in runs}
    except KeyboardInterrupt:
        for run in runs:
            run.process.send_signal(signal.SIGINT)
        for run in runs:
            run.process.wait()
        return 130
    for run in runs:
        run.relay.join()
        if codes[run.part] in (0, NO_TESTS_COLLECTED):
            shutil.rmtree(run.basetemp, ignore_errors=True)
    # A subset of tests may exist for one part only (tests/unit); nothing at all is a failure.
    ran_somewhere = any(code != NO_TESTS_COLLECTED for code in codes.values())
    ok = {p: code == 0 or (code == NO_TESTS_COLLECTED and ran_somewhere) for p, code in codes.items()}

    print()
    for run in runs:
        print(run.part.label + (run.summary or f"no pytest summary (exit status {codes[run.part]})"))
    minutes = (time.monotonic() - started) / 60
    verdicts = ", ".join(f"{p.name} {_verdict(codes[p], ok[p])}" for p in parts)
    print(f"Test suite {'passed' if all(ok.values()) else 'FAILED'} in {minutes:.1f} min: {verdicts}")
    print(_totals(runs))
    return 0 if all(ok.values()) else 1


def _start(part: Part, argv: list[str]) -> Run:
    env = os.environ | part.environment() | {"PYTHONUNBUFFERED": "1"}
    # Each run its own temporary directory: pytest keeps only the newest three of those it numbers
    # in the shared one, so a fourth pytest started meanwhile (another run) would delete a
    # running one's databases.
    basetemp = tempfile.mkdtemp(prefix=f"mailwright-tests-{part.name}-")
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--basetemp={basetemp}", *argv]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    run = Run(part, process, basetemp)
    run.relay = threading.Thread(target=_relay, args=(run,), daemon=True)
    run.relay.start()
    return run


def _relay(run: Run) -> None:
    assert run.process.stdout is not None
    for line in run.process.stdout:
        sys.stdout.write(run.part.label + line)
        sys.stdout.flush()
        if SUMMARY.match(line.strip()):
            run.summary = line.strip()


def _totals(runs: list[Run]) -> str:
    """One plain closing line over every run, e.g. "total: 380 passed, 0 failed, 2 skipped"."""
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
