"""Profile pictures: PNG or JPEG only, fully decoded to prove it, within size and dimension
limits, and within the process's decoding budget (a 5 MB file can decode to 64 MB)."""

from __future__ import annotations

import base64
import binascii
import collections
import contextlib
import io
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailwright.net import outbound

if TYPE_CHECKING:
    from PIL import Image

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 4096
MIB = 1024 * 1024
# A picture URL may redirect this often (each hop checked like the first); more is refused.
MAX_REDIRECTS = 3
_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
_DATA_URL = re.compile(r"^data:image/[a-z+.-]+;base64,", re.I)
# Bytes per pixel in Pillow's memory: one for 1/L/P, two for 16-bit grey, four for the rest
# (RGB is kept as four bytes a pixel; 16-bit colour PNGs decode to RGB or RGBA).
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}


class PictureRejected(ValueError):
    pass


class DecodeBudget:
    """Bytes that pictures being decoded may hold at once, process-wide. A decode reserves its
    decoded size first and waits, in arrival order (a large picture is not starved by small
    ones), until it fits; one larger than the whole budget is refused. `high_water` is the
    most ever reserved at once."""

    def __init__(self, capacity_bytes: int) -> None:
        self.capacity = capacity_bytes
        self.high_water = 0
        self._in_use = 0
        self._queue: collections.deque[object] = collections.deque()
        self._changed = threading.Condition()

    @contextlib.contextmanager
    def reserve(self, size: int, what: str) -> Iterator[None]:
        if size > self.capacity:
            raise PictureRejected(
                f"Image is too large to decode here: {what} takes {_mib(size)} MB decoded, "
                f"more than the {_mib(self.capacity)} MB this server decodes at once"
            )
        ticket = object()
        with self._changed:
            self._queue.append(ticket)
            self._changed.wait_for(lambda: self._queue[0] is ticket and self._in_use + size <= self.capacity)
            self._queue.popleft()
            self._in_use += size
            self.high_water = max(self.high_water, self._in_use)
            self._changed.notify_all()  # the next in line may fit as well
        try:
            yield
        finally:
            with self._changed:
                self._in_use -= size
                self._changed.notify_all()


def _mib(size: int) -> str:
    return f"{size / MIB:.0f}" if size >= MIB else f"{size / MIB:.1f}"


def decoded_size(image: Image.Image) -> int:
    """What decoding `image` holds in memory: its pixels, and for a progressive JPEG also the
    coefficients libjpeg keeps for the whole image (two bytes per sample)."""
    width, height = image.size
    size = width * height * _BYTES_PER_PIXEL.get(image.mode, 4)
    if image.format == "JPEG" and image.info.get("progressive"):
        size += width * height * len(image.getbands()) * 2
    return size


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


def check_picture(data: bytes, budget: DecodeBudget) -> CheckedPicture:
    """Blocks while the budget is spent: call it from a worker thread, never the event loop."""
    from PIL import Image, UnidentifiedImageError  # here: Pillow takes a tenth of a second to load, at every start

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
            with budget.reserve(decoded_size(image), f"a {width}x{height} {image.mode} image"):
                try:
                    image.load()  # decodes every pixel: a truncated or corrupt file fails here
                finally:
                    image.close()  # frees the pixels before the budget is given back
    except PictureRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise PictureRejected("Must be a valid PNG or JPEG image") from exc
    return CheckedPicture(data, _FORMATS[kind], width, height)


def url_schemes(policy: outbound.OutboundPolicy) -> tuple[str, ...]:
    """https; plain http too where private addresses are allowed (closed networks seldom have certificates)."""
    return ("http", "https") if policy.allow_private else ("https",)


def check_picture_url(url: str, policy: outbound.OutboundPolicy) -> None:
    """The early check of a picture URL (at request time); PictureRejected says why not."""
    try:
        outbound.check_url(url, policy, schemes=url_schemes(policy))
    except outbound.OutboundRefused as exc:
        raise PictureRejected(str(exc)) from exc


def fetch_picture(url: str, *, policy: outbound.OutboundPolicy, timeout: float, budget: DecodeBudget) -> CheckedPicture:
    """GET the image at `url` through the outbound guard: at most MAX_BYTES within `timeout`
    seconds overall, following up to MAX_REDIRECTS redirects that stay within the rules."""
    try:
        answer = outbound.request(
            "GET",
            url,
            policy=policy,
            timeout=timeout,
            max_bytes=MAX_BYTES,
            schemes=url_schemes(policy),
            redirects=MAX_REDIRECTS,
            headers={"accept": "image/png, image/jpeg"},
        )
    except outbound.OutboundError as exc:
        raise PictureRejected(f"The picture could not be fetched: {exc}") from exc
    if answer.location is not None:
        raise PictureRejected(f"The picture URL redirected more than {MAX_REDIRECTS} times")
    if answer.status_code != 200:
        raise PictureRejected(f"The picture URL answered HTTP {answer.status_code}")
    if answer.truncated:
        raise PictureRejected("Image must be at most 5 MB")
    if not answer.body:
        raise PictureRejected("The picture URL answered with an empty body")
    return check_picture(answer.body, budget)
