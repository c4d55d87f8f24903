"""The classical rival: compress the secret, embed its bytes with STC and adaptive costs.

hide:   secret -> AVIF/JPEG XL/JPEG/WebP bytes within payload·n/8 bytes (the codec, size and
        quality that decode best; hiding/codec.py) or a file's bytes
        -> a message sealed with the key (AES-GCM; hiding/message.py) -> bits
        -> ±1 syndrome-trellis embedding with S-UNIWARD / WOW / HILL costs, in a keyed order
reveal: keyed order -> the two layer lengths -> bits -> message opened -> decoded secret

Everything the key decides (the order, the codes' seeds, the message's AES key) comes from one
scrypt of it (base.master_key, format 3): a guessed key cannot be checked against the head
without that scrypt. Stegos of formats 1-2 took order and seeds from a plain hash of the key
(base.key_seed); reveal tries format 3 first, then that one.

The layer lengths and h travel in a small block of their own (72 bits, binary STC, the first
LENGTHS_ELEMENTS elements of the keyed order). A wrong key or a cover with no message fails
the message's tag (version 1: its CRC): reveal says so in one line, never noise.
"""

from __future__ import annotations

import hashlib
import struct
from functools import cached_property

import numpy as np

from ..embedding.costs import COSTS, cost_adjusted
from ..errors import InputError
from ..options import Option, text
from . import codec as codecs
from . import message as msg
from .base import (DEFAULT_KEY, KEY_HELP, Hider, as_batch, check_key, derived_seed, key_seed,
                   master_key, unbatch)
from .job import Embedded, EmbeddingJob
from .registry import HIDERS

LENGTHS_ELEMENTS, LENGTHS_H = 256, 7
CAPACITY = 1.58  # bits per element: log2(3), the most a ±1 change can carry
MAX_PAYLOAD = 1.2  # the double-layered ±1 code starts failing at about 1.3 bpp


def _costs(x: np.ndarray, cost: str) -> tuple[np.ndarray, np.ndarray]:
    """(ρ+1, ρ−1) of every element, channel by channel (embedding/costs.py)."""
    if x.ndim == 2:
        return cost_adjusted(x, cost)
    from ..progress import progress
    from .stc import PROGRESS_FROM

    channels = progress(range(x.shape[2]), desc="cost map", unit="channel",
                        disable=True if x.size < PROGRESS_FROM else None)
    pairs = [cost_adjusted(np.ascontiguousarray(x[..., c]), cost) for c in channels]
    return np.stack([p for p, _ in pairs], 2), np.stack([m for _, m in pairs], 2)


def _bits(data: bytes) -> np.ndarray:
    return np.unpackbits(np.frombuffer(data, np.uint8))


LENGTHS = struct.Struct(">IIB")  # layer-1 bits, layer-2 bits, constraint height h
# a stego in two parts (ADV-EMB as published): a mark, sigma in tenths, each part's layer
# bits (common group, then adjustable group), h; read when the one-part head holds nothing
TWO_PARTS, TWO_MARK = struct.Struct(">BBIIIIB"), 0xA2


def _lengths_bits(m1: int, m2: int, h: int) -> np.ndarray:
    return _bits(LENGTHS.pack(m1, m2, h))


def _head(x, rp, rm, head_bits, seed: int,
          r: int = LENGTHS_ELEMENTS) -> tuple[np.ndarray, float]:
    """The reserved elements (keyed order) carrying a head (the layer lengths and h) in their
    LSB plane, each flip in its cheaper direction; (their values, distortion)."""
    from . import stc

    head = x[:r]
    lsb, d = stc.embed_bits(head & 1, np.minimum(rp[:r], rm[:r]), head_bits, LENGTHS_H, seed + 1)
    return head + np.where(lsb != (head & 1), np.where(rp[:r] <= rm[:r], 1, -1), 0), d


def _unorder(parts, order, shape, dtype=np.uint8) -> np.ndarray:
    """The image (or coefficients: dtype) whose elements in keyed order are the parts."""
    out = np.empty(len(order), np.int64)
    out[order] = np.concatenate(parts)
    return out.reshape(shape).astype(dtype)


