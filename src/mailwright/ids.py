"""Identifiers: 28 characters of Crockford base32, time-ordered, like the order ids of the reseller API."""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_LENGTH = 28


def new_id() -> str:
    # 48 bits of milliseconds, then 92 random bits: sortable by creation, unguessable.
    value = (int(time.time() * 1000) << 92) | secrets.randbits(92)
    chars = []
    for _ in range(ID_LENGTH):
        value, index = divmod(value, 32)
        chars.append(_ALPHABET[index])
    return "".join(reversed(chars))
