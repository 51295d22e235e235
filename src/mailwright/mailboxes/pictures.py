"""Profile pictures: PNG or JPEG only, fully decoded to prove it, within size and dimension limits."""

from __future__ import annotations

import base64
import binascii
import io
import re
import time
from dataclasses import dataclass

import httpx
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


def fetch_picture(url: str, *, timeout: float) -> CheckedPicture:
    """GET the image at `url`, reading at most MAX_BYTES within `timeout` seconds overall."""
    deadline = time.monotonic() + timeout
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            with client.stream("GET", url, headers={"Accept": "image/png, image/jpeg"}) as response:
                if response.status_code != 200:
                    raise PictureRejected(f"The picture URL answered HTTP {response.status_code}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > MAX_BYTES:
                    raise PictureRejected("Image must be at most 5 MB")
                data = bytearray()
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > MAX_BYTES:
                        raise PictureRejected("Image must be at most 5 MB")
                    if time.monotonic() > deadline:
                        raise PictureRejected(f"The picture took longer than {timeout:g} s to fetch")
    except httpx.HTTPError as exc:
        raise PictureRejected(f"The picture could not be fetched: {type(exc).__name__}") from exc
    if not data:
        raise PictureRejected("The picture URL answered with an empty body")
    return check_picture(bytes(data))
