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
THREADS_FROM = 1 << 18  # pixels from which S-UNIWARD's filter pairs run on threads
# the cost functions, the one table of their names: name -> (2-D uint8 image) -> (ρ+1, ρ−1)
# with wet costs (WET) where a change would clip. A new cost is one function with @cost here.
COSTS: dict = {}


def cost(name: str):
    """Function decorator: a cost function joins COSTS under name."""
    def add(fn):
        COSTS[name] = fn
        return fn
    return add


# The Daubechies-8 high-pass filter to conseal's ten decimals (conseal.tools.spatial.
# daubechies8; PyWavelets' exact db8 differs in the 11th): conseal's map, bit for bit, without
# importing conseal (1 s: it loads scipy.signal) on every hide.
DB8_HIGH = (-0.0544158422, +0.3128715909, -0.6756307363, +0.5853546837,
            +0.0158291053, -0.2840155430, -0.0004724846, +0.1287474266,
            +0.0173693010, -0.0440882539, -0.0139810279, +0.0087460940,
            +0.0048703530, -0.0003917404, -0.0006754494, -0.0001174768)


@functools.cache
def _pairs():
    high = np.array(DB8_HIGH)
    low = np.power(-1, np.arange(len(high))) * np.flip(high)  # as conseal derives it
    return ((low, high), (high, low), (high, high))  # conseal's 2-D filters: outer(a, b)


def _correlate1d(x, a, axis):
    """scipy.ndimage.correlate1d(x, a, axis, mode='constant', origin=-1) for an even-length a:
    out[i] = sum_k a[k] x[i + k - len(a)/2 + 1], zeros outside (numpy only: importing
    scipy.ndimage costs a one-image hide 0.4 s)."""
    n = len(a)
    pad = [(0, 0), (0, 0)]
    pad[axis] = (n // 2 - 1, n // 2)
    w = np.lib.stride_tricks.sliding_window_view(np.pad(x, pad), n, axis=axis)
    return w @ a


def _correlate(x, a, b):
    """scipy.signal.correlate2d(x, outer(a, b), 'same', fill 0) for 16-tap a, b."""
    return _correlate1d(_correlate1d(x, a, 0), b, 1)


def suniward(x: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """S-UNIWARD cost of a ±1 change at every pixel of a 2-D image, as conseal's compute_cost.
    A photo's three filter pairs run on threads (NumPy lets go of the GIL), summed in order."""
    x = np.asarray(x, np.float64)
    pad = 16
    padded = np.pad(x, pad, "symmetric")

    def pair(ab):
        a, b = ab
        residual = _correlate(padded, a[::-1], b[::-1])
        xi = _correlate(1.0 / (np.abs(residual) + sigma), np.abs(a), np.abs(b))
        return xi[pad - 1:-pad - 1, pad - 1:-pad - 1]  # conseal rolls by one, then crops

    if x.size < THREADS_FROM:
        parts = map(pair, _pairs())
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(3) as pool:
            parts = list(pool.map(pair, _pairs()))
    rho = np.zeros_like(x)
    for xi in parts:
        rho += xi
    return rho


@cost("suniward")
def suniward_adjusted(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ρ+1, ρ−1) as conseal.suniward.compute_cost_adjusted: wet where a change would clip."""
    rho = suniward(x)
    rho[~np.isfinite(rho) | (rho > WET)] = WET
    plus, minus = rho.copy(), rho
    plus[x == 255] = WET
    minus[x == 0] = WET
    return plus, minus


def _conseal(module: str):
    def adjusted(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import conseal

        return getattr(conseal, module).compute_cost_adjusted(x)
    adjusted.__doc__ = f"(ρ+1, ρ−1) of conseal's {module.upper()}, wet where a change would clip."
    return adjusted


cost("wow")(_conseal("wow"))
cost("hill")(_conseal("hill"))


def cost_adjusted(x: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray]:
    """(ρ+1, ρ−1) of a 2-D uint8 image with a cost function of COSTS."""
    if method not in COSTS:
        from ..errors import InputError

        raise InputError(f"unknown cost {method!r}; known: {', '.join(COSTS)}")
    return COSTS[method](x)
