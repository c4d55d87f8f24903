"""ADV-EMB as Tang, Tan, Li, Huang publish it (IEEE TIFS 2019): the message split (1 − σ) / σ
over a keyed common group and adjustable group; the common part embedded first with the plain
costs, the gradient taken at that intermediate stego, the adjustable group's costs modulated
by it; σ = 0.1 .. 0.9 ascending, the smallest fooling σ kept, the plain stego when none
fools. The receiver reads both parts (a second head format, hiding/classical.py)."""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .adversary import ALPHA, Adversary, AdversaryInfo, modulate
from .registry import ADVERSARIES

SIGMAS = tuple(k / 10 for k in range(1, 10))  # the adjustable shares tried


@ADVERSARIES.register("published")
class Published(Adversary):
    """ADV-EMB as published: the smallest adjustable share σ whose stego fools the pool."""

    scheme = "published"
    options = {**Adversary.options, "alpha": ALPHA}

    @classmethod
    def about(cls, **settings) -> str:
        return "ADV-EMB as published (sigma 0.1 .. 0.9)"

    def stego(self, job):
        if not job.two_parts:
            raise InputError(f"published ADV-EMB embeds in two parts; {type(job).__name__} "
                             "makes one-part stegos only (use --scheme joint or backpack)")
        s0 = self.score(job.plain.image, job)
        info = AdversaryInfo(self.scheme, s0 < 0, s0, s0, extra={"tried": []})
        if s0 < 0:
            return job.plain, info
        everything = np.ones(job.cover.shape, bool)
        for sigma in SIGMAS:
            try:
                common = job.common(sigma)  # the common group, with the plain costs
            except ValueError:  # a part does not fit its group at this σ
                continue
            _, g = self.gradient(common.image, job)  # at the intermediate stego
            try:
                y = job.finish(common, sigma, *modulate(job.rho_p, job.rho_m, g, everything,
                                                        self.alpha))
            except ValueError:
                continue
            s = self.score(y.image, job)
            info.embeddings += 1
            info.extra["tried"].append([sigma, s])
            if s < 0:
                info.share, info.score, info.fooled = sigma, s, True
                return y, info
        return job.plain, info
