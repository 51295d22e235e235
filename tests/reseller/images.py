"""Small real images for picture tests, made with Pillow (the library the product decodes with)."""

from __future__ import annotations

import io

from PIL import Image


def png(size: int = 8, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), color).save(out, format="PNG")
    return out.getvalue()


def jpeg(size: int = 8) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), (30, 30, 200)).save(out, format="JPEG")
    return out.getvalue()
