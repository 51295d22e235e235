"""Identifiers: 28 characters of Crockford base32, time-ordered, like the order ids of the reseller API."""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_LENGTH = 28
# Every pair of digits, by the 10 bits it stands for: an id is 14 lookups, not 28 divisions.
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]
_PAIR_SHIFTS = range(5 * ID_LENGTH - 10, -1, -10)


def new_id() -> str:
    # 48 bits of milliseconds, then 92 random bits: sortable by creation, unguessable.
    return encode_id((int(time.time() * 1000) << 92) | secrets.randbits(92))


def encode_id(value: int) -> str:
    """A 140-bit value as ID_LENGTH base32 digits, most significant first."""
    return "".join([_PAIRS[(value >> shift) & 1023] for shift in _PAIR_SHIFTS])
