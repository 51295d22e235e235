"""`./mw`'s first run shows each install step and counts the pinned packages off as pip collects
them, instead of one line and a long silence; later runs are quiet.

Cheap and faithful: the launcher is the real one (in a throwaway copy of the checkout), given a
stand-in Python (MAILWRIGHT_PYTHON) whose `-m venv` makes a stand-in venv and whose `-m pip`
prints, for the real lock file, the very lines a real `pip install -r` prints (their formats are
copied from a real .venv/install.log): nothing is downloaded or installed."""

from __future__ import annotations

import os
import pty
import re
import subprocess
from pathlib import Path

from tests.launcher.launcher import ROOT, launcher_copy, run, stand_in_env


def pins(lock: str) -> int:
    return sum(1 for line in (ROOT / lock).read_text().splitlines() if line and not line[0].isspace() and not line.startswith("#"))


def test_the_first_run_shows_each_step_and_later_runs_are_quiet(tmp_path: Path) -> None:
    root = launcher_copy(tmp_path)
    env = stand_in_env(tmp_path)
    first = run(root, "accounts", "list", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout == "mailwright accounts list\n"
    lines = first.stderr.splitlines()
    venv = root / ".venv"
    assert lines[0] == f"Preparing {venv} with the pinned dependencies (only when they change; log: {venv}/install.log):"
    steps = [re.sub(r"\(\d+ s\)$", "(N s)", line) for line in lines[1:-1]]
    assert steps == [
        "  creating the virtual environment ... done (N s)",
        f"  runtime dependencies (requirements.lock) ... {pins('requirements.lock')} packages, done (N s)",
        "  Mailwright itself (editable, from src/) ... done (N s)",
    ]
    assert re.fullmatch(r"Ready in \d+ s\.", lines[-1])
    assert "Requirement already satisfied: alembic==" in (venv / "install.log").read_text()  # pip's own words are kept

    again = run(root, "accounts", "list", env=env)
    assert (again.returncode, again.stderr, again.stdout) == (0, "", "mailwright accounts list\n")


def test_on_a_terminal_the_count_moves_as_pip_collects_each_pin(tmp_path: Path) -> None:
    root = launcher_copy(tmp_path)
    master, terminal = pty.openpty()
    with subprocess.Popen(
        [str(root / "mw"), "accounts", "list"], cwd=root, env=stand_in_env(tmp_path),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=terminal,
    ) as process:
        os.close(terminal)
        shown = b""
        while chunk := _read(master):
            shown += chunk
        assert process.wait(timeout=60) == 0
    os.close(master)
    text = shown.decode()
    total = pins("requirements.lock")
    counted = re.findall(r"\r\x1b\[K  runtime dependencies \(requirements\.lock\) \.\.\. (\d+)/(\d+) packages", text)
    assert [int(n) for n, _ in counted] == [*range(1, total + 1), total]  # the last one: "installing"
    assert {int(t) for _, t in counted} == {total}
    assert f"... {total}/{total} packages, installing" in text
    assert re.search(rf"\r\x1b\[K  runtime dependencies \(requirements\.lock\) \.\.\. {total} packages, done \(\d+ s\)\r?\n", text)


def test_a_failed_install_shows_pips_output_and_leaves_no_stamp(tmp_path: Path) -> None:
    root = launcher_copy(tmp_path)
    failed = run(root, "accounts", "list", env=stand_in_env(tmp_path, FAKE_PIP_FAIL="1"))
    assert failed.returncode == 1 and failed.stdout == ""
    assert "ERROR: Could not find a version that satisfies the requirement alembic==1.20.1" in failed.stderr
    assert failed.stderr.endswith(f"Installing dependencies failed (log above, also in {root}/.venv/install.log).\n")
    assert not (root / ".venv" / ".mailwright-installed").exists()


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: the terminal's other end is closed
        return b""
