"""Compress a secret image to a byte budget with Pillow's codecs (AVIF, JPEG XL, JPEG, WebP).

`compress` finds the best quality of one codec that fits the budget (binary search); when even
the lowest quality does not fit, the secret is halved in size (the receiver scales it back up).
`best` tries every codec here at full and reduced sizes and keeps the one whose decoded secret
is closest to the original (highest PSNR) within the budget: `--codec auto`. A secret with far
more pixels than the budget could describe is scaled down first (MIN_BPP), and one smaller
than MIN_SIDE is tried at its own size (never scaled further down).
"""

from __future__ import annotations

import io
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
# encoder effort: a fast setting (a secret is encoded ~8 times per codec and size)
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


def _fit(img: Image.Image, codec: str, budget: int, tick=None):
    """(data, quality) of the highest quality within budget at this size, or None; tick()
    after each encoding (a progress bar's)."""
    tick = tick or (lambda: None)
    _, _, qmin, qmax = CODECS[codec]
    data = _encode(img, codec, qmin)
    tick()
    if len(data) > budget:
        return None  # not even the lowest quality: no search
    lo, hi, best = qmin + 1, qmax, (data, qmin)
    while lo <= hi:  # size grows with quality: find the highest that fits
        q = (lo + hi) // 2
        data = _encode(img, codec, q)
        tick()
        if len(data) <= budget:
            best, lo = (data, q), q + 1
        else:
            hi = q - 1
    return best


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
    """The encoding within `budget` bytes that decodes closest to the secret.

    Every codec (or those named) at full size; then the two best at each smaller size in
    SCALES while a smaller size still decodes better (and smaller ones while nothing fits).
    Returns (data, {codec, quality, encoded_size, psnr})."""
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


def _search(full, ref, mode, budget, names, scales, bar):
    """best()'s search: the top (data, info) over the sizes, or None."""
    top = None
    while scales:
        s = scales.pop(0)
        img = full if s == 1 else full.resize(
            (max(1, round(full.width * s)), max(1, round(full.height * s))),
            Image.Resampling.LANCZOS)
        if s != 1 and min(img.size) < MIN_SIDE:
            break

        def search(c, img=img):  # (data, quality) of one codec and its PSNR, or None
            try:
                got = _fit(img.copy(), c, budget, bar.update)  # a copy: save() writes on it
            except EncoderError:
                return None  # this codec cannot encode this secret: the others still can
            return got and (got, psnr(ref, decompress(got[0], mode, ref.shape[:2], c)))

        with ThreadPoolExecutor(len(names)) as pool:  # the encoders let go of the GIL
            found = list(pool.map(search, names))
        tried = []  # (psnr, codec) at this size
        for c, f in zip(names, found):  # in order, as one after the other would
            if not f:
                continue
            got, p = f
            tried.append((p, c))
            if top is None or p > top[1]["psnr"]:
                top = (got[0], {"codec": c, "quality": got[1], "psnr": float(p),
                                "encoded_size": [img.height, img.width]})
        if top is None:
            if not scales:
                scales = [s / 2]  # nothing fits yet: keep halving
            continue
        if tried and max(tried)[0] < top[1]["psnr"]:
            break  # this size decoded worse than a larger one: smaller ones will too
        names = [c for _, c in sorted(tried, reverse=True)[:2]] or names
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
