"""A smaller secret in the same cover: less payload, more room to hide (the experiment's
`secret_size`, a point each on the security-capacity frontier).

The secret is shrunk to size x size (the mean of f x f pixels, f = cover side / size), so
each secret pixel owns an f x f block of cover pixels:
- LSB-k spreads the pixel's bits over its block, k a cover pixel: f*f*k bits a secret pixel
  (LSB-2 with f = 2 carries all 8, exactly);
- a hider that takes a secret of any size (STC: the codec's bytes) gets the small secret;
- a network gets it enlarged back (each pixel repeated over its block) and its revealed
  image is shrunk again (the mean of the block).
The receiver's image is the small secret; `secret_view` is what it is compared with.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .base import Hider, as_batch, unbatch
from .lsb import LsbHider


def shrink(images: np.ndarray, size: int) -> np.ndarray:
    """(N, H, W[, C]) uint8 -> (N, size, size[, C]): the rounded mean of each f x f block."""
    n, h, w = images.shape[:3]
    if h != w or h % size:
        raise InputError(f"secret_size {size}: the images ({w}x{h}) must be square and a "
                         "multiple of it")
    f = h // size
    x = images.reshape(n, size, f, size, f, *images.shape[3:]).astype(np.float64)
    return np.clip(np.rint(x.mean((2, 4))), 0, 255).astype(np.uint8)


def enlarge(images: np.ndarray, f: int) -> np.ndarray:
    return np.repeat(np.repeat(images, f, 1), f, 2)


class SmallSecret(Hider):
    def __init__(self, inner: Hider, size: int):
        if size < 1:
            raise InputError(f"secret_size {size}: give a positive side in pixels")
        self.inner, self.size = inner, size
        self.cover_channels, self.secret_channels = inner.cover_channels, inner.secret_channels
        self.name = f"{inner.name}-secret{size}"

    def describe(self):
        return {**self.inner.describe(), "secret_size": self.size}

    def secret_view(self, secrets):
        """What the receiver should get: the secret shrunk to size x size."""
        sc, single = as_batch(secrets, self.secret_channels, "secret")
        return unbatch(shrink(sc, self.size), single)

    def _factor(self, images) -> int:
        side = images.shape[1]
        if side % self.size or side < self.size:
            raise InputError(f"secret_size {self.size}: the cover side {side} is not a "
                             "multiple of it")
        return side // self.size

    def hide(self, covers, secrets):
        cv, single = as_batch(covers, self.cover_channels, "cover")
        sc, _ = as_batch(secrets, self.secret_channels, "secret")
        f, small = self._factor(cv), shrink(sc, self.size)
        if isinstance(self.inner, LsbHider):
            k = self.inner.bits
            parts = [(small.astype(np.int64) << (j * k)) & 0xFF for j in range(f * f)]
            virtual = enlarge(small, f).astype(np.int64)
            for j, p in enumerate(parts):  # block pixel (a, b) carries bit group j = a f + b
                a, b = divmod(j, f)
                virtual[:, a::f, b::f] = p
            out = self.inner.hide(cv, virtual.astype(np.uint8))
        elif self.inner.any_secret_size:
            out = self.inner.hide(cv, small)
        else:
            out = self.inner.hide(cv, enlarge(small, f))
        return unbatch(out, single)

    def reveal(self, stegos):
        st, single = as_batch(stegos, self.cover_channels, "stego")
        f = self._factor(st)
        if isinstance(self.inner, LsbHider):
            k, total = self.inner.bits, f * f * self.inner.bits
            bits = self.inner.reveal(st).astype(np.int64) >> (8 - k)
            acc = np.zeros(bits[:, ::f, ::f].shape, np.int64)
            for j in range(f * f):
                a, b = divmod(j, f)
                acc = (acc << k) | bits[:, a::f, b::f]
            out = acc >> (total - 8) if total >= 8 else (acc << (8 - total)) | (1 << (7 - total))
            return unbatch(out.astype(np.uint8), single)
        revealed = self.inner.reveal(st)
        if revealed.shape[1] != self.size:
            revealed = shrink(revealed, self.size)
        return unbatch(revealed, single)
