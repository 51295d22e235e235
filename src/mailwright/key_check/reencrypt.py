"""Every secret at rest re-encrypted with the newest key, after a rotation (`mailwright db re-encrypt`).

MAILWRIGHT_SECRET_KEY lists keys newest first; all decrypt, the newest encrypts. Secrets written
before a rotation stay encrypted with an older key until this runs; once it has, the older keys
can be dropped from every process. The secrets are every `*_enc` column of Mailwright's tables.

Safe beside running `serve` and workers: rows are read in batches by primary key, and each is
written back only if it still holds the token that was read (another process may have replaced
the secret meanwhile, with the newest key); each batch is one short write transaction. A token
no configured key decrypts is left as it is and named (table, column, row), never shown."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

import mailwright.db.models  # noqa: F401 - every model's table in Base.metadata
from mailwright.crypto import SecretBox, SecretKeyError
from mailwright.db import Database
from mailwright.key_check.service import encrypted_columns

BATCH_SIZE = 500


@dataclass
class ColumnResult:
    table: str
    column: str
    re_encrypted: int = 0
    already_newest: int = 0
    changed_meanwhile: int = 0
    undecryptable: list[str] = field(default_factory=list)  # the rows' primary keys

    def as_dict(self) -> dict[str, object]:
        return {
            "table": self.table,
            "column": self.column,
            "re_encrypted": self.re_encrypted,
            "already_newest": self.already_newest,
            "changed_meanwhile": self.changed_meanwhile,
            "undecryptable": self.undecryptable,
        }


def re_encrypt_all(db: Database, box: SecretBox) -> list[ColumnResult]:
    return [re_encrypt_column(db, box, column) for column in encrypted_columns()]


def re_encrypt_column(db: Database, box: SecretBox, column: sa.Column) -> ColumnResult:
    table = column.table
    (key,) = table.primary_key.columns  # every table with secrets has a one-column key
    result = ColumnResult(table.name, column.name)
    after = None
    while True:
        page = sa.select(key, column).where(column.is_not(None)).order_by(key).limit(BATCH_SIZE)
        with db.read() as session:
            rows = session.execute(page if after is None else page.where(key > after)).all()
        if not rows:
            return result
        after = rows[-1][0]
        _write_batch(db, box, column, key, rows, result)


def _write_batch(db: Database, box: SecretBox, column: sa.Column, key: sa.Column, rows: list, result: ColumnResult) -> None:
    updates = []
    for row_key, token in rows:
        try:
            new = box.rotated(token)
        except SecretKeyError:
            result.undecryptable.append(str(row_key))
            continue
        if new is None:
            result.already_newest += 1
        else:
            updates.append((row_key, token, new))
    if not updates:
        return
    statement = sa.update(column.table).where(key == sa.bindparam("row_key"), column == sa.bindparam("old")).values({column.name: sa.bindparam("new")})
    with db.write() as session:
        connection = session.connection()
        for row_key, old, new in updates:
            # One statement per row: its rowcount says whether it still held the token read.
            if connection.execute(statement, {"row_key": row_key, "old": old, "new": new}).rowcount == 1:
                result.re_encrypted += 1
            else:
                result.changed_meanwhile += 1
