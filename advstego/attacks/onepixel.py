"""Black-box One Pixel attack (Su, Vargas, Sakurai 2019) by differential evolution.

A candidate changes p pixels: (row, column, new grey value) each, or (row, column, r, g, b)
in an RGB image, all integers
(scipy's differential_evolution with integrality). Only the detector's probabilities
are queried, a whole population per call (vectorized); DE stops on success.
"""

from __future__ import annotations

import numpy as np

from ..options import Option
from .base import Attack, AttackResult
from .registry import ATTACKS


def onepixel(prob_stego, stego: np.ndarray, pixels: int = 1, maxiter: int = 50,
             popsize: int = 20, seed: int = 500) -> dict:
    """Attack one uint8 gray or RGB stego; prob_stego maps a list of images to P(stego).

    Returns {"image": attacked uint8, "success", "queries", "prob_before", "prob_after"}.
    """
    from scipy.optimize import differential_evolution

    stego = np.asarray(stego, dtype=np.uint8)
    h, w = stego.shape[:2]
    k = 5 if stego.ndim == 3 else 3  # row, column and the pixel's new value(s)
    bounds = ([(0, h - 1), (0, w - 1)] + [(0, 255)] * (k - 2)) * pixels
    queries = 0

    def apply(v):
        img = stego.copy()
        v = np.round(v).astype(int).reshape(pixels, k)
        img[v[:, 0], v[:, 1]] = v[:, 2:] if k == 5 else v[:, 2]
        return img

    def objective(pop):  # pop: (3p, S) with vectorized=True
        nonlocal queries
        cands = [apply(pop[:, j]) for j in range(pop.shape[1])]
        queries += len(cands)
        return np.asarray(prob_stego(cands), dtype=np.float64)

    before = float(prob_stego([stego])[0])
    queries += 1
    if before < 0.5:
        return {"image": stego, "success": True, "queries": queries, "prob_before": before,
                "prob_after": before}
    result = differential_evolution(
        objective, bounds, maxiter=maxiter, popsize=popsize, seed=seed, integrality=True,
        vectorized=True, updating="deferred", polish=False, tol=0, atol=0,
        callback=lambda intermediate_result: bool(intermediate_result.fun < 0.5))
    best = apply(result.x)
    after = float(prob_stego([best])[0])
    queries += 1
    return {"image": best, "success": after < 0.5, "queries": queries,
            "prob_before": before, "prob_after": after}


@ATTACKS.register("onepixel")
class OnePixel(Attack):
    """Black box: differential evolution on p pixels, only P(stego) is queried."""
    name = "onepixel"
    chunk = 1
    options = {"pixels": Option(int, 1, 1, "pixels changed"),
               "maxiter": Option(int, 50, 1, "DE generations"),
               "popsize": Option(int, 20, 1, "DE population multiplier"),
               "seed": Option(int, 500, None, "DE seed")}

    def run(self, detector, stegos, settings):
        rs = [onepixel(detector.prob_stego, s, settings["pixels"], settings["maxiter"],
                       settings["popsize"], settings["seed"]) for s in stegos]
        return AttackResult([r["image"] for r in rs], [r["queries"] for r in rs],
                            [{"success": bool(r["success"])} for r in rs])
