"""Cost maps (ρ+1, ρ−1) of ±1 changes to a JPEG's quantized DCT coefficients, one channel:
J-UNIWARD and UERD as conseal defines them.

Conseal's convention, kept: every coefficient may change (DC, zeros and non-zero AC alike;
J-UNIWARD's costs are high where a change shows), and a change is wet (never made) only
where it would leave the 8-bit baseline range (+1 at 1023 and above, −1 at −1023 and below)
or where the cost is not finite (UERD: a block with no AC energy in its whole neighbourhood).
Costs come as (rows, cols, 8, 8), as the coefficients.

J-UNIWARD (Holub, Fridrich, Denemark 2014; conseal.juniward, its original implementation
with the off-by-one crop): the relative change of the Daubechies-8 wavelet residuals of the
decompressed channel x0, the pixels a decoder shows (the original reads them with imread):
here the coefficients decompressed in floating point, rounded and clipped to 0..255
(libjpeg's integer inverse DCT may differ by one at a few pixels; embedding/jpeg.py's
simulator uses libjpeg's where the image fills its blocks). The residual's filter and
the impact of a coefficient on a residual are separable (a DCT basis function times a
separable filter), so the residual and each 23×23 window sum of conseal are two passes of
24-tap windows at every 8th row or column here, each pass one matrix product (BLAS): the
same costs up to float rounding (tests/test_jpeg_hider.py, tests/test_speed_paths.py) at a
fraction of the time (conseal's einsum: about 40 s on 12 megapixels; here about 1.2 s of CPU).
"""

from __future__ import annotations

import os

import numpy as np

from ..data.jpeg import decompress
from .costs import THREADS_FROM, _pairs

SIGMA = 2.0 ** -6  # conseal's J-UNIWARD stabilising constant
STRIP = 32  # block rows of J-UNIWARD computed at once
LIMIT = 1023  # the largest magnitude of an 8-bit baseline coefficient
DCT_COSTS: dict = {}  # name -> (coefficients, table (8, 8)[, x0]) -> (ρ+1, ρ−1)


def _dct_matrix() -> np.ndarray:
    """The orthonormal 8-point DCT-II matrix: row k is basis function k."""
    n = np.arange(8)
    d = 0.5 * np.cos(np.pi * (2 * n[None, :] + 1) * n[:, None] / 16)
    d[0] /= np.sqrt(2)
    return d


def pixels(y: np.ndarray, table: np.ndarray) -> np.ndarray:
    """x0: the channel decompressed, rounded and clipped, (rows·8, cols·8) float64."""
    return np.clip(np.round(decompress(y, np.asarray(table, np.float64))), 0, 255)


def _impacts(a: np.ndarray) -> np.ndarray:
    """|correlation| (full, 23 taps) of each DCT basis function with a 16-tap filter, padded
    to 24 taps: (8, 24)."""
    d = _dct_matrix()
    out = np.zeros((8, 24))
    for k in range(8):
        out[k, :23] = np.abs(np.correlate(d[k], a, "full"))
    return out


def _taps(a: np.ndarray) -> np.ndarray:
    """(8, 24): row t holds the 16-tap filter a at columns t..t+15, so that row t of a
    product with 24 consecutive samples is the correlation at the t-th of 8 outputs."""
    out = np.zeros((8, 24))
    for t in range(8):
        out[t, t:t + 16] = a
    return out


def _band(x: np.ndarray, u: np.ndarray, blocks: int, skip: int = 0) -> np.ndarray:
    """t[8m + k, i] = Σ_j u[k, j] x[i, skip + 8m + j] (j < 24, m < blocks): a 24-tap window
    at every 8th column of x, the result transposed, as one matrix product per m (BLAS reads
    the transposed windows in place: no transposing copy); (8 · blocks, x's rows)."""
    s0, s1 = x.strides
    need = skip + 8 * blocks + 16
    if x.shape[1] < need:
        raise ValueError(f"_band: {x.shape[1]} columns, {need} needed")
    windows = np.lib.stride_tricks.as_strided(x[:, skip:], (blocks, 24, x.shape[0]),
                                              (8 * s1, s1, s0), writeable=False)
    return np.matmul(u, windows).reshape(8 * blocks, x.shape[0])


