"""Identifiers: 28 Crockford base32 digits, most significant first, ordered by creation time."""

from __future__ import annotations

import secrets
import time

from mailwright.ids import ID_LENGTH, encode_id, new_id

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def by_division(value: int) -> str:
    digits = []
    for _ in range(ID_LENGTH):
        value, digit = divmod(value, 32)
        digits.append(CROCKFORD[digit])
    return "".join(reversed(digits))


def test_an_id_is_its_value_in_crockford_base32() -> None:
    assert encode_id(0) == "0" * ID_LENGTH and encode_id(2**140 - 1) == "Z" * ID_LENGTH
    assert encode_id(31) == "0" * 27 + "Z" and encode_id(32) == "0" * 26 + "10"
    for value in [secrets.randbits(140) for _ in range(2000)]:
        assert encode_id(value) == by_division(value)


def test_ids_sort_by_the_millisecond_they_were_made_in() -> None:
    first = new_id()
    time.sleep(0.002)
    later = [new_id() for _ in range(100)]
    assert all(first < other for other in later) and len(set(later)) == 100
    assert all(len(i) == ID_LENGTH and set(i) <= set(CROCKFORD) for i in later)
