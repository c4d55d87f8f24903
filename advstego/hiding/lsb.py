"""k-bit LSB substitution: the textbook way to hide a whole image in an image.

hide:   stego = cover with its k low bits replaced by the secret's k high bits
reveal: secret = those k bits shifted back up, plus half a step

Unkeyed (keyed = False): anyone who reads the low bits reads the secret; the command line
says so when a key is given with it.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..options import Option
from .base import Hider, as_batch, check_pair, enlarge, unbatch
from .registry import HIDERS


def _check(bits: int):
    if not 1 <= bits <= 7:
        raise ValueError(f"LSB bits must be 1..7, not {bits}")


def lsb_hide(cover: np.ndarray, secret: np.ndarray, bits: int) -> np.ndarray:
    _check(bits)
    low = np.uint8((1 << bits) - 1)
    return (cover & ~low) | (secret >> np.uint8(8 - bits))


def lsb_reveal(stego: np.ndarray, bits: int) -> np.ndarray:
    _check(bits)
    low = np.uint8((1 << bits) - 1)
    half = np.uint8(1 << (7 - bits))
    return ((stego & low) << np.uint8(8 - bits)) | half


@HIDERS.register("lsb")
class LsbHider(Hider):
    """k-bit substitution of the secret's high bits (unkeyed: a key is ignored)"""
    options = {"bits": Option(int, 4, 1, "LSB: bits per pixel (1..7)", maximum=7)}

    @classmethod
    def from_options(cls, settings, channels):
        return cls(settings["bits"], channels)

    def __init__(self, bits: int, channels: int = 1):
        if not isinstance(bits, (int, np.integer)) or isinstance(bits, bool) or not 1 <= bits <= 7:
            raise InputError(f"--bits {bits!r}: LSB needs an integer 1..7")
        bits = int(bits)
        self.bits = bits
        self.cover_channels = self.secret_channels = channels
        self.name = f"lsb-{bits}"

    def hide(self, covers, secrets):
        cv, single = as_batch(covers, self.cover_channels, "cover")
        sc, _ = as_batch(secrets, self.secret_channels, "secret")
        check_pair(cv, sc)
        return unbatch(lsb_hide(cv, sc, self.bits), single)

    def reveal(self, stegos):
        st, single = as_batch(stegos, self.cover_channels, "stego")
        return unbatch(lsb_reveal(st, self.bits), single)

    def hide_small(self, covers, small, factor: int):
        """A secret pixel's bits spread over its f x f block of cover pixels, k bits a pixel:
        f*f*k bits a secret pixel (LSB-2 with f = 2 carries all 8, exactly)."""
        k, f = self.bits, factor
        parts = [(small.astype(np.int64) << (j * k)) & 0xFF for j in range(f * f)]
        virtual = enlarge(small, f).astype(np.int64)
        for j, p in enumerate(parts):  # block pixel (a, b) carries bit group j = a f + b
            a, b = divmod(j, f)
            virtual[:, a::f, b::f] = p
        return self.hide(covers, virtual.astype(np.uint8))

    def reveal_small(self, stegos, factor: int, size: int):
        k, f = self.bits, factor
        total = f * f * k
        bits = self.reveal(stegos).astype(np.int64) >> (8 - k)
        acc = np.zeros(bits[:, ::f, ::f].shape, np.int64)
        for j in range(f * f):
            a, b = divmod(j, f)
            acc = (acc << k) | bits[:, a::f, b::f]
        out = acc >> (total - 8) if total >= 8 else (acc << (8 - total)) | (1 << (7 - total))
        return out.astype(np.uint8)

    def describe(self):
        return {"name": self.name, "method": "lsb", "bits": self.bits}