def juniward(x0: np.ndarray, table: np.ndarray) -> np.ndarray:
    """J-UNIWARD cost of a ±1 change of each coefficient of a channel whose decompressed
    pixels are x0 (rows·8, cols·8), as conseal.juniward.compute_cost (sigma 2^-6, the
    original implementation). Computed in strips of STRIP block rows (their temporaries stay
    small), a photo's strips on threads."""
    rows, cols = x0.shape[0] // 8, x0.shape[1] // 8
    h, w = rows * 8, cols * 8
    x = np.zeros((h + 40, w + 40))  # symmetric padding of 16, zeros beyond (never weighed)
    x[:h + 32, :w + 32] = np.pad(np.asarray(x0, np.float64), 16, "symmetric")
    table = np.asarray(table, np.float64)
    out = np.empty((rows, cols, 8, 8))

    def strip(m0: int) -> None:  # block rows m0 .. m1 - 1, from pixel rows 8 m0 .. 8 m1 + 39
        m1 = min(m0 + STRIP, rows)
        xs, hs = x[8 * m0:8 * m1 + 40], 8 * (m1 - m0)
        rho = None
        for a, b in _pairs():  # conseal's filter outer(a, b): a along the rows
            # conseal's cropped residual, Σ a[k] b[l] x[i + 2 + k, j + 2 + l], one row and
            # column more than it needs; each pass transposes
            r = _band(_band(xs, _taps(b), cols + 2, 2), _taps(a), m1 - m0 + 2, 2)
            np.abs(r, out=r)
            r += SIGMA
            np.reciprocal(r, out=r)
            r[hs + 15], r[:, w + 15] = 0, 0  # the extra row and column (weighed 0)
            part = _band(_band(r, _impacts(b), cols), _impacts(a), m1 - m0)  # (hs, w)
            rho = part if rho is None else np.add(rho, part, out=rho)  # in conseal's order
        np.multiply(rho.reshape(m1 - m0, 8, cols, 8).transpose(0, 2, 1, 3), table,
                    out=out[m0:m1])

    starts = range(0, rows, STRIP)
    threads = min(os.cpu_count() or 1, len(starts)) if x0.size >= THREADS_FROM else 1
    if threads < 2:
        for m0 in starts:
            strip(m0)
    else:  # a photo: NumPy and BLAS let go of the GIL
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(strip, starts))
    return out


def _adjusted(rho: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rho = np.where(np.isfinite(rho), rho, np.inf)
    plus, minus = rho.copy(), rho
    plus[y >= LIMIT] = np.inf
    minus[y <= -LIMIT] = np.inf
    return plus, minus


def cost(name: str):
    def add(fn):
        DCT_COSTS[name] = fn
        return fn
    return add


@cost("juniward")
def juniward_adjusted(y: np.ndarray, table: np.ndarray,
                      x0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ρ+1, ρ−1) of J-UNIWARD: conseal.juniward.compute_cost_adjusted's (wet: inf); x0 the
    decompressed pixels (default: pixels(y, table))."""
    return _adjusted(juniward(pixels(y, table) if x0 is None else x0, table), y)


@cost("uerd")
def uerd_adjusted(y: np.ndarray, table: np.ndarray,
                  x0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ρ+1, ρ−1) of UERD (Guo et al. 2015): conseal.uerd.compute_cost_adjusted's."""
    import conseal

    rp, rm = conseal.uerd.compute_cost_adjusted(y, np.asarray(table, np.float64))
    wet = 10.0 ** 13  # conseal's wet cost
    return np.where(rp >= wet, np.inf, rp), np.where(rm >= wet, np.inf, rm)
