"""Secrets at rest: mailbox passwords and one-time-code seeds encrypted, API keys only hashed."""

from __future__ import annotations

import base64
import hashlib

import sqlalchemy as sa

from mailwright.accounts.models import ApiKey
from mailwright.mailboxes.models import Mailbox


def test_mailbox_password_and_seed_are_encrypted(shop, runtime):
    email = f"m0@{shop.domain}"
    password = shop.api.get(f"/rest/v2/domains/{shop.domain}/mailboxes/{email}").json()["smtp_password"]
    assert password
    with runtime.db.read() as session:
        row = session.execute(sa.select(Mailbox.__table__).where(Mailbox.email_claim == email)).mappings().one()
    stored = " ".join(str(v) for v in row.values())
    seed = runtime.secrets.decrypt(row["totp_secret_enc"])
    assert len(base64.b32decode(seed)) == 20  # a 160-bit RFC 6238 seed
    assert password not in stored and seed not in stored
    assert runtime.secrets.decrypt(row["password_enc"]) == password


def test_api_keys_are_stored_only_as_hashes(account, runtime):
    with runtime.db.read() as session:
        rows = session.execute(sa.select(ApiKey.__table__).where(ApiKey.account_id == account.id)).mappings().all()
    assert len(rows) == 1
    assert rows[0]["key_hash"] == hashlib.sha256(account.api_key.encode()).hexdigest()
    assert rows[0]["prefix"] == account.api_key[:10]
    assert account.api_key not in " ".join(str(v) for v in rows[0].values())
