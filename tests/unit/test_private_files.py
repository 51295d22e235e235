"""The data directory, the secret key and the SQLite database with its -wal and -shm files are
owner-only, whatever the umask and wherever MAILWRIGHT_DATABASE_URL puts the database; looser
modes from before are tightened at start."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from mailwright.private_files import private_sqlite_database
from tests.support.serve import ServeProcess, serve_env


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def made(path: Path, permissions: int, text: str | None = None) -> Path:
    if text is None:
        path.mkdir()
    else:
        path.write_text(text)
    os.chmod(path, permissions)
    return path


@pytest.mark.slow
def test_serve_under_umask_022_keeps_its_files_owner_only(tmp_path):
    """The data directory and key as an older version left them (0755, 0644); the database in a
    new directory elsewhere. -wal and -shm exist while serve runs."""
    data = made(tmp_path / "data", 0o755)
    key = made(data / "secret.key", 0o644, Fernet.generate_key().decode() + "\n")
    database = tmp_path / "elsewhere" / "db" / "mailwright.db"

    serve = ServeProcess(serve_env(f"sqlite:///{database}", data), cwd=tmp_path, umask=0o022).start()
    try:
        serve.wait_ready()
        wal, shm = Path(f"{database}-wal"), Path(f"{database}-shm")
        assert {p.name: oct(mode(p)) for p in (data, key, database.parent, database, wal, shm)} == {
            "data": "0o700",
            "secret.key": "0o600",
            "db": "0o700",
            "mailwright.db": "0o600",
            "mailwright.db-wal": "0o600",
            "mailwright.db-shm": "0o600",
        }
    finally:
        serve.stop()


def test_an_older_database_and_its_companions_are_tightened(tmp_path):
    shared = made(tmp_path / "shared", 0o755)
    files = [made(shared / name, 0o644, "") for name in ("mailwright.db", "mailwright.db-wal", "mailwright.db-shm")]
    private_sqlite_database(shared / "mailwright.db")
    assert [oct(mode(f)) for f in files] == ["0o600"] * 3
    assert mode(shared) == 0o755  # a directory the database merely lives in is not Mailwright's to change
