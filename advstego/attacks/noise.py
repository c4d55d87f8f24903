"""A control, not an attack: random ±k noise at the same L-inf budget.

What an attack achieves beyond this is what its knowledge of the detector buys.
"""

from __future__ import annotations

import numpy as np

from ..options import Option
from .base import Attack, AttackResult
from .registry import ATTACKS


@ATTACKS.register("noise")
class RandomNoise(Attack):
    """Control: uniform random ±levels noise, no detector query"""
    name = "noise"
    options = {"levels": Option(int, 2, 1, "L-inf budget in grey levels"),
               "seed": Option(int, 0, None, "noise seed")}

    def run(self, detector, stegos, settings):
        rng = np.random.default_rng(settings["seed"])
        k = settings["levels"]
        out = [np.clip(s.astype(np.int64) + rng.integers(-k, k + 1, s.shape), 0, 255)
               .astype(np.uint8) for s in stegos]
        return AttackResult(out, [0] * len(stegos))
