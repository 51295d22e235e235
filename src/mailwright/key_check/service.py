"""Checks a process's secret keys against its database before it encrypts or decrypts anything.

The first process on a database stores CHECK_TEXT encrypted with its newest key; every later one
must decrypt it, or it refuses to start (KeyMismatch, one line naming MAILWRIGHT_SECRET_KEY and
the remedy; never a key). A process that has neither MAILWRIGHT_SECRET_KEY nor a key file
generates a key file only for a database without a check, and removes it again if another
process's check won meanwhile."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailwright import clock
from mailwright.config import SettingProblem, Settings
from mailwright.crypto import KEY_FILE_NAME, SecretBox, SecretKeyError, configured_keys, create_key_file, read_key_file
from mailwright.db import Database
from mailwright.db.base import Base
from mailwright.key_check.models import SecretKeyCheck

CHECK_TEXT = "mailwright secret key check"
REMEDY = (
    "every serve, worker and command on one database needs the same key: set MAILWRIGHT_SECRET_KEY to the "
    "one the others use (or share one data directory's secret.key). Not started, so that no secret is "
    "written or read with the wrong key (README: Workers and queues)."
)


class WrongKey(SecretKeyError):
    """The keys cannot decrypt the check, or the secrets of a database that has none yet."""


class KeyMismatch(SettingProblem):
    """A process that must not start: cli.main prints `Error: MAILWRIGHT_SECRET_KEY: ...`, exit 2."""

    def __init__(self, why: str) -> None:
        super().__init__("secret_key", f"{why}; {REMEDY}")


def open_secret_box(db: Database, settings: Settings) -> SecretBox:
    """This process's keys (MAILWRIGHT_SECRET_KEY, else the data directory's key file, generated
    on a new database), once they pass the database's check. `db` must be migrated."""
    keys = configured_keys(settings.secret_key)
    if keys:
        box = SecretBox(keys)
        _check(db, box, "it does not decrypt this database's secrets, which another key encrypted")
        return box
    path = settings.data_dir / KEY_FILE_NAME
    key = read_key_file(path)
    if key is not None:
        return _box_with_key_file(db, path, key)
    return _box_with_new_key_file(db, path)


def _box_with_key_file(db: Database, path: Path, key: str) -> SecretBox:
    box = SecretBox([key])
    _check(db, box, f"unset, and the key in {path} is not the one this database's secrets were encrypted with")
    return box


def _box_with_new_key_file(db: Database, path: Path) -> SecretBox:
    why = f"unset, and {path} does not exist, while this database's secrets use a key already (no new key file was made)"
    with db.read() as session:
        checked = session.get(SecretKeyCheck, 1) is not None
    if checked:
        # A process of this data directory may have made the key file and stored the check since
        # this one looked for the file: then that key is this one's too.
        key = read_key_file(path)
        if key is None:
            raise KeyMismatch(why)  # a new key file would only stick and fail every secret later
        return _box_with_key_file(db, path, key)
    key, created = create_key_file(path)
    box = SecretBox([key])
    try:
        _check(db, box, why)
    except KeyMismatch:
        if created:  # another process's check came first: leave no key behind that would stick
            path.unlink(missing_ok=True)
        raise
    return box


def _check(db: Database, box: SecretBox, why: str) -> None:
    try:
        with db.read() as session:
            if check_or_store(session, box, read_only=True):
                return
        try:
            with db.write() as session:
                check_or_store(session, box)
        except IntegrityError:  # another process stored the first check at the same moment
            with db.read() as session:
                check_or_store(session, box, read_only=True)  # a first check needs no rotation
    except WrongKey:
        raise KeyMismatch(why) from None


def check_or_store(session: Session, box: SecretBox, *, read_only: bool = False) -> bool:
    """True when `box` decrypts the database's check, re-encrypting it with the newest key after
    a rotation, or stores the first check (on a database that has secrets already, only if `box`
    decrypts them). Raises WrongKey when it cannot. With `read_only`, False where a write is needed."""
    row = session.get(SecretKeyCheck, 1)
    if row is None:
        if read_only:
            return False
        if not _existing_secrets_decrypt(session, box):
            raise WrongKey("the database's secrets were encrypted with another key")
        session.add(SecretKeyCheck(id=1, token=box.encrypt(CHECK_TEXT)))
        session.flush()
        return True
    try:
        rotated = box.rotated(row.token)
    except SecretKeyError:
        raise WrongKey("the keys do not decrypt the database's secret key check") from None
    if rotated is None:
        return True
    if read_only:
        return False
    # Compare-and-set: a process rotating at the same moment wrote a token as good as this one.
    session.execute(
        sa.update(SecretKeyCheck)
        .where(SecretKeyCheck.id == 1, SecretKeyCheck.token == row.token)
        .values(token=rotated, rotated_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return True


def _existing_secrets_decrypt(session: Session, box: SecretBox) -> bool:
    """Whether one stored secret of each kind decrypts: a database from before the check may
    have secrets, and its first check must not be written with a key that cannot read them."""
    for column in encrypted_columns():
        token = session.scalar(sa.select(column).where(column.is_not(None)).limit(1))
        if token is None:
            continue
        try:
            box.decrypt(token)
        except SecretKeyError:
            return False
    return True


def encrypted_columns() -> list[sa.Column]:
    """Every column holding a secret: by the project's convention, the ones named *_enc."""
    return [column for table in Base.metadata.sorted_tables for column in table.columns if column.name.endswith("_enc")]
