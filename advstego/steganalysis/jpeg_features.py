"""DCTR (Holub, Fridrich 2015) and GFR (Song et al. 2015) features of JPEG luminance, as
sealwatch extracts them (sealwatch.dctr.extract_from_file, sealwatch.gfr.extract_from_file)
and in the same order, without sealwatch (it needs torch) and faster.

sealwatch convolves the decompressed image with each kernel (64 DCT bases; 256 Gabor
kernels) one at a time, rounds the residuals Matlab's way and histograms each 8x8 phase
with np.histogram. Here every kernel's residual comes from one product of the image's 8x8
windows (DCT: two 8-tap passes, the bases being separable), and one compiled pass (numba)
rounds, truncates and counts them all. The residuals then differ from sealwatch's in their last bits only; the features
are counts of rounded residuals, and sealwatch's rounding takes |r| within 5e-6 of k + 1/2
upward (np.isclose), so the counts agree unless a residual falls within ~1e-12 of the edge
of that band: the features are equal, bit for bit, on every image tests/test_jpeg_wardens.py
tries (gray and colour, QF 75 and 95).
"""

from __future__ import annotations

import hashlib
from functools import cache

import numba
import numpy as np

from ..data.jpeg import JpegImage, _dct_mat
from ..errors import InputError
from .features import cached_vectors