_COMPRESSED: dict = {}  # (secret digest, codec, quality, budget) -> (data, info): a game
# embeds the same secrets round after round; the sealing (with the hider's key) is redone


def _compressed(secret: np.ndarray, codec: str, quality, budget) -> tuple[bytes, dict]:
    """The secret's encoding at a quality, or the best within `budget` bytes, and its info."""
    key = (hashlib.sha1(np.ascontiguousarray(secret)).hexdigest(), secret.shape, codec, quality,
           budget)
    if key in _COMPRESSED:
        return _COMPRESSED[key]
    mode, p = "L" if secret.ndim == 2 else "RGB", None
    if quality is not None:
        data, q, size = codecs.encode(secret, codec, quality), quality, secret.shape[:2]
    elif codec == codecs.AUTO:
        data, got = codecs.best(secret, budget)
        codec, q, size, p = got["codec"], got["quality"], got["encoded_size"], got["psnr"]
    else:
        data, q, size = codecs.compress(secret, codec, budget)
    if p is None:
        p = codecs.psnr(secret, codecs.decompress(data, mode, secret.shape[:2], codec))
    info = {"kind": "image", "codec": codec, "quality": q, "bytes": len(data),
            "encoded_size": list(size), "secret_psnr": p}
    if len(_COMPRESSED) >= 4096:
        _COMPRESSED.pop(next(iter(_COMPRESSED)))  # the oldest first
    _COMPRESSED[key] = (data, info)
    return data, info


def forget_compressed():
    """Empty the kept encodings (a benchmark that times the codec's search)."""
    _COMPRESSED.clear()


