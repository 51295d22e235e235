"""The launcher `./mw` run from a throwaway copy of the repository's root files, so that what it
creates (.venv, its stamp, its log) never touches the real checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER_FILES = ("mw", "pyproject.toml", "requirements.lock", "requirements-test.lock", "scripts/test-prerequisites")


# A stand-in for python3 (MAILWRIGHT_PYTHON) and for the venv's python: `-m venv` makes a venv of
# stand-ins, `-m pip` prints for the real lock file the lines a real `pip install -r` prints.
FAKE_PYTHON = r'''#!/usr/bin/env bash
set -euo pipefail
if [[ "$1" == -c ]]; then exit 0; fi                       # the version check
if [[ "$1 $2" == "-m venv" ]]; then
  mkdir -p "$3/bin"
  cp "$0" "$3/bin/python"
  printf '#!/usr/bin/env bash\necho "mailwright $*"\n' >"$3/bin/mailwright"
  chmod +x "$3/bin/python" "$3/bin/mailwright"
  exit 0
fi
# -m pip install --disable-pip-version-check (-r LOCK | --no-deps -e ROOT)
if [[ -n "${FAKE_PIP_FAIL:-}" ]]; then
  echo "ERROR: Could not find a version that satisfies the requirement alembic==1.20.1 (from versions: none)"
  exit 1
fi
lock=""
for ((i = 1; i <= $#; i++)); do [[ "${!i}" == -r ]] && { j=$((i + 1)); lock="${!j}"; }; done
if [[ -z "$lock" ]]; then echo "Obtaining file://$PWD"; echo "Successfully installed mailwright-0.1.0"; exit 0; fi
echo "Looking in indexes: https://pypi.org/simple"
n=0 names=()
while IFS= read -r pin; do
  n=$((n + 1))
  [[ -z "$pin" || "$pin" == \#* ]] && continue
  name="${pin%%==*}" version="${pin#*==}"
  names+=("$name")
  case $((n % 3)) in
    0) echo "Collecting $pin (from -r $lock (line $n))"
       echo "  Downloading ${name//-/_}-$version-py3-none-any.whl (270 kB)" ;;
    1) echo "Processing /opt/pypi/files/${name//-/_}-$version-py3-none-any.whl (from -r $lock (line $n))" ;;
    2) echo "Requirement already satisfied: $pin in ./.venv/lib/python3.11/site-packages (from -r $lock (line $n)) ($version)" ;;
  esac
done <"$lock"
echo "Installing collected packages: ${names[*]}"
echo "Successfully installed ${names[*]}"
'''


def stand_in_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment whose MAILWRIGHT_PYTHON is the stand-in."""
    python = tmp_path / "python3"
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    return clean_env(MAILWRIGHT_PYTHON=str(python), **extra)


def launcher_copy(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    for name in LAUNCHER_FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, root / name)
    return root


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any MAILWRIGHT_* setting, plus `extra`."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MAILWRIGHT_")} | extra


def run(root: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(root / "mw"), *args], cwd=root, env=env, capture_output=True, text=True, timeout=60)
