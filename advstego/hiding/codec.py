"""Compress a secret image to a byte budget with Pillow's codecs (JPEG, WebP; AVIF if built in).

`compress` finds the best quality that fits the budget (binary search); when even the lowest
quality does not fit, the secret is halved in size (the receiver scales it back up).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, features

from ..errors import InputError

# codec name -> (id in the message header, Pillow format, lowest and highest quality)
CODECS = {"jpeg": (1, "JPEG", 1, 95), "webp": (2, "WEBP", 0, 100)}
if features.check("avif"):
    CODECS["avif"] = (3, "AVIF", 0, 100)
NAMES = {v[0]: k for k, v in CODECS.items()}
MIN_SIDE = 8


def _encode(img: Image.Image, codec: str, quality: int) -> bytes:
    _, fmt, _, _ = CODECS[codec]
    buf = io.BytesIO()
    kw = {"optimize": True} if fmt == "JPEG" else {"method": 6} if fmt == "WEBP" else {}
    img.save(buf, format=fmt, quality=quality, **kw)
    return buf.getvalue()


def encode(secret: np.ndarray, codec: str, quality: int) -> bytes:
    """The secret at one quality, full size."""
    _check(codec)
    return _encode(Image.fromarray(secret), codec, quality)


def compress(secret: np.ndarray, codec: str, budget: int) -> tuple[bytes, int, tuple]:
    """(data, quality, (height, width) encoded) of the best quality within `budget` bytes."""
    _check(codec)
    _, _, qmin, qmax = CODECS[codec]
    img = Image.fromarray(secret)
    while True:
        lo, hi, best = qmin, qmax, None
        while lo <= hi:  # size grows with quality: find the highest that fits
            q = (lo + hi) // 2
            data = _encode(img, codec, q)
            if len(data) <= budget:
                best, lo = (data, q), q + 1
            else:
                hi = q - 1
        if best:
            return best[0], best[1], (img.height, img.width)
        if min(img.size) // 2 < MIN_SIDE:
            raise InputError(f"the secret does not fit in {budget} bytes with {codec} even at "
                             f"{img.width}x{img.height} and the lowest quality: raise --payload")
        img = img.resize((img.width // 2, img.height // 2), Image.Resampling.LANCZOS)


def decompress(data: bytes, mode: str, size: tuple[int, int]) -> np.ndarray:
    """Decode to 'L' or 'RGB' at size (height, width), scaling up a halved secret."""
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a bad message
        raise InputError(f"the extracted secret does not decode ({exc})") from None
    img = img.convert(mode)
    if (img.height, img.width) != tuple(size):
        img = img.resize((size[1], size[0]), Image.Resampling.LANCZOS)
    return np.asarray(img, dtype=np.uint8)


def _check(codec):
    if codec not in CODECS:
        raise InputError(f"codec {codec!r}: known are {', '.join(CODECS)}")
