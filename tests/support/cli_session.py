"""One `mailwright` command-line process that runs many commands, one after another.

Each command runs through the console script's own entry point (mailwright.cli:main) with its
arguments in sys.argv, its output and exit code captured, exactly as `mailwright ARGS...` would;
only the imports (about 1.8 CPU-seconds a process) are paid once, not once per command. For
tests that drive a `serve` with several operator commands (tests/support/serve.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The child: reads one JSON list of arguments a line, answers one JSON line on its real stdout.
_RUNNER = """
import contextlib, io, json, sys
from mailwright.cli import main
answers = sys.stdout
for line in sys.stdin:
    out, err, code = io.StringIO(), io.StringIO(), 0
    sys.argv = ["mailwright", *json.loads(line)]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    answers.write(json.dumps({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}) + "\\n")
    answers.flush()
"""


@dataclass
class CliSession:
    env: dict[str, str]
    cwd: Path
    process: subprocess.Popen[str] | None = None

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _RUNNER], env=self.env, cwd=self.cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
            )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(list(args)) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        assert answer, f"the command-line process ended (exit {self.process.wait()}) running {args}"
        done = json.loads(answer)
        return subprocess.CompletedProcess(["mailwright", *args], done["code"], done["stdout"], done["stderr"])

    def json(self, *args: str) -> dict[str, Any]:
        """Runs with --json; it must succeed and print exactly one JSON object."""
        done = self(*args, "--json")
        assert done.returncode == 0, f"exit {done.returncode}: {done.stderr}"
        value = json.loads(done.stdout)
        assert isinstance(value, dict), done.stdout
        return value

    def close(self) -> None:
        if self.process is not None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(timeout=30)
            self.process = None
