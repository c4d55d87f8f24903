"""Cost maps (ρ+1, ρ−1) of adaptive embedding, one gray channel at a time.

S-UNIWARD's three Daubechies-8 filters are outer products of two 1-D filters, so each 16×16
correlation of conseal's cost map is two 16-tap passes here: the same map up to float
rounding (tests/test_costs.py), in a fraction of the time (benchmarks/stc_speed.py). WOW and
HILL come from conseal as they are.
"""

from __future__ import annotations

import functools

import numpy as np

WET = 10 ** 8  # conseal's wet cost for S-UNIWARD


@functools.cache
def _pairs():
    from conseal import tools

    (high, low), _ = tools.spatial.daubechies8()  # conseal's 2-D filters: outer(a, b)
    return ((low, high), (high, low), (high, high))


def _correlate(x, a, b):
    """scipy.signal.correlate2d(x, outer(a, b), 'same', fill 0) for 16-tap a, b."""
    from scipy.ndimage import correlate1d

    y = correlate1d(x, a, axis=0, mode="constant", cval=0.0, origin=-1)
    return correlate1d(y, b, axis=1, mode="constant", cval=0.0, origin=-1)


def suniward(x: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """S-UNIWARD cost of a ±1 change at every pixel of a 2-D image, as conseal's compute_cost."""
    x = np.asarray(x, np.float64)
    pad = 16
    padded = np.pad(x, pad, "symmetric")
    rho = np.zeros_like(x)
    for a, b in _pairs():
        residual = _correlate(padded, a[::-1], b[::-1])
        xi = _correlate(1.0 / (np.abs(residual) + sigma), np.abs(a), np.abs(b))
        rho += xi[pad - 1:-pad - 1, pad - 1:-pad - 1]  # conseal rolls by one, then crops
    return rho


def suniward_adjusted(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ρ+1, ρ−1) as conseal.suniward.compute_cost_adjusted: wet where a change would clip."""
    rho = suniward(x)
    rho[~np.isfinite(rho) | (rho > WET)] = WET
    plus, minus = rho.copy(), rho
    plus[x == 255] = WET
    minus[x == 0] = WET
    return plus, minus


def cost_adjusted(x: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray]:
    """(ρ+1, ρ−1) of a 2-D uint8 image for method: suniward | wow | hill."""
    if method == "suniward":
        return suniward_adjusted(x)
    import conseal

    return getattr(conseal, method).compute_cost_adjusted(x)
