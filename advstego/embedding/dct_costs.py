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
simulator uses libjpeg's where the image fills its blocks). The impact of a coefficient on
a residual is separable (a DCT basis function times a separable filter), so each 23×23
window sum of conseal is two 8-row passes here: the same costs up to float rounding
(tests/test_jpeg_hider.py) at a fraction of the time (conseal's einsum: about 40 s on 12
megapixels).
"""

from __future__ import annotations

import numpy as np

from ..data.jpeg import decompress
from .costs import THREADS_FROM, _correlate, _pairs

SIGMA = 2.0 ** -6  # conseal's J-UNIWARD stabilising constant
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


def _strided(r: np.ndarray, u: np.ndarray, axis: int) -> np.ndarray:
    """t[m, k, ...] = Σ_j u[k, j] r[8m + j, ...] along axis 0 of r (rows: 8·blocks + 15),
    as three 8-row matrix products (window j in 0..23, tap 23 zero)."""
    n = (r.shape[0] + 1) // 8  # blocks + 2
    r = np.concatenate([r, np.zeros((8 * n - r.shape[0], *r.shape[1:]))], 0)
    r = r.reshape(n, 8, -1)
    out = np.zeros((n - 2, 8, r.shape[2]))
    for g in range(3):
        out += u[:, 8 * g:8 * g + 8] @ r[g:n - 2 + g]
    return out


def juniward(x0: np.ndarray, table: np.ndarray) -> np.ndarray:
    """J-UNIWARD cost of a ±1 change of each coefficient of a channel whose decompressed
    pixels are x0 (rows·8, cols·8), as conseal.juniward.compute_cost (sigma 2^-6, the
    original implementation)."""
    rows, cols = x0.shape[0] // 8, x0.shape[1] // 8
    x = np.pad(np.asarray(x0, np.float64), 16, "symmetric")
    h, w = rows * 8, cols * 8

    def pair(ab):  # conseal's filter outer(a, b): a along the rows
        a, b = ab
        residual = _correlate(x, a, b)[9:h + 24, 9:w + 24]  # conseal's crop
        r = 1.0 / (np.abs(residual) + SIGMA)
        t = _strided(r, _impacts(a), 0)  # (rows, 8 j, w + 15)
        t = _strided(t.transpose(2, 0, 1).reshape(w + 15, -1), _impacts(b), 0)
        return t.reshape(cols, 8, rows, 8).transpose(2, 0, 3, 1)

    if x0.size < THREADS_FROM:
        parts = map(pair, _pairs())
    else:  # a photo: the three filters on threads (NumPy lets go of the GIL), summed in order
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(3) as pool:
            parts = list(pool.map(pair, _pairs()))
    rho = np.zeros((rows, cols, 8, 8))
    for part in parts:
        rho += part
    return rho * np.asarray(table, np.float64)


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
