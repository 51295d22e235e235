"""Operator keys: shown once, stored and checked exactly as API keys are (a hash of the key)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright import clock
from mailwright.crypto import hash_api_key, new_api_key
from mailwright.errors import NotFound
from mailwright.operators.models import OperatorKey

# Told apart from an account's API key (mw_...) at a glance.
PREFIX = "mwop_"


def create_key(session: Session) -> tuple[OperatorKey, str]:
    plain = PREFIX + new_api_key().removeprefix("mw_")
    key = OperatorKey(key_hash=hash_api_key(plain), prefix=plain[:12])
    session.add(key)
    session.flush()
    return key, plain


def revoke_key(session: Session, key_id: str) -> OperatorKey:
    key = session.get(OperatorKey, key_id)
    if key is None:
        raise NotFound("operator key")
    if key.revoked_at is None:
        key.revoked_at = clock.now()
    return key


def authenticate(session: Session, operator_key: str) -> OperatorKey | None:
    """The valid, unrevoked key; None for anything else."""
    return session.scalar(
        sa.select(OperatorKey).where(OperatorKey.key_hash == hash_api_key(operator_key), OperatorKey.revoked_at.is_(None))
    )


def is_valid(session: Session, key_id: str) -> bool:
    key = session.get(OperatorKey, key_id)
    return key is not None and key.revoked_at is None
