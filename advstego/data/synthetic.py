"""Synthetic gray covers: smooth random fields plus mild sensor noise.

Their statistics are simple, so a known embedding is reliably visible to a rich model at
small sizes: fast, deterministic checks of detectors and attacks, not results about photos.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter


def synthetic_covers(n: int, size: int = 48, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        f = gaussian_filter(rng.normal(0, 1, (size, size)), rng.uniform(2, 6))
        f = 128 + 50 * f / f.std() + rng.normal(0, 1.0, (size, size))
        out.append(np.clip(np.round(f), 0, 255).astype(np.uint8))
    return out
