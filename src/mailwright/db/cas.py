"""Compare-and-set status changes: the row moves only if it is still where the caller saw it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session


def transition(session: Session, model: Any, row_id: str, expected: str | tuple[str, ...], **values: Any) -> bool:
    """UPDATE ... SET values WHERE id = row_id AND status IN expected; True if the row moved."""
    allowed = (expected,) if isinstance(expected, str) else expected
    result = session.execute(
        sa.update(model)
        .where(model.id == row_id, model.status.in_(allowed))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
