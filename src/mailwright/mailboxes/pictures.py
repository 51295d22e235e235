"""Profile pictures: PNG or JPEG only, fully decoded to prove it, within size and dimension limits."""

from __future__ import annotations

import base64
import binascii
import io
import re
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 4096
_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
_DATA_URL = re.compile(r"^data:image/[a-z+.-]+;base64,", re.I)


class PictureRejected(ValueError):
    pass


@dataclass(frozen=True)
class CheckedPicture:
    data: bytes
    content_type: str
    width: int
    height: int


def decode_base64(text: str) -> bytes:
    """Base64 (standard alphabet, whitespace ignored); a data: URL prefix is tolerated."""
    cleaned = re.sub(r"\s+", "", _DATA_URL.sub("", text.strip(), count=1))
    if len(cleaned) > (MAX_BYTES * 4) // 3 + 4:
        raise PictureRejected("Image must be at most 5 MB")
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PictureRejected("Must be a base64-encoded PNG or JPEG image") from exc


def check_picture(data: bytes) -> CheckedPicture:
    if not data:
        raise PictureRejected("Must be a base64-encoded PNG or JPEG image")
    if len(data) > MAX_BYTES:
        raise PictureRejected("Image must be at most 5 MB")
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = image.format, image.size
            if kind not in _FORMATS:
                raise PictureRejected("Image must be a PNG or JPEG")
            if width > MAX_SIDE or height > MAX_SIDE:
                raise PictureRejected(f"Image must be at most {MAX_SIDE}x{MAX_SIDE} pixels")
            image.load()  # decodes every pixel: a truncated or corrupt file fails here
    except PictureRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise PictureRejected("Must be a valid PNG or JPEG image") from exc
    return CheckedPicture(data, _FORMATS[kind], width, height)
