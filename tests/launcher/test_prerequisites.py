"""`./mw test` on a machine that lacks what the suite needs beyond Python packages stops before
running anything, with one line naming the missing Debian packages and the command that installs
them (scripts/test-prerequisites; as root or with sudo it installs them instead, as CI does).

Nothing is installed here: MAILWRIGHT_TEST_INSTALL=no keeps the check to saying what is missing,
and the machine is made to lack things by a PATH holding only the basic tools and by pointing
MAILWRIGHT_NAMED and MAILWRIGHT_PG_BINDIR at empty places."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

from tests.launcher.launcher import clean_env, launcher_copy, run, stand_in_env

PYTHON = os.path.realpath(sys.executable)  # the interpreter itself, not a venv's or pyenv's wrapper


def bare_path(tmp_path: Path, *tools: str) -> str:
    """A PATH with bash, the two tools the launcher uses before the check, python3 and `tools`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "id", *tools):
        found = shutil.which(tool)
        assert found, f"{tool} is on every machine the suite runs on"
        (bin_dir / tool).symlink_to(found)
    (bin_dir / "python3").symlink_to(PYTHON)
    return str(bin_dir)


def sudo() -> str:
    return "" if os.geteuid() == 0 else "sudo "


def test_a_machine_without_the_packages_gets_one_line_and_nothing_runs(tmp_path: Path) -> None:
    root = launcher_copy(tmp_path)
    # The stand-in Python: a launcher that went on regardless would not install anything real.
    env = stand_in_env(
        tmp_path,
        PATH=bare_path(tmp_path),
        MAILWRIGHT_TEST_INSTALL="no",
        MAILWRIGHT_NAMED=str(tmp_path / "nowhere" / "named"),
        MAILWRIGHT_PG_BINDIR=str(tmp_path / "nowhere"),
    )
    done = run(root, "test", "-x", env=env)
    packages = "postgresql curl bind9 bind9-dnsutils chromium chromium-driver"
    line = (
        "Missing for the test suite: postgresql, curl, bind9, bind9-dnsutils, chromium, chromium-driver. "
        f"Install with: {sudo()}apt-get update && {sudo()}apt-get install -y --no-install-recommends {packages}"
    )
    if os.geteuid() == 0 and not _has_user("postgres"):
        line = line.replace("chromium-driver. ", "chromium-driver, a postgres user (initdb refuses to run as root). ")
        line += " && useradd --system --create-home --shell /bin/bash postgres"
    assert (done.returncode, done.stdout, done.stderr) == (1, "", line + "\n")
    assert not (root / ".venv").exists()  # stopped before anything, the venv included


def test_only_what_the_chosen_backends_need_is_asked_for(tmp_path: Path) -> None:
    root = launcher_copy(tmp_path)
    env = clean_env(
        PATH=bare_path(tmp_path, "curl", "chromium", "chromedriver"),
        MAILWRIGHT_TEST_INSTALL="no",
        MAILWRIGHT_TEST_BACKENDS="sqlite",
        MAILWRIGHT_NAMED=str(tmp_path / "nowhere" / "named"),
    )
    done = run(root, "test", env=env)
    assert done.returncode == 1
    assert done.stderr.startswith("Missing for the test suite: bind9, bind9-dnsutils. Install with: ")


def test_a_machine_with_everything_passes_the_check_silently(tmp_path: Path) -> None:
    root = launcher_copy(tmp_path)
    named, pg = tmp_path / "sbin" / "named", tmp_path / "pg"
    for program in (named, pg / "initdb", pg / "pg_ctl"):
        program.parent.mkdir(exist_ok=True)
        program.write_text("#!/bin/sh\n")
        program.chmod(0o755)
    env = clean_env(
        PATH=bare_path(tmp_path, "curl", "dig", "chromium", "chromedriver"),
        MAILWRIGHT_TEST_INSTALL="no",
        MAILWRIGHT_NAMED=str(named),
        MAILWRIGHT_PG_BINDIR=str(pg),
    )
    if os.geteuid() == 0 and not _has_user("postgres"):
        env["MAILWRIGHT_TEST_POSTGRES_URL"] = "postgresql+psycopg://u@127.0.0.1:5432/postgres"  # no local server: no user needed
    script = root / "scripts" / "test-prerequisites"
    done = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
