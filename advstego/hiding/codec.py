"""Compress a secret image to a byte budget with Pillow's codecs (AVIF, JPEG XL, JPEG, WebP).

`compress` finds the best quality of one codec that fits the budget (_fit: an interpolating
search, a photo's guided by a thumbnail, about 3 encodings where halving took 8); when even
the lowest quality does not fit, the secret is halved in size (the receiver scales it back up).
`best` tries every codec here at full and reduced sizes and keeps the one whose decoded secret
is closest to the original (highest PSNR) within the budget: `--codec auto`. A secret with far
more pixels than the budget could describe is scaled down first (MIN_BPP), and one smaller
than MIN_SIDE is tried at its own size (never scaled further down).
"""

from __future__ import annotations

import io
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image, features

from ..errors import InputError

# codec name -> (id in the message header, Pillow format, lowest and highest quality)
CODECS = {"jpeg": (1, "JPEG", 1, 95), "webp": (2, "WEBP", 0, 100)}
if features.check("avif"):
    CODECS["avif"] = (3, "AVIF", 0, 100)
try:  # JPEG XL: the pillow-jxl-plugin wheel registers it with Pillow
    import pillow_jxl  # noqa: F401
    CODECS["jxl"] = (4, "JXL", 0, 100)
except ImportError:  # pragma: no cover - an install without the plugin
    pass
NAMES = {v[0]: k for k, v in CODECS.items()}
AUTO = "auto"


def choices() -> tuple:
    """What a --codec may name: auto, then every codec installed here (avif and jxl only
    where Pillow and its plugin read and write them)."""
    return (AUTO, *CODECS)

MIN_SIDE = 8  # no secret is scaled below this side (a smaller one is tried as it is)
MIN_BPP = 0.05  # below this many bits a pixel no codec here keeps a usable photo: a secret
# with more pixels than budget·8/MIN_BPP is scaled down to that before any search
SCALES = (1.0, 0.75, 0.5)  # sizes `best` tries, as a fraction of the secret's sides
PROGRESS_FROM = 1 << 20  # secret pixels from which the search shows progress (terminal)
# a codec's quality search (_fit): its first quality, and how fast log(bytes) grows with it,
# as first guesses; from GUIDE_FROM pixels it aims by a thumbnail of 1/GUIDE_SIDE the sides,
# whose bytes are first taken as 1/(GUIDE_RATIO·GUIDE_SIDE²) of the image's
FIRST, SLOPE = {"jpeg": 75, "webp": 75, "avif": 60, "jxl": 75}, 0.05
GUIDE_FROM, GUIDE_SIDE, GUIDE_RATIO = 1 << 18, 4, 0.75
LOOK = {"jxl": 4}  # qualities a small image's search also tries above its answer (_fit)
LEAD = "jpeg"  # the quickest codec: searched first, its image/thumbnail ratio guides the rest
# encoder effort: a fast setting (a secret is encoded ~3 times per codec and size)
_OPTIONS = {"JPEG": {"optimize": True}, "WEBP": {"method": 4}, "AVIF": {"speed": 8},
            "JXL": {"effort": 5}}


class EncoderError(InputError):
    """A codec's encoder failed on this image at some quality."""


def _encode(img: Image.Image, codec: str, quality: int) -> bytes:
    _, fmt, _, top = CODECS[codec]
    opts = dict(_OPTIONS[fmt])
    if fmt == "JXL" and quality == top:  # libjxl refuses lossy quality 100: it is lossless
        opts["lossless"] = True
    buf = io.BytesIO()
    try:
        img.save(buf, format=fmt, quality=quality, **opts)
    except (OSError, RuntimeError, ValueError) as exc:  # e.g. libjxl on some images
        raise EncoderError(f"the {codec} encoder failed on the secret at quality {quality} "
                           f"({str(exc)[:60]}); try another --codec") from None
    return buf.getvalue()


def encode(secret: np.ndarray, codec: str, quality: int) -> bytes:
    """The secret at one quality, full size."""
    _check(codec)
    return _encode(Image.fromarray(secret), codec, quality)


