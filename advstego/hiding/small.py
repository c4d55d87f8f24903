"""A smaller secret in the same cover: less payload, more room to hide (the experiment's
`secret_size`, a point each on the security-capacity frontier).

The secret is shrunk to size x size (the mean of f x f pixels, f = cover side / size), so
each secret pixel owns an f x f block of cover pixels. The inner hider packs it
(Hider.hide_small / reveal_small): a hider that takes a secret of any size (STC: the codec's
bytes) gets the small secret; a network gets it enlarged back (each pixel repeated over its
block) and its revealed image is shrunk again (the mean of the block); LSB-k spreads the
pixel's bits over its block (f*f*k bits a secret pixel: LSB-2 with f = 2 carries all 8).
The receiver's image is the small secret; `secret_view` is what it is compared with.
"""

from __future__ import annotations

from ..errors import InputError
from .base import Hider, as_batch, enlarge, shrink, unbatch

__all__ = ["SmallSecret", "shrink", "enlarge"]


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
        return unbatch(self.inner.hide_small(cv, small, f), single)

    def reveal(self, stegos):
        st, single = as_batch(stegos, self.cover_channels, "stego")
        return unbatch(self.inner.reveal_small(st, self._factor(st), self.size), single)