@HIDERS.register("stc")
class StcHider(Hider):
    """the secret compressed (AVIF/JPEG XL/JPEG/WebP) and embedded by syndrome-trellis codes

    Secret compressed to `payload` bits per cover element (or at a fixed `quality`)."""
    options = {"cost": Option(str, "suniward", None, "STC: the costs", tuple(COSTS)),
               "codec": Option(str, codecs.AUTO, None, "STC: the secret's codec: auto (the one "
                               f"that decodes best within the payload) | "
                               f"{' | '.join(codecs.CODECS)}", codecs.choices()),
               "payload": Option(float, 0.4, 0, "STC: bits per cover pixel (per channel for "
                                 "RGB); the secret gets the best quality that fits", above=True,
                                 maximum=MAX_PAYLOAD),
               "quality": Option(int, None, 0, "STC: a fixed quality of --codec instead "
                                 "(jpeg 1..95, the others 0..100)", maximum=100),
               "key": Option(text, DEFAULT_KEY, None, KEY_HELP),
               "stc_h": Option(int, 10, 7, "STC: constraint height (7..12)", maximum=12)}

    @classmethod
    def from_options(cls, o, channels, secret_channels=None, adversary=None):
        return cls(o["cost"], o["codec"], o["payload"], o["quality"], o["key"], o["stc_h"],
                   channels, adversary, secret_channels)

    def __init__(self, cost: str = "suniward", codec: str = codecs.AUTO, payload: float | None = 0.4,
                 quality: int | None = None, key: str = DEFAULT_KEY, h: int = 10,
                 channels: int = 1, adversary=None, secret_channels: int | None = None):
        if cost not in COSTS:
            raise InputError(f"--cost {cost!r}: known are {', '.join(COSTS)}")
        if quality is not None and codec == codecs.AUTO:
            raise InputError(f"--quality {quality}: name its codec (--codec "
                             f"{' | '.join(codecs.CODECS)}); auto chooses the quality itself")
        if codec != codecs.AUTO:
            codecs._check(codec)
        if quality is not None:
            _, _, lo, hi = codecs.CODECS[codec]
            if not lo <= quality <= hi:
                raise InputError(f"--quality {quality}: {codec} takes {lo}..{hi}")
        if quality is None and not (payload and 0 < payload <= MAX_PAYLOAD):
            raise InputError(f"--payload {payload}: give bits per pixel in (0, {MAX_PAYLOAD}]")
        if not 7 <= h <= 12:
            raise InputError(f"--stc-h {h}: use 7..12")
        self.cost, self.codec, self.payload, self.quality = cost, codec, payload, quality
        self.key, self.h, self.adversary = check_key(key), h, adversary
        self.cover_channels, self.secret_channels = channels, secret_channels or channels
        what = f"q{quality}" if quality is not None else f"{payload:g}"
        self.plain_name = f"stc-{cost}-{codec}-{what}"

    @property
    def name(self) -> str:
        return self.plain_name + ("-adv" if self.adversary is not None else "")

    reveal_name = "stc"  # the codec and payload come from the message header
    formats = ((False, (3,)), (True, (1, 2)))  # reveal tries format 3, then 1-2 (legacy seeds)
    takes_adversarial_costs = True  # adversary.stego(StcJob): attacks/adversary.py
    any_secret_size = True  # the header holds the secret's size: a smaller one fits
    keyed = True
    sealed = True  # reveal_payload: a sealed image or file, recognised by its tag

    def _seed(self, legacy: bool = False) -> int:
        """The seed of the codes (+1 head, +2 and +3 the layers): from the master secret, or
        (legacy: formats 1-2) from the plain hash of the key."""
        return key_seed(self.key) if legacy else derived_seed(master_key(self.key), "stc")

    def _order(self, n: int, legacy: bool = False) -> np.ndarray:
        """The keyed order in which the n cover elements are visited."""
        seed = key_seed(self.key) if legacy else derived_seed(master_key(self.key), "order")
        return np.random.default_rng(seed).permutation(n)

    def describe(self):
        return {"name": self.name, "method": "stc", "cost": self.cost, "codec": self.codec,
                "payload_bpp": self.payload, "quality": self.quality, "h": self.h,
                "adversarial": self.adversary is not None}

    # ---- hide ----------------------------------------------------------------------
    def head_elements(self, n: int) -> int:
        """How many elements (the first in keyed order, of n) carry the head."""
        return LENGTHS_ELEMENTS

    def budget(self, n: int, name: str = "", shrink: float = 1.0) -> int:
        """Bytes of secret data that fit in a cover of n elements at this payload."""
        return int(self.payload * shrink * n // 8) - msg.OVERHEAD - len(name.encode())

    def _message(self, secret, n: int, shrink: float = 1.0) -> tuple[bytes, dict]:
        if isinstance(secret, msg.Payload):  # a file: its bytes as they are
            info = {"kind": "file", "name": secret.name, "bytes": len(secret.data)}
            return msg.seal(secret, self.key), info
        budget = None
        if self.quality is None:
            budget = self.budget(n, shrink=shrink)
            if budget < 1:
                raise InputError(f"--payload {self.payload:g}: {int(self.payload * n // 8)} bytes "
                                 f"in this cover, not even the {msg.OVERHEAD}-byte header fits")
        data, info = _compressed(secret, self.codec, self.quality, budget)
        chans = 1 if secret.ndim == 2 else secret.shape[2]
        sealed = msg.seal(msg.Payload(data, msg.IMAGE, codecs.CODECS[info["codec"]][0],
                                      secret.shape[0], secret.shape[1], chans), self.key)
        return sealed, dict(info)

    def _hide_one(self, cover: np.ndarray, secret: np.ndarray) -> tuple[np.ndarray, dict]:
        job = StcJob(self, cover, secret)
        stego, info = job.plain, dict(job.plain.info)
        if self.adversary is not None:  # a member of attacks/registry.ADVERSARIES
            stego, adv = self.adversary.stego(job)
            info = {**stego.info, "adversarial": adv.to_dict()}
        n = cover.size
        if self.payload is None:  # a fixed quality and no payload: the share of the most
            info["capacity_used"] = info["message_bits"] / (CAPACITY * (n - LENGTHS_ELEMENTS))
        else:  # a file too: the share of the payload's bits (what `capacity` counts)
            info["capacity_used"] = info["message_bits"] / (self.payload * n)
        return stego.image, info

    def _embed(self, cover, rp, rm, message) -> tuple[np.ndarray, dict]:
        """The stego of one cover with these costs, and what it took."""
        from . import stc

        n = cover.size
        seed, order = self._seed(), self._order(n)
        x = cover.reshape(-1).astype(np.int64)[order]
        rp, rm = rp.reshape(-1)[order], rm.reshape(-1)[order]
        r = self.head_elements(n)
        for attempt in range(6):  # a cover with many wet pixels: a smaller secret file
            data, info = message(attempt)
            bits = _bits(data)
            try:
                if bits.size > CAPACITY * (n - r):
                    raise ValueError(f"{len(data)} bytes exceed the capacity")
                y, m1, m2, dist = stc.embed_ternary(x[r:], rp[r:], rm[r:], bits, self.h,
                                                    seed + 2)
                y_head, d1 = _head(x, rp, rm, _lengths_bits(m1, m2, self.h), seed, r)
                break
            except ValueError as exc:
                if self.quality is not None or attempt == 5:
                    raise InputError(f"STC embedding failed ({exc}): lower --payload or "
                                     "--quality") from None
        out = _unorder([y_head, y], order, cover.shape, cover.dtype)
        return out, {**info, "changes": int(np.sum(out != cover)), "distortion": dist + d1,
                     "message_bits": int(bits.size), "attempt": attempt}

    def hide_file(self, cover: np.ndarray, data: bytes, name: str) -> tuple[np.ndarray, dict]:
        """One stego carrying a file's bytes and its name, and what it took."""
        cv, _ = as_batch(cover, self.cover_channels, "cover")
        return self._hide_one(cv[0], self._file(data, name, cv[0].size))

    def _file(self, data: bytes, name: str, n: int,
              where: str = "this cover at --payload") -> msg.Payload:
        """A file's payload for a cover of n elements, refused in one line when it does not
        fit (where: the cover and its payload flag, for the message)."""
        try:
            named = len(name.encode("utf-8"))
        except UnicodeEncodeError:
            raise InputError(f"{name!r}: a hidden file's name must be UTF-8") from None
        if len(data) > self.budget(n, name):
            raise InputError(f"{name}: {len(data):,} bytes, but {max(self.budget(n, name), 0):,} "
                             f"fit in {where} {self.payload:g} (the "
                             f"{max(self.budget(n), 0):,} of `advstego capacity` less the "
                             f"{named}-byte name)")
        return msg.Payload(bytes(data), msg.FILE, name=name)

    def hide(self, covers, secrets):
        cv, single = as_batch(covers, self.cover_channels, "cover")
        sc, _ = as_batch(secrets, self.secret_channels, "secret")
        if len(cv) != len(sc):  # any secret size: the codec fits it to the payload
            raise InputError(f"{len(cv)} covers but {len(sc)} secrets")
        return unbatch(np.stack([self._hide_one(c, s)[0] for c, s in zip(cv, sc)]), single)

    def hide_info(self, cover, secret) -> tuple[np.ndarray, dict]:
        """One stego and what it took: codec, quality, bytes, secret PSNR, capacity used,
        changes, distortion (and the adversary's search, where there is one)."""
        cv, _ = as_batch(cover, self.cover_channels, "cover")
        sc, _ = as_batch(secret, self.secret_channels, "secret")
        if len(cv) != 1 or len(sc) != 1:
            raise InputError("hide_info takes one cover and one secret")
        return self._hide_one(cv[0], sc[0])

    # ---- reveal --------------------------------------------------------------------
    def extract(self, stego: np.ndarray) -> msg.Payload:
        """The payload (image or file) one stego carries."""
        from .. import images

        none = msg.NoMessage("no advstego message found in this image (wrong --key, or not a "
                             f"--method {self.reveal_name} stego)")
        n, r = stego.size, LENGTHS_ELEMENTS
        if n < 8 * r:
            raise none
        p = None
        for legacy, versions in self.formats:
            seed, order = self._seed(legacy), self._order(n, legacy)
            y = stego.reshape(-1).astype(np.int64)[order]
            for read in (self._one_part, self._two_parts):  # the head says which; the tag decides
                bits = read(y, n, seed)
                if bits is not None:
                    try:
                        p = msg.unseal(np.packbits(bits).tobytes(), self.key, versions)
                        break
                    except msg.NoMessage:
                        continue
            if p is not None:
                break
        if p is None:
            raise none
        if p.kind == msg.IMAGE:
            bad = (f"codec {p.codec} unknown" if p.codec not in codecs.NAMES else
                   f"a {p.width}x{p.height} secret" if not (p.height and p.width) else
                   f"{p.channels} channels" if p.channels not in (1, 3) else None)
            if bad:
                raise msg.malformed(bad) if p.authentic else none
            if p.height * p.width > images.max_pixels():
                raise InputError(f"the message claims a {p.width}x{p.height} secret, more than "
                                 f"--max-pixels {images.max_pixels():,} pixels")
        elif p.kind != msg.FILE:
            raise msg.malformed(f"kind {p.kind} unknown") if p.authentic else none
        return p

    def _head(self, y, size: int, seed: int) -> bytes:
        from . import stc

        r = self.head_elements(y.size)
        return np.packbits(stc.extract_bits((y[:r] & 1).astype(np.uint8),
                                            8 * size, LENGTHS_H, seed + 1)).tobytes()

    @staticmethod
    def _fits(m1, m2, elements) -> bool:
        return 0 <= m1 <= elements and 0 <= m2 <= elements and m1 + m2 <= CAPACITY * elements

    def _one_part(self, y, n: int, seed: int):
        """The message bits of a one-part stego, or None where its head holds none."""
        from . import stc

        r = self.head_elements(n)
        m1, m2, h = LENGTHS.unpack(self._head(y, LENGTHS.size, seed))
        if not (8 * msg.V1.size <= m1 + m2 and m1 > 0 and self._fits(m1, m2, n - r)
                and (m1 + m2) % 8 == 0 and 7 <= h <= 12):
            return None
        return stc.extract_ternary(y[r:], m1, m2, h, seed + 2)

    def _two_parts(self, y, n: int, seed: int):
        """The message bits of a two-part stego (ADV-EMB as published), or None."""
        from . import stc

        r = self.head_elements(n)
        mark, tenths, m1c, m2c, m1a, m2a, h = TWO_PARTS.unpack(
            self._head(y, TWO_PARTS.size, seed))
        nc = int(round((1 - tenths / 10) * (n - r)))
        if not (mark == TWO_MARK and 1 <= tenths <= 9 and 7 <= h <= 12 and m1c > 0
                and self._fits(m1c, m2c, nc) and self._fits(m1a, m2a, n - r - nc)
                and (m1c + m2c + m1a + m2a) % 8 == 0):
            return None
        return np.concatenate([stc.extract_ternary(y[r:r + nc], m1c, m2c, h, seed + 2),
                               stc.extract_ternary(y[r + nc:], m1a, m2a, h, seed + 3)])

    def reveal_payload(self, stego: np.ndarray):
        """A revealed image (uint8 array) or a file's Payload, from one stego."""
        p = self.extract(stego)
        if p.kind == msg.FILE:
            return p
        return codecs.decompress(p.data, "L" if p.channels == 1 else "RGB", (p.height, p.width),
                                 codecs.NAMES[p.codec])

    def reveal(self, stegos):
        st, single = as_batch(stegos, self.cover_channels, "stego")
        out = []
        for s in st:
            got = self.reveal_payload(s)
            if isinstance(got, msg.Payload):
                raise InputError(f"the stego carries a file ({got.name}), not an image")
            out.append(got)
        return unbatch(np.stack(out), single)


class StcJob(EmbeddingJob):
    """StcHider's embedding of one cover (hiding/job.py). The plain stego is made when the
    job is built (a secret that does not fit is shrunk, attempt by attempt); a two-part
    stego (ADV-EMB as published) carries the plain stego's message split (1 − σ) / σ over the
    common group and the adjustable group (the keyed order after the head), each part with
    its own code, behind the two-part head. A subclass may take other elements (JpegJob,
    hiding/jpeg.py: a JPEG's coefficients): its plain costs, the payload's unit count and
    its domain."""
    two_parts = True
    where = "cover"  # what the messages call the cover

    def __init__(self, hider: StcHider, cover: np.ndarray, secret):
        n = cover.size
        if n < 8 * LENGTHS_ELEMENTS:
            raise InputError(f"cover of {n} elements is too small for STC (at least "
                             f"{8 * LENGTHS_ELEMENTS})")
        self.hider, self.cover, self.secret, self.messages = hider, cover, secret, {}
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:  # the secret's compression beside the cost map
            first = pool.submit(self.message, 0)  # and the keyed order (_embed's, until it
            rp, rm = self.plain_costs()  # needs the message: a photo's 1 s)
            plain = Embedded(*hider._embed(cover, rp, rm, lambda attempt: first.result()
                                           if attempt == 0 else self.message(attempt)))
        super().__init__(cover, rp, rm, plain, plain.info["message_bits"], hider._seed())

    def plain_costs(self) -> tuple[np.ndarray, np.ndarray]:
        """(ρ+1, ρ−1) of the cover's elements: the hider's costs."""
        return _costs(self.cover, self.hider.cost)

    @property
    def units(self) -> int:
        """What the payload is counted in: the cover's elements."""
        return self.cover.size

    def message(self, attempt: int) -> tuple[bytes, dict]:
        """The sealed message of an attempt (the secret shrunk by 0.85 each), made once."""
        if attempt not in self.messages:
            if attempt and isinstance(self.secret, msg.Payload):
                raise InputError(f"{self.secret.name}: the file does not fit in this "
                                 f"{self.where} at --payload {self.hider.payload:g}")
            self.messages[attempt] = self.hider._message(self.secret, self.units,
                                                         0.85 ** attempt)
        return self.messages[attempt]

    def embed(self, rho_p, rho_m) -> Embedded:
        return Embedded(*self.hider._embed(self.cover, rho_p, rho_m, self.message))

    @cached_property
    def _keyed(self):
        """(seed, order, the cover's elements and plain costs in keyed order, message bits)."""
        h, n = self.hider, self.cover.size
        seed, order = h._seed(), h._order(n)
        return (seed, order, self.cover.reshape(-1).astype(np.int64)[order],
                self.rho_p.reshape(-1)[order], self.rho_m.reshape(-1)[order],
                _bits(self.message(self.plain.info["attempt"])[0]))

    def common(self, sigma: float) -> Embedded:
        from . import stc

        seed, order, x, rpo, rmo, bits = self._keyed
        n = self.cover.size
        r = self.hider.head_elements(n)
        nc = int(round((1 - sigma) * (n - r)))
        lc = int(round((1 - sigma) * bits.size))
        if lc > CAPACITY * nc or bits.size - lc > CAPACITY * (n - r - nc):
            raise ValueError(f"sigma {sigma:g}: a part exceeds its group's capacity")
        yc, m1c, m2c, dc = stc.embed_ternary(x[r:r + nc], rpo[r:r + nc], rmo[r:r + nc],
                                             bits[:lc], self.hider.h, seed + 2)
        mid = _unorder([x[:r], yc, x[r + nc:]], order, self.cover.shape, self.cover.dtype)
        return Embedded(mid, {"changes": int(np.sum(mid != self.cover)), "distortion": dc,
                              "message_bits": lc}, held=(sigma, nc, lc, yc, m1c, m2c, dc))

    def finish(self, common: Embedded, sigma: float, rho_p, rho_m) -> Embedded:
        from . import stc

        seed, order, x, rpo, rmo, bits = self._keyed
        was, nc, lc, yc, m1c, m2c, dc = common.held
        if sigma != was:
            raise ValueError(f"sigma {sigma:g}: the common part was made at {was:g}")
        r, h = self.hider.head_elements(self.cover.size), self.hider.h
        ap, am = rho_p.reshape(-1)[order], rho_m.reshape(-1)[order]
        ya, m1a, m2a, da = stc.embed_ternary(x[r + nc:], ap[r + nc:], am[r + nc:], bits[lc:], h,
                                             seed + 3)
        y_head, d1 = _head(x, rpo, rmo, _bits(TWO_PARTS.pack(
            TWO_MARK, int(round(sigma * 10)), m1c, m2c, m1a, m2a, h)), seed, r)
        out = _unorder([y_head, yc, ya], order, self.cover.shape, self.cover.dtype)
        return Embedded(out, {**self.plain.info, "changes": int(np.sum(out != self.cover)),
                              "distortion": dc + da + d1, "message_bits": int(bits.size),
                              "sigma": sigma})
