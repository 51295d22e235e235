"""Domain names and mailbox addresses: IDNA normalisation and the public suffix list.

tldextract runs on its bundled snapshot of the list; nothing is fetched.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import TYPE_CHECKING

import idna

if TYPE_CHECKING:
    import tldextract

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_LOCAL_PART = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$")
MAX_DOMAIN_LENGTH = 253
LOCAL_PART_RULE = (
    "Must be 1-64 letters, digits, dots, hyphens or underscores, starting and ending with a letter or digit, "
    "without two dots in a row"
)


_extractor_made = threading.Lock()
_made: list[tldextract.TLDExtract] = []


def _extractor() -> tldextract.TLDExtract:
    """Made on first use (a fifth of a command's start-up, and most commands never need it), once:
    tldextract builds its suffix trie on an extractor's first call without a lock, so request
    threads arriving together would each build it; here the first builds it and the others wait."""
    if not _made:
        with _extractor_made:
            if not _made:
                import tldextract

                extractor = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=False)
                extractor("example.com")  # builds the trie now, under the lock
                _made.append(extractor)
    return _made[0]


def normalize_domain(raw: object) -> str | None:
    """The registrable domain in ASCII lowercase (münchen.de -> xn--mnchen-3ya.de), or None
    when `raw` is not a name one can register: no public suffix, a bare suffix, a subdomain."""
    if not isinstance(raw, str):
        return None
    text = raw.strip().rstrip(".")
    if not text or len(text) > MAX_DOMAIN_LENGTH:
        return None
    return _normalized(text)


# A pure function of its text, and costly (IDNA and the suffix list take ~50 µs a name): an order
# names each domain again in every mailbox's address.
@lru_cache(maxsize=16384)
def _normalized(text: str) -> str | None:
    if any(c.isspace() for c in text):
        return None
    try:
        ascii_name = idna.encode(text, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError):
        return None
    if len(ascii_name) > MAX_DOMAIN_LENGTH or not all(_LABEL.match(label) for label in ascii_name.split(".")):
        return None
    parts = _extractor()(ascii_name)
    if not parts.suffix or not parts.domain or parts.subdomain:
        return None
    return ascii_name


@lru_cache(maxsize=16384)  # pricing asks it of every domain of an order, twice
def registrable_suffix(domain: str) -> str:
    return _extractor()(domain).suffix


# Addresses no longer than this are remembered: an order's plan splits each address more than once.
_REMEMBERED_EMAIL_LENGTH = 512


def split_email(raw: object) -> tuple[str, str] | None:
    """(local part, normalised domain) of a mailbox address Mailwright can create, or None.
    Local parts are ASCII letters, digits, dots, hyphens and underscores: every host accepts those."""
    if not isinstance(raw, str):
        return None
    return _split_email(raw) if len(raw) <= _REMEMBERED_EMAIL_LENGTH else _split_email.__wrapped__(raw)


@lru_cache(maxsize=16384)
def _split_email(raw: str) -> tuple[str, str] | None:
    if raw.count("@") != 1:
        return None
    local_part, _, domain_part = raw.strip().partition("@")
    local = normalize_local_part(local_part)
    if local is None:
        return None
    domain = normalize_domain(domain_part)
    return None if domain is None else (local, domain)


def normalize_local_part(raw: object) -> str | None:
    """The part before @ in lowercase, or None when it breaks LOCAL_PART_RULE."""
    if not isinstance(raw, str):
        return None
    local = raw.strip().lower()
    if not _LOCAL_PART.match(local) or ".." in local:
        return None
    return local


def to_unicode(domain: str) -> str:
    try:
        return idna.decode(domain)
    except (idna.IDNAError, UnicodeError):
        return domain
