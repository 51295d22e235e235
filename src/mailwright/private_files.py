"""Files only the service's own user may read, whatever the umask: the data directory (0700)
with the secret key in it, and the SQLite database (0600) wherever MAILWRIGHT_DATABASE_URL puts
it. Looser modes left by older versions are tightened at start (and logged)."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600
# SQLite's companions of a database file. SQLite creates -wal and -shm with the database file's
# own permissions, so a database file that is owner-only before SQLite opens it keeps them so too.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_directory(path: Path) -> None:
    """`path` exists and only its owner may enter it. Only this directory is changed, not what
    it holds: files of ours in it are made owner-only one by one (private_file)."""
    path.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    _narrow(path, DIRECTORY_MODE)


def private_file(path: Path) -> None:
    """An existing file becomes owner-only; a missing one is left missing."""
    if path.exists() and not path.is_symlink():  # chmod would change what a link points to
        _narrow(path, FILE_MODE)


def create_private_file(path: Path, text: str) -> None:
    """A new file, owner-only from its first byte (fails if it exists)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def private_sqlite_database(database: Path) -> None:
    """Create the database file owner-only before SQLite opens it (in an owner-only directory
    when the directory is new); tighten an existing one and its companions."""
    if not database.parent.exists():
        private_directory(database.parent)
    try:
        # Only a new file is opened here: closing any descriptor of a file drops every POSIX lock
        # this process holds on it, so touching a database other connections of this process
        # use would take SQLite's locks from under them (another process then sees it torn).
        os.close(os.open(database, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        pass
    for path in (database, *(Path(f"{database}{suffix}") for suffix in SQLITE_COMPANIONS)):
        private_file(path)


def _narrow(path: Path, wanted: int) -> None:
    """Down to `wanted` where group or others have any permission."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        os.chmod(path, mode & wanted)
        log.warning("permissions tightened", extra={"path": str(path), "was": oct(mode), "now": oct(mode & wanted)})
