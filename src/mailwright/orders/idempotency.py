"""Idempotency-Key: the first response to a keyed request is kept and replayed for repeats of
the same request; the same key with a different request is refused."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from mailwright.errors import FieldIssue, InvalidFields, RuleViolation
from mailwright.orders.models import IdempotencyRecord

HEADER = "Idempotency-Key"
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any


def validate_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not _VALID_KEY.match(key):
        raise InvalidFields([FieldIssue(HEADER, "Must be 1 to 255 printable ASCII characters without spaces", key[:300])])
    return key


def request_hash(endpoint: str, body: Any) -> str:
    canonical = json.dumps([endpoint, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay(session: Session, account_id: str, key: str, endpoint: str, digest: str) -> StoredResponse | None:
    record = session.get(IdempotencyRecord, (account_id, key))
    if record is None:
        return None
    if record.endpoint != endpoint or record.request_hash != digest:
        raise RuleViolation(
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request",
            [FieldIssue(HEADER, "Already used with a different request; use a new key for a new request", key)],
        )
    return StoredResponse(record.status_code, json.loads(record.response_body))


def remember(session: Session, account_id: str, key: str, endpoint: str, digest: str, status_code: int, body: Any) -> None:
    session.add(
        IdempotencyRecord(
            account_id=account_id,
            key=key,
            endpoint=endpoint,
            request_hash=digest,
            status_code=status_code,
            response_body=json.dumps(body),
        )
    )
    session.flush()


@dataclass(frozen=True)
class KeyedRequest:
    """One request to `endpoint` and its Idempotency-Key (None: not keyed, nothing to replay)."""

    account_id: str
    key: str | None
    endpoint: str
    digest: str

    @classmethod
    def of(cls, account_id: str, key: str | None, endpoint: str, body: Any) -> KeyedRequest:
        return cls(account_id, validate_key(key), endpoint, request_hash(endpoint, body))

    def replay(self, session: Session) -> StoredResponse | None:
        return replay(session, self.account_id, self.key, self.endpoint, self.digest) if self.key else None

    def remember(self, session: Session, status_code: int, body: Any) -> None:
        if self.key:
            remember(session, self.account_id, self.key, self.endpoint, self.digest, status_code, body)
