"""RFC 6238 one-time codes (30-second steps, 6 digits, SHA-1), as authenticator apps expect."""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

DIGITS = 6
STEP_SECONDS = 30


def new_seed() -> str:
    """A base32 seed (160 bits), the form authenticator apps import."""
    return base64.b32encode(secrets.token_bytes(20)).decode()


def code_at(seed: str, moment: dt.datetime) -> str:
    key = base64.b32decode(seed)
    return TOTP(key, DIGITS, SHA1(), STEP_SECONDS, enforce_key_length=False).generate(moment.timestamp()).decode()
