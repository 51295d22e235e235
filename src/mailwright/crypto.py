"""Secrets at rest: mailbox passwords and one-time-code seeds are Fernet-encrypted.

MAILWRIGHT_SECRET_KEY holds one or more keys, comma-separated, newest first (old ones still
decrypt, so keys can be rotated). Each is a Fernet key or any passphrase of 32+ characters.
When it is unset, the data directory keeps a generated key, readable by its owner only.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets as _random  # the standard library module
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from mailwright.private_files import create_private_file, private_directory

KEY_FILE_NAME = "secret.key"


class SecretKeyError(ValueError):
    pass


class SecretBox:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise SecretKeyError("no secret key configured")
        fernets = [Fernet(_as_fernet_key(k)) for k in keys]
        self._newest = fernets[0]
        self._fernet = MultiFernet(fernets)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretKeyError("cannot decrypt: MAILWRIGHT_SECRET_KEY does not match the data") from exc

    def rotated(self, token: str) -> str | None:
        """`token` re-encrypted with the newest key, or None when the newest key wrote it already."""
        try:
            self._newest.decrypt(token.encode())
            return None
        except InvalidToken:
            pass
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretKeyError("cannot decrypt: MAILWRIGHT_SECRET_KEY does not match the data") from exc


def configured_keys(configured: str) -> list[str]:
    """MAILWRIGHT_SECRET_KEY's keys, newest first."""
    return [k.strip() for k in configured.split(",") if k.strip()]


def load_secret_box(configured: str, data_dir: Path) -> SecretBox:
    """The configured keys, or the data directory's key file (never created here: see key_check)."""
    keys = configured_keys(configured)
    if not keys:
        path = data_dir / KEY_FILE_NAME
        key = read_key_file(path)
        if key is None:
            raise SecretKeyError(f"MAILWRIGHT_SECRET_KEY is unset and {path} does not exist; run `mailwright serve` once")
        keys = [key]
    return SecretBox(keys)


def read_key_file(path: Path) -> str | None:
    return path.read_text().strip() if path.exists() else None


def create_key_file(path: Path) -> tuple[str, bool]:
    """The key in `path`, generated now if the file is missing; True when this call created it.
    The file appears whole (linked into place), so a process starting beside this one with the
    same data directory reads the same key, never half of it."""
    private_directory(path.parent)
    key = Fernet.generate_key().decode()
    draft = path.with_name(f".{path.name}.{_random.token_hex(8)}")
    create_private_file(draft, key + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:
        return path.read_text().strip(), False
    finally:
        draft.unlink()
    return key, True


def _as_fernet_key(key: str) -> bytes:
    try:
        if len(base64.urlsafe_b64decode(key.encode())) == 32:
            return key.encode()
    except (ValueError, TypeError):
        pass
    if len(key) < 32:
        raise SecretKeyError("a secret key must be a Fernet key or a passphrase of at least 32 characters")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"mailwright", info=b"secrets-at-rest").derive(
        key.encode()
    )
    return base64.urlsafe_b64encode(derived)


def new_api_key() -> str:
    return "mw_" + _random.token_urlsafe(32)


def hash_api_key(api_key: str) -> str:
    # Keys carry 256 random bits, so a plain SHA-256 cannot be reversed or guessed.
    return hashlib.sha256(api_key.encode()).hexdigest()


PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
# The largest multiple of the alphabet's size a byte can hold: bytes at or above it are dropped,
# so every character is equally likely.
_UNBIASED_BYTES = 256 - 256 % len(PASSWORD_ALPHABET)


def new_password() -> str:
    """A mailbox password that satisfies every host's complexity rules: 16 characters of
    PASSWORD_ALPHABET (one read of the system's random bytes, not one per character: an order
    of 1,000 domains makes 3,000) and two digits."""
    body = ""
    while len(body) < 16:
        body += "".join(PASSWORD_ALPHABET[b % len(PASSWORD_ALPHABET)] for b in os.urandom(24) if b < _UNBIASED_BYTES)
    return f"{body[:8]}-{body[8:16]}#{_random.randbelow(90) + 10}"
