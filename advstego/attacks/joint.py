"""ADV-EMB, this toolkit's joint variant: one one-part code over every element; each
embedding after the plain one modulates every element's costs by the gradient summed (each
normalised) over the stegos so far, until the pool calls the stego a cover; the embeddings
left then shrink the adjustable group (a bisection on its share β, the smallest fooling group
kept). Never fooled: the stego of lowest score (the plain one among them: the min-max choice
of Bernard et al.)."""

from __future__ import annotations

import numpy as np

from ..options import Option
from .adversary import ALPHA, Adversary, AdversaryInfo, modulate
from .registry import ADVERSARIES


@ADVERSARIES.register("joint")
class Joint(Adversary):
    """ADV-EMB over one code: a gradient summed over stegos, then a bisection on β."""

    scheme = "joint"
    options = {**Adversary.options, "alpha": ALPHA,
               "search": Option(int, 4, 1, "embeddings per image after the plain one (joint)",
                                maximum=64)}

    @classmethod
    def about(cls, search=4, **settings) -> str:
        return f"ADV-EMB, joint variant ({search} embeddings a search)"

    def stego(self, job):
        plain = job.plain
        s0, grad = self.gradient(plain.image, job)
        info = AdversaryInfo(self.scheme, s0 < 0, s0, s0)
        if s0 < 0:
            return plain, info
        best = (s0, plain, 0.0)  # lowest score seen: (score, stego, β)
        total = grad / _scale(grad)
        everything = np.ones(grad.shape, bool)
        fooled, left = None, self.search
        while left and fooled is None:
            y = job.embed(*modulate(job.rho_p, job.rho_m, total, everything, self.alpha))
            s, g = self.gradient(y.image, job)
            left -= 1
            best = min(best, (s, y, 1.0), key=lambda b: b[0])
            if s < 0:
                fooled = (1.0, y, s)
            else:
                total = total + g / _scale(g)
        if fooled is not None and left:  # the smallest adjustable group that still fools
            u = np.random.default_rng([job.seed, self.seed, 3]).random(grad.shape)
            lo, hi = 0.0, 1.0
            while left:
                beta = (lo + hi) / 2
                y = job.embed(*modulate(job.rho_p, job.rho_m, total, u < beta, self.alpha))
                s = self.score(y.image, job)
                left -= 1
                if s < 0:
                    fooled, hi = (beta, y, s), beta
                else:
                    lo = beta
        info.embeddings = 1 + self.search - left
        if fooled is not None:
            info.share, y, info.score = fooled
            info.fooled = True
            return y, info
        info.score, y, info.share = best
        return y, info


def _scale(g):
    return float(np.abs(g).mean()) or 1.0
