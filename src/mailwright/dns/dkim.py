"""DKIM keys: 2048-bit RSA, private key as PEM, public key as the p= value of the TXT record."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_BITS = 2048


def generate_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_key_b64(private_key_pem: str) -> str:
    # Only keys this system generated (generate_private_key_pem) or stored come here: checking
    # the RSA key's consistency on load (cryptography's default) cost 55 ms of CPU per domain,
    # as much as generating it.
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None, unsafe_skip_rsa_key_validation=True)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def dkim_txt_value(private_key_pem: str) -> str:
    return f"v=DKIM1; k=rsa; p={public_key_b64(private_key_pem)}"
