"""Generated mailbox passwords: the shape every mailbox host accepts, drawn evenly from the alphabet."""

from __future__ import annotations

import re
from collections import Counter

from mailwright.crypto import PASSWORD_ALPHABET, new_password

SHAPE = re.compile(rf"[{PASSWORD_ALPHABET}]{{8}}-[{PASSWORD_ALPHABET}]{{8}}#[1-9][0-9]")


def test_passwords_have_the_hosts_shape_and_never_repeat() -> None:
    passwords = [new_password() for _ in range(3000)]
    assert all(SHAPE.fullmatch(p) for p in passwords), [p for p in passwords if not SHAPE.fullmatch(p)][:3]
    assert len(set(passwords)) == len(passwords)


def test_every_character_of_the_alphabet_is_about_equally_likely() -> None:
    counts = Counter(c for _ in range(3000) for c in new_password()[:17].replace("-", ""))
    assert set(counts) == set(PASSWORD_ALPHABET)
    expected = 3000 * 16 / len(PASSWORD_ALPHABET)  # ~842 each
    # An even draw spreads the counts by ~130 (max - min of 57 counts, each with a standard
    # deviation of ~29); a modulo bias (bytes 228-255 folded onto the first 28 characters) would
    # give those characters 25% more than the rest: a spread of ~290.
    assert max(counts.values()) - min(counts.values()) < 0.25 * expected