def _fit(img: Image.Image, codec: str, budget: int, tick=None, start=None, beat=None, ref=None,
         guide=None):
    """(data, quality) of the highest quality within budget at this size, or None; tick()
    after each encoding (a progress bar's).

    Bytes are taken to grow with quality (as a binary search takes them): the qualities tried
    are where log(bytes), interpolated from those tried (a large image: from a thumbnail's
    bytes, scaled by the last tried), meets the budget, from `start` (a larger size's answer)
    on. The answer is certified by the quality above it, over budget (or is the highest),
    and for a small image (its encodings quick) by the LOOK qualities above that: JPEG XL's
    bytes there dip and rise over a few qualities (the others' did not, on the secrets of
    tests/test_codec_search.py).
    guide: a _Guide of this image (made here for a large one where none is given).
    beat (with ref, the secret searched from): a PSNR to beat; an encoding over budget that
    decodes below it ends the search (None: lower qualities decode worse still)."""
    tick = tick or (lambda: None)
    _, _, qmin, qmax = CODECS[codec]
    kept, seen = {}, {}  # data of the qualities that fit; bytes of every quality tried

    def size(q):
        if q in seen:
            return seen[q]
        data = _encode(img, codec, q)
        tick()
        seen[q] = len(data)
        if len(data) <= budget:
            kept[q] = data
        elif beat is not None and psnr(ref, decompress(data, img.mode, ref.shape[:2],
                                                       codec)) < beat:
            raise _CannotWin
        return len(data)

    if guide is None and img.width * img.height >= GUIDE_FROM:
        guide = _Guide(img, codec, budget)
    first = start if start is not None else guide(None, None, qmin - 1, qmax + 1) if guide \
        else FIRST.get(codec, (qmin + qmax) // 2)
    try:
        q = _highest(size, budget, qmin - 1, qmax + 1, first, guide)
        while guide is None and q >= qmin:  # a small image's bytes may dip just above it
            above = next((k for k in range(q + 2, min(q + 2 + LOOK.get(codec, 0), qmax + 1))
                          if size(k) <= budget), None)
            if above is None:
                break
            q = _highest(size, budget, above, qmax + 1, known=seen.items())
    except _CannotWin:
        return None
    return (kept[q], q) if q >= qmin else None


class _CannotWin(Exception):
    """A codec's search stopped: its encodings within budget decode below the best yet."""


def _highest(size, budget: float, lo: int, hi: int, q=None, guide=None, known=()) -> int:
    """The highest quality in lo+1 .. hi-1 whose size(q) fits `budget`, else lo; lo: one known
    to fit (or below the range), hi: one known not to (or above). size() grows with q.
    Each step tries q (None: an aim; kept inside the bracket), then aims where the last two
    tried, in log(bytes), reach the budget (guide(q, bytes, lo, hi): another aim); a step that
    leaves the bracket over half as wide as two steps before is followed by a halving.
    known: (quality, bytes) already measured, taken as tried (the bracket's ends last)."""
    fits = sorted((k for k, n in known if n <= budget), reverse=True)
    over = sorted(k for k, n in known if n > budget)
    rank = {k: i for side in (fits, over) for i, k in enumerate(side)}  # 0: nearest the budget
    tried = []
    for k, n in sorted(known, key=lambda kn: -rank[kn[0]]):
        if lo < k < hi:
            lo, hi = (k, hi) if n <= budget else (lo, k)
        tried.append((k, math.log(n)))
    widths = [hi - lo]
    while hi - lo > 1:
        if q is None:
            q = _aim(tried, budget) if tried else (lo + hi) // 2
        q = min(max(q, lo + 1), hi - 1)
        n = size(q)
        tried.append((q, math.log(n)))
        lo, hi = (q, hi) if n <= budget else (lo, q)
        widths.append(hi - lo)
        if hi - lo <= 1:
            break
        if len(widths) > 2 and 2 * widths[-1] > widths[-3]:
            q = (lo + hi) // 2  # the aims converge slowly here: halve
        elif guide is not None:
            q = guide(q, n, lo, hi)
        else:
            q = None
    return lo


def _aim(tried, budget: int) -> int:
    """The highest quality where log(bytes), a line through the last two tried (or at SLOPE
    from the last), stays within budget."""
    (q2, l2), k = tried[-1], SLOPE
    if len(tried) > 1:
        q1, l1 = tried[-2]
        if q1 != q2 and (l2 - l1) / (q2 - q1) > 0:
            k = (l2 - l1) / (q2 - q1)
    return math.floor(q2 + (math.log(budget) - l2) / k)


class _Guide:
    """A guide for _highest on a large image: its bytes at a quality estimated as a
    thumbnail's bytes (each quality encoded once) times their ratio, interpolated in log
    between the last two qualities the image was encoded at (one: that ratio; none: `ratio`,
    a guess); it aims at the highest quality whose estimate fits the budget, its first
    thumbnail at `near` (another codec's answer) where given."""

    def __init__(self, img: Image.Image, codec: str, budget: int, ratio: float | None = None,
                 near: int | None = None):
        self.thumb, self.codec, self.budget = img.reduce(GUIDE_SIDE), codec, budget
        self.ratio, self.near = ratio or GUIDE_RATIO * GUIDE_SIDE ** 2, near
        self.sizes, self.ratios = {}, []  # ratios: (quality, log of image / thumbnail bytes)

    def size(self, q: int) -> int:
        if q not in self.sizes:
            self.sizes[q] = len(_encode(self.thumb, self.codec, q))
        return self.sizes[q]

    def estimate(self, q: int) -> float:
        if not self.ratios:
            return self.size(q) * self.ratio
        (q2, r2), (q1, r1) = self.ratios[-1], self.ratios[-2 if len(self.ratios) > 1 else -1]
        t = 0 if q1 == q2 else min(max((q - q2) / (q1 - q2), 0), 1)  # no extrapolation
        return self.size(q) * math.exp(r2 + t * (r1 - r2))

    def __call__(self, q, n, lo, hi) -> int:
        """Where to try next, q having taken n bytes (None: the first)."""
        if q is not None:
            self.ratios.append((q, math.log(n / self.size(q))))
        known = [(k, self.estimate(k)) for k in self.sizes]  # no encoding: all kept
        first = (self.near or FIRST.get(self.codec)) if not known else None
        return min(max(_highest(self.estimate, self.budget, lo, hi, first, known=known),
                       lo + 1), hi - 1)

    def last_ratio(self) -> float | None:
        return math.exp(self.ratios[-1][1]) if self.ratios else None


def _start(secret: np.ndarray, budget: int) -> Image.Image:
    """The secret as an image, scaled down to the most pixels `budget` bytes can describe."""
    img = Image.fromarray(secret)
    most = budget * 8 / MIN_BPP
    if img.width * img.height > most:
        f = (most / (img.width * img.height)) ** 0.5
        size = (max(1, int(img.width * f)), max(1, int(img.height * f)))
        img = img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return img


def compress(secret: np.ndarray, codec: str, budget: int) -> tuple[bytes, int, tuple]:
    """(data, quality, (height, width) encoded) of the best quality within `budget` bytes."""
    if codec == AUTO:
        data, info = best(secret, budget)
        return data, info["quality"], tuple(info["encoded_size"])
    _check(codec)
    img = _start(secret, budget)
    while True:
        got = _fit(img, codec, budget)
        if got:
            return got[0], got[1], (img.height, img.width)
        if min(img.size) // 2 < MIN_SIDE:
            raise _no_fit(budget, codec, img)
        img = img.resize((img.width // 2, img.height // 2), Image.Resampling.LANCZOS)


def best(secret: np.ndarray, budget: int, codecs=None) -> tuple[bytes, dict]:
    """The encoding within `budget` bytes that decodes closest to the secret (highest PSNR).

    Every codec (or those named) at full size, then at each smaller size in SCALES (and
    smaller ones while nothing fits), each at its highest quality within budget (_fit). A
    smaller size is left out where the secret only scaled to it and back already decodes
    MARGIN dB below the best yet (the codec's loss comes on top of that), and a codec stops
    once an encoding of it over budget decodes below the best of a larger size (its lower
    qualities decode worse). Returns (data, {codec, quality, encoded_size, psnr})."""
    from ..progress import progress

    names = list(codecs or CODECS)
    for c in names:
        _check(c)
    full = _start(secret, budget)
    # candidates are compared at the size searched from (the secret's own, unless scaled down)
    ref = secret if full.size == (secret.shape[1], secret.shape[0]) else np.asarray(full)
    mode = "L" if secret.ndim == 2 else "RGB"
    with progress(desc="secret, codec search", unit="encoding",  # a photo's: many seconds
                  disable=True if full.width * full.height < PROGRESS_FROM else None) as bar:
        top = _search(full, ref, mode, budget, names, list(SCALES), bar)
    if top is None:
        raise _no_fit(budget, "any codec", full)
    if ref is not secret:  # the PSNR reported is against the secret itself
        top[1]["psnr"] = psnr(secret, decompress(top[0], mode, secret.shape[:2],
                                                 top[1]["codec"]))
    return top


MARGIN = 0.1  # dB: a smaller size is searched unless scaling alone loses this much more


def _search(full, ref, mode, budget, names, scales, bar):
    """best()'s search: the top (data, info) over the sizes, or None."""
    top, found = None, {}  # found: codec -> its quality at the last size it fitted
    while scales:
        s = scales.pop(0)
        img = full if s == 1 else full.resize(
            (max(1, round(full.width * s)), max(1, round(full.height * s))),
            Image.Resampling.LANCZOS)
        if s != 1 and min(img.size) < MIN_SIDE:
            break
        beat = None if top is None else top[1]["psnr"]
        if beat is not None and s != 1:
            back = img.resize(full.size, Image.Resampling.LANCZOS)
            if psnr(ref, np.asarray(back)) < beat - MARGIN:
                continue  # scaling alone decodes worse than the best yet

        # a large image: JPEG (the quickest) first, its thumbnail's ratio and its quality
        # the others' first guesses
        lead = [c for c in names if c == LEAD] if img.width * img.height >= GUIDE_FROM else []
        ratio, near = {}, {}

        def search(c, img=img, beat=beat):  # (data, quality) of one codec and its PSNR, or None
            img = img.copy()  # save() writes on it
            guide = _Guide(img, c, budget, ratio.get(LEAD), near.get(LEAD)) if lead else None
            try:
                got = _fit(img, c, budget, bar.update, None if guide else found.get(c), beat, ref,
                           guide)
            except EncoderError:
                return None  # this codec cannot encode this secret: the others still can
            if guide is not None and c == LEAD:
                ratio[c], near[c] = guide.last_ratio(), got and got[1]
            return got and (got, psnr(ref, decompress(got[0], mode, ref.shape[:2], c)))

        results = dict(zip(lead, map(search, lead)))
        rest = [c for c in names if c not in results]
        with ThreadPoolExecutor(max(len(rest), 1)) as pool:  # the encoders let go of the GIL
            results.update(zip(rest, pool.map(search, rest)))
        for c, f in ((c, results[c]) for c in names):  # in order, as one after the other would
            if not f:
                continue
            got, p = f
            found[c] = got[1]
            if top is None or p > top[1]["psnr"]:
                top = (got[0], {"codec": c, "quality": got[1], "psnr": float(p),
                                "encoded_size": [img.height, img.width]})
        if top is None and not scales:
            scales = [s / 2]  # nothing fits yet: keep halving
    return top


def decompress(data: bytes, mode: str, size: tuple[int, int], codec: str | None = None
               ) -> np.ndarray:
    """Decode to 'L' or 'RGB' at size (height, width), scaling up a smaller secret; with a
    codec named, only that codec's decoder is used (a stego's header names it)."""
    from .. import images

    formats = None if codec is None else [CODECS[codec][1]]
    try:
        img = Image.open(io.BytesIO(data), formats=formats)  # the header only: size first
        if img.width * img.height > images.max_pixels():
            raise InputError(f"the extracted secret claims {img.width}x{img.height} pixels, more "
                             f"than --max-pixels {images.max_pixels():,}")
        img.load()
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a bad message
        what = f"as {codec}, the codec its header names" if codec else f"({exc})"
        raise InputError(f"the extracted secret does not decode {what}") from None
    img = img.convert(mode)
    if (img.height, img.width) != tuple(size):
        img = img.resize((size[1], size[0]), Image.Resampling.LANCZOS)
    return np.asarray(img, dtype=np.uint8)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two uint8 images (inf when equal); numpy only, so a hide stays quick,
    a few million elements at a time (a large secret is not copied as floats whole)."""
    a, b = a.reshape(-1), b.reshape(-1)
    step, total = 1 << 20, 0.0
    for i in range(0, a.size, step):
        d = np.subtract(a[i:i + step], b[i:i + step], dtype=np.int16).astype(np.float32)
        total += float(d @ d)  # exact enough: a million squares of at most 255²
    m = total / a.size
    return float("inf") if m == 0 else float(10 * np.log10(255.0 ** 2 / m))


def _no_fit(budget, codec, img):
    return InputError(f"the secret does not fit in {budget} bytes with {codec} even at "
                      f"{img.width}x{img.height} and the lowest quality: raise --payload")


def _check(codec):
    if codec not in CODECS:
        raise InputError(f"codec {codec!r}: known are {', '.join(choices())}")
