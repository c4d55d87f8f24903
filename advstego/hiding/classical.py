"""The classical rival: compress the secret, embed its bytes with STC and adaptive costs.

hide:   secret -> JPEG/WebP bytes within payload·n/8 bytes (the best quality that fits)
        -> header (magic, version, codec, size, length, CRC32) + bytes -> bits
        -> ±1 syndrome-trellis embedding with S-UNIWARD / WOW / HILL costs, in a keyed order
reveal: keyed order -> the two layer lengths -> bits -> header checked -> decoded secret

The layer lengths and h travel in a small block of their own (72 bits, binary STC, the first
LENGTHS_ELEMENTS elements of the keyed order). A wrong key or a cover with no message fails
the header or CRC check: reveal says so in one line instead of returning noise.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from ..embedding.costs import cost_adjusted
from ..errors import InputError
from . import codec as codecs
from .base import DEFAULT_KEY, Hider, as_batch, check_pair, key_seed, unbatch
from .registry import HIDERS

COSTS = ("suniward", "wow", "hill")
HEADER = struct.Struct(">2sBBHHBxII")  # magic, version, codec, height, width, channels, length, crc
MAGIC, VERSION = b"AS", 1
LENGTHS_ELEMENTS, LENGTHS_H = 256, 7
CAPACITY = 1.58  # bits per element: log2(3), the most a ±1 change can carry
MAX_PAYLOAD = 1.2  # the double-layered ±1 code starts failing at about 1.3 bpp


def _costs(x: np.ndarray, cost: str) -> tuple[np.ndarray, np.ndarray]:
    """(ρ+1, ρ−1) of every element, channel by channel (embedding/costs.py)."""
    if x.ndim == 2:
        return cost_adjusted(x, cost)
    pairs = [cost_adjusted(np.ascontiguousarray(x[..., c]), cost) for c in range(x.shape[2])]
    return np.stack([p for p, _ in pairs], 2), np.stack([m for _, m in pairs], 2)


def _bits(data: bytes) -> np.ndarray:
    return np.unpackbits(np.frombuffer(data, np.uint8))


LENGTHS = struct.Struct(">IIB")  # layer-1 bits, layer-2 bits, constraint height h


def _lengths_bits(m1: int, m2: int, h: int) -> np.ndarray:
    return _bits(LENGTHS.pack(m1, m2, h))


@HIDERS.register("stc")
class StcHider(Hider):
    """the secret compressed (JPEG/WebP) and embedded by syndrome-trellis codes

    Secret compressed to `payload` bits per cover element (or at a fixed `quality`)."""
    options = {"cost": (str, "suniward", None, "STC: suniward | wow | hill costs"),
               "codec": (str, "jpeg", None, "STC: jpeg | webp (| avif)"),
               "payload": (float, 0.4, None, "STC: bits per cover pixel (per channel for RGB); "
                                             "the secret gets the best quality that fits"),
               "quality": (int, None, None, "STC: a fixed codec quality instead"),
               "key": (str, DEFAULT_KEY, None, "the shared key (STC; keyed hiding models)"),
               "stc_h": (int, 10, None, "STC: constraint height (7..12)")}

    @classmethod
    def from_options(cls, o, channels):
        return cls(o["cost"], o["codec"], o["payload"], o["quality"], o["key"], o["stc_h"],
                   channels)

    def __init__(self, cost: str = "suniward", codec: str = "jpeg", payload: float | None = 0.4,
                 quality: int | None = None, key: str = DEFAULT_KEY, h: int = 10,
                 channels: int = 1, adversary=None):
        if cost not in COSTS:
            raise InputError(f"--cost {cost!r}: known are {', '.join(COSTS)}")
        codecs._check(codec)
        if quality is None and not (payload and 0 < payload <= MAX_PAYLOAD):
            raise InputError(f"--payload {payload}: give bits per pixel in (0, {MAX_PAYLOAD}]")
        if not 7 <= h <= 12:
            raise InputError(f"--stc-h {h}: use 7..12")
        self.cost, self.codec, self.payload, self.quality = cost, codec, payload, quality
        self.key, self.h, self.adversary = key, h, adversary
        self.cover_channels = self.secret_channels = channels
        what = f"q{quality}" if quality is not None else f"{payload:g}"
        self.plain_name = f"stc-{cost}-{codec}-{what}"
        self.last: list[dict] = []  # per image: quality, bytes, size, changes, distortion

    @property
    def name(self) -> str:
        return self.plain_name + ("-adv" if self.adversary is not None else "")

    reveal_name = "stc"  # the codec and payload come from the message header
    takes_adversarial_costs = True  # adversary: attacks/adversarial_costs.Adversary
    any_secret_size = True  # the header holds the secret's size: a smaller one fits

    def _order(self, n: int) -> np.ndarray:
        """The keyed order in which the n cover elements are visited."""
        return np.random.default_rng(key_seed(self.key)).permutation(n)

    def describe(self):
        return {"name": self.name, "method": "stc", "cost": self.cost, "codec": self.codec,
                "payload_bpp": self.payload, "quality": self.quality, "h": self.h,
                "adversarial": self.adversary is not None}

    # ---- hide ----------------------------------------------------------------------
    def _message(self, secret: np.ndarray, n: int, shrink: float = 1.0) -> tuple[bytes, dict]:
        if self.quality is not None:
            data = codecs.encode(secret, self.codec, self.quality)
            q, size = self.quality, secret.shape[:2]
        else:
            budget = int(self.payload * shrink * n // 8) - HEADER.size
            if budget < 1:
                raise InputError(f"--payload {self.payload:g}: {int(self.payload * n // 8)} bytes "
                                 f"in this cover, not even the {HEADER.size}-byte header fits")
            data, q, size = codecs.compress(secret, self.codec, budget)
        chans = 1 if secret.ndim == 2 else secret.shape[2]
        head = HEADER.pack(MAGIC, VERSION, codecs.CODECS[self.codec][0], secret.shape[0],
                           secret.shape[1], chans, len(data), zlib.crc32(data))
        return head + data, {"quality": q, "bytes": len(data), "encoded_size": list(size)}

    def _hide_one(self, cover: np.ndarray, secret: np.ndarray) -> np.ndarray:
        n = cover.size
        if n < 8 * LENGTHS_ELEMENTS:
            raise InputError(f"cover of {n} elements is too small for STC (at least "
                             f"{8 * LENGTHS_ELEMENTS})")
        rp, rm = _costs(cover, self.cost)
        messages = {}  # the compressed secret of each attempt, made once

        def message(attempt):
            if attempt not in messages:
                messages[attempt] = self._message(secret, n, 0.85 ** attempt)
            return messages[attempt]

        tried = []  # (stego, info) of every embedding

        def embed(p, m):
            tried.append(self._embed(cover, p, m, message))
            return tried[-1][0]

        if self.adversary is None:
            out, info = embed(rp, rm), tried[0][1]
        else:
            out, adv = self.adversary.embed(rp, rm, embed, key_seed(self.key))
            info = {**next(i for y, i in tried if y is out), "adversarial": adv}
        self.last.append(info)
        return out

    def _embed(self, cover, rp, rm, message) -> tuple[np.ndarray, dict]:
        """The stego of one cover with these costs, and what it took."""
        from . import stc

        n = cover.size
        seed, order = key_seed(self.key), self._order(n)
        x = cover.reshape(-1).astype(np.int64)[order]
        rp, rm = rp.reshape(-1)[order], rm.reshape(-1)[order]
        r = LENGTHS_ELEMENTS
        for attempt in range(6):  # a cover with many wet pixels: a smaller secret file
            data, info = message(attempt)
            bits = _bits(data)
            try:
                if bits.size > CAPACITY * (n - r):
                    raise ValueError(f"{len(data)} bytes exceed the capacity")
                y, m1, m2, dist = stc.embed_ternary(x[r:], rp[r:], rm[r:], bits, self.h,
                                                    seed + 2)
                # the layer lengths and h: LSB plane of the reserved elements, cheaper direction
                head = x[:r]
                lsb, d1 = stc.embed_bits(head & 1, np.minimum(rp[:r], rm[:r]),
                                         _lengths_bits(m1, m2, self.h), LENGTHS_H, seed + 1)
                break
            except ValueError as exc:
                if self.quality is not None or attempt == 5:
                    raise InputError(f"STC embedding failed ({exc}): lower --payload or "
                                     "--quality") from None
        step = np.where(rp[:r] <= rm[:r], 1, -1)
        y_head = head + np.where(lsb != (head & 1), step, 0)
        out = np.empty(n, np.int64)
        out[order] = np.concatenate([y_head, y])
        out = out.reshape(cover.shape).astype(np.uint8)
        return out, {**info, "changes": int(np.sum(out != cover)), "distortion": dist + d1,
                     "message_bits": int(bits.size)}

    def hide(self, covers, secrets):
        cv, single = as_batch(covers, self.cover_channels, "cover")
        sc, _ = as_batch(secrets, self.secret_channels, "secret")
        check_pair(cv, sc, smaller_ok=True)
        self.last = []
        return unbatch(np.stack([self._hide_one(c, s) for c, s in zip(cv, sc)]), single)

    # ---- reveal --------------------------------------------------------------------
    def extract(self, stego: np.ndarray) -> tuple[bytes, tuple]:
        """(compressed secret, header fields) carried by one stego."""
        from . import stc

        none = InputError("no advstego message found in this image (wrong --key, or not a "
                          "--method stc stego)")
        n, r = stego.size, LENGTHS_ELEMENTS
        if n < 8 * r:
            raise none
        seed, order = key_seed(self.key), self._order(n)
        y = stego.reshape(-1).astype(np.int64)[order]
        lengths = np.packbits(stc.extract_bits((y[:r] & 1).astype(np.uint8), 8 * LENGTHS.size,
                                               LENGTHS_H, seed + 1)).tobytes()
        m1, m2, h = LENGTHS.unpack(lengths)
        if not (8 * HEADER.size <= m1 + m2 <= CAPACITY * (n - r) and 0 < m1 <= n - r
                and m2 <= n - r and (m1 + m2) % 8 == 0 and 7 <= h <= 12):
            raise none
        bits = stc.extract_ternary(y[r:], m1, m2, h, seed + 2)
        message = np.packbits(bits).tobytes()
        magic, version, codec_id, hgt, wid, chans, length, crc = HEADER.unpack(
            message[:HEADER.size])
        data = message[HEADER.size:]
        if magic != MAGIC or version != VERSION or length != len(data) or \
                zlib.crc32(data) != crc or codec_id not in codecs.NAMES:
            raise none
        return data, (hgt, wid, chans, codecs.NAMES[codec_id])

    def reveal(self, stegos):
        st, single = as_batch(stegos, self.cover_channels, "stego")
        out = []
        for s in st:
            data, (hgt, wid, chans, _) = self.extract(s)
            out.append(codecs.decompress(data, "L" if chans == 1 else "RGB", (hgt, wid)))
        return unbatch(np.stack(out), single)