T = 4  # both: histogram bins 0..T
DCTR_DIM = 64 * 25 * (T + 1)  # 8000
GFR_SIGMAS = (0.5, 0.75, 1, 1.25)
GFR_ROTATIONS = 32
GFR_DIM = 2 * len(GFR_SIGMAS) * (GFR_ROTATIONS // 2 + 1) * 25 * (T + 1)  # 17000
GFR_STEPS = {75: (2, 4, 6, 8), 95: (0.1, 1, 1.5, 2)}  # sealwatch's: QF 75 and 95 only
BUDGET = 1 << 22  # residuals a pass (doubles: 32 MB), whatever the image's width
VERSION = 1  # bumped whenever a feature changes: cached vectors are then recomputed


def dctr_step(quality: int) -> float:
    """DCTR's quantization step at a JPEG quality (Eq. 10; sealwatch's)."""
    if quality < 50:
        return min(8 * (50 / quality), 100)
    return max(8 * (2 - (quality / 50)), 0.2)


@cache
def merged() -> tuple:
    """The 25 groups of 8x8 phases DCTR and GFR merge (sealwatch's
    get_symmetric_histogram_coordinates), each a tuple of (row, col)."""
    out = []
    for i in range(5):
        for j in range(5):
            coords = [(i, j), (i, 8 - j), (8 - i, j), (8 - i, 8 - j)]
            coords = [c for c in coords if c[0] < 8 and c[1] < 8]
            out.append(tuple(dict.fromkeys(coords)))
    return tuple(out)


@cache
def _merge_matrix() -> np.ndarray:
    """(64 phases, 25 groups) 0/1: which phases a group sums."""
    m = np.zeros((64, 25), np.int64)
    for g, coords in enumerate(merged()):
        for r, c in coords:
            m[r * 8 + c, g] = 1
    return m


BAND = 1e-08 + 1e-05 * 0.5  # np.isclose(d, 0.5)'s tolerance: atol + rtol * |0.5|


@numba.njit(cache=True)
def _abs_round1(v: float) -> float:  # pragma: no cover - compiled by numba
    """|sealwatch.tools.matlab.round(v)|: half away from zero, a fraction within np.isclose's
    band of 1/2 counted as one half."""
    a = abs(v)
    f = np.floor(a)
    d = a - f
    if d >= 0.5 or abs(d - 0.5) <= BAND:
        return f + 1.0
    return f


@numba.njit(cache=True)
def _abs_round(x: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled by numba
    """_abs_round1 of each value of a 1-D array (its test's way in)."""
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = _abs_round1(x[i])
    return out


@numba.njit(cache=True)
def _count(res, steps, top, counts):  # pragma: no cover - compiled by numba
    """Add to counts (K, 64 phases, T + 1) min(|round(res / step)|, T) of res (h, w, K),
    the residuals of K kernels whose row 0 sits at 8x8 phase row `top` % 8."""
    h, w, k = res.shape
    for i in range(h):
        row = ((i + top) % 8) * 8
        for j in range(w):
            p = row + j % 8
            for c in range(k):
                q = _abs_round1(res[i, j, c] / steps[c])
                counts[c, p, int(min(q, T))] += 1


def _residual_counts(x: np.ndarray, kernels: np.ndarray, steps: np.ndarray,
                     separable=None) -> np.ndarray:
    """(K, 64, T + 1) counts of |round(conv(x, kernel_k, 'valid') / step_k)| truncated at
    T, by 8x8 phase. kernels: (K, 8, 8) as convolved (flipped here once); separable: (a, b)
    (8, A) and (8, B) 1-D kernels whose outer products are the K = A*B kernels instead."""
    h, w = x.shape
    out = np.zeros((len(steps), 64, T + 1), np.int64)
    n = max(8, BUDGET // (max(w, 8) * len(steps)))
    for top in range(0, h - 7, n):
        rows = x[top:top + n + 7]
        win = np.lib.stride_tricks.sliding_window_view(rows, 8, axis=0)  # (r, w, 8)
        if separable is not None:
            a, b = separable
            t = win @ a[::-1]  # (r, w, A): convolution flips
            t = np.lib.stride_tricks.sliding_window_view(t, 8, axis=1)  # (r, w-7, A, 8)
            res = (t @ b[::-1]).reshape(t.shape[0], t.shape[1], -1)  # (r, w-7, A*B)
        else:
            win = np.lib.stride_tricks.sliding_window_view(win, 8, axis=1)  # (r, w-7, 8, 8)
            flat = win.reshape(win.shape[0], win.shape[1], 64)
            res = flat @ kernels[:, ::-1, ::-1].reshape(len(kernels), 64).T
        _count(res, steps, top, out)
    return out


def _normalized(counts: np.ndarray) -> np.ndarray:
    """(K, 64, T + 1) phase counts -> (K, 25, T + 1) merged histograms over their sums."""
    merged_counts = np.einsum("kpt,pg->kgt", counts, _merge_matrix())
    return merged_counts / np.sum(merged_counts, axis=2, keepdims=True)


def dctr(x1: np.ndarray, q: float) -> np.ndarray:
    """sealwatch.dctr.extract(x1, q) (x1: decompressed luminance − 128), its 64 x 25 x 5
    values flattened in its order: (8000,) float64."""
    d = _dct_mat()
    counts = _residual_counts(np.ascontiguousarray(x1, np.float64), None, np.full(64, float(q)),
                              separable=(d.T, d.T))
    return _normalized(counts).ravel()


def gabor_kernel(sigma: float, theta: float, phi: float, gamma: float = 0.5) -> np.ndarray:
    """sealwatch.gfr.compute_gabor_kernel with GFR_ORIGINAL's normalization."""
    lam = sigma / 0.56
    s = 1 / (2 * sigma ** 2)
    f = 2 * np.pi / lam
    x, y = np.meshgrid(np.linspace(-7 / 2, 7 / 2, 8), -np.linspace(-7 / 2, 7 / 2, 8))
    xp = +x * np.cos(theta) + y * np.sin(theta)
    yp = -x * np.sin(theta) + y * np.cos(theta)
    kernel = np.exp(-s * (xp * xp + gamma ** 2 * yp * yp)) * np.cos(f * xp + phi)
    return kernel - np.sum(kernel) / np.sum(np.abs(kernel)) * np.abs(kernel)


@cache
def _gabor_bank() -> np.ndarray:
    """(2 phases x 4 scales x 32 rotations, 8, 8) kernels, in sealwatch's loop order."""
    rotations = np.arange(GFR_ROTATIONS) * np.pi / GFR_ROTATIONS
    return np.stack([gabor_kernel(s, r, p) for p in (0, np.pi / 2) for s in GFR_SIGMAS
                     for r in rotations])


def gfr(img: np.ndarray, steps) -> np.ndarray:
    """sealwatch.gfr.extract(img, quantization_steps=steps) (img: decompressed luminance),
    flattened: (17000,) float64."""
    ns, nr = len(GFR_SIGMAS), GFR_ROTATIONS
    per_kernel = np.repeat(np.tile(np.asarray(steps, np.float64), 2), nr)
    counts = _residual_counts(np.ascontiguousarray(img, np.float64), _gabor_bank(), per_kernel)
    h = _normalized(counts).reshape(2, ns, nr, 25, T + 1)
    out = np.zeros((2, ns, nr // 2 + 1, 25, T + 1))
    out[:, :, 0] = h[:, :, 0]
    out[:, :, -1] = h[:, :, nr // 2]
    k = np.arange(1, nr // 2)
    out[:, :, k] = (h[:, :, k] + h[:, :, -k]) / 2
    return out.ravel()


FEATURES = {"dctr": DCTR_DIM, "gfr": GFR_DIM}


def check_quality(kind: str, quality) -> None:
    """The quality a feature set can be extracted at, or one line why not."""
    if quality is None:
        raise InputError(f"{kind.upper()} features are set by the JPEG quality: a JPEG whose "
                         "table is not libjpeg's at any quality cannot be read")
    if kind == "gfr" and quality not in GFR_STEPS:
        raise InputError(f"GFR's quantization steps are known for QF "
                         f"{' and '.join(map(str, GFR_STEPS))} only (sealwatch's); these "
                         f"JPEGs are QF {quality}")


def extract(kind: str, image: JpegImage) -> np.ndarray:
    """The feature vector of one JPEG's luminance: DCTR or GFR at its quality."""
    quality = image.quality
    check_quality(kind, quality)
    if kind == "dctr":
        x1 = image.luminance()
        x1 -= 128  # as sealwatch: an undone level shift
        return dctr(x1, dctr_step(quality))
    return gfr(image.luminance(), GFR_STEPS[quality])


def _key(kind: str, image: JpegImage) -> str:
    h = hashlib.sha1(image.components[0].tobytes())
    h.update(image.tables[0].astype(np.uint16).tobytes())
    h.update(f"{image.components[0].shape}{image.height}x{image.width}-{kind}-v{VERSION}"
             .encode())
    return h.hexdigest()


def _one(args):
    return extract(*args)


def features(kind: str, images, workers: int = 0, cache=True) -> np.ndarray:
    """(N, dim) features of JpegImages, each cached on disk by its coefficients (as the SRM
    features are, steganalysis/features.py)."""
    if any(not isinstance(i, JpegImage) for i in images):
        raise InputError(f"{kind}-fld reads JPEG files (a corpus of data prepare --jpeg QF "
                         "and its JPEG stegos); these images are not JPEGs")
    for q in {i.quality for i in images}:
        check_quality(kind, q)
    out = cached_vectors(kind, [_key(kind, i) for i in images], [(kind, i) for i in images],
                         _one, workers, cache, kind.upper())
    return np.stack(out) if out else np.zeros((0, FEATURES[kind]))
