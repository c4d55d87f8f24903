"""Adversarial embedding costs (ADV-EMB: Tang, Tan, Li, Huang, IEEE TIFS 2019) for STC.

An attack inside the embedding: it needs the wardens, so it lives above steganalysis; the
STC hider (hiding/classical.py) and the simulators (embedding/) take an adversary made here
or by Backpack (backpack.py); strategy.py loads a strategy's wardens and builds either.

The pool of CNN wardens scores an image by the smooth max over wardens of the margin
logit(stego) − logit(cover); it is called a cover when every margin is below 0. Its gradient
g with respect to the pixels says which ±1 change raises the score: where g > 0 a +1 change
does, so in the adjustable group ρ+1 is multiplied by α and ρ−1 divided by α; where g < 0
the other way round.

scheme "published" (the default, Adversary.embed_published): as Tang et al. publish it —
the message split (1 − σ) / σ over a keyed common group and adjustable group, the common
part embedded first with the plain costs, the gradient taken at that intermediate stego,
σ = 0.1 .. 0.9 ascending, the smallest fooling σ kept, the plain stego when none fools; the
receiver reads both parts (a second head format). scheme "joint" (this toolkit's earlier
variant, Adversary.embed): one STC code over all elements, the gradient at the plain stego
summed over successive stegos, then a bisection on the adjustable share β.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError

ALPHA = 2.0   # the paper's default cost scaling
SEARCH = 4    # embeddings per image after the plain one (the joint scheme)
SIGMAS = tuple(k / 10 for k in range(1, 10))  # the published scheme's adjustable shares
SCHEMES = ("published", "joint", "backpack")  # backpack: attacks/backpack.py
WET = 1e7


def modulate(rho_p, rho_m, grad, group, alpha: float = ALPHA):
    """(ρ+1, ρ−1) with the change that lowers the score made cheaper (ρ/α) and the other
    dearer (ρ·α), in `group` only (a boolean mask); wet costs stay wet."""
    up, down = group & (grad > 0), group & (grad < 0)
    wet_p, wet_m = rho_p >= WET, rho_m >= WET
    rp = np.where(up, rho_p * alpha, np.where(down, rho_p / alpha, rho_p))
    rm = np.where(up, rho_m / alpha, np.where(down, rho_m * alpha, rho_m))
    return np.where(wet_p, rho_p, rp), np.where(wet_m, rho_m, rm)


class Adversary:
    """A pool of differentiable wardens and the search against them (ADV-EMB)."""

    def __init__(self, wardens, alpha: float = ALPHA, search: int = SEARCH, seed: int = 0,
                 scheme: str = "published"):
        if scheme not in ("published", "joint"):
            raise InputError(f"ADV-EMB scheme {scheme!r}: published or joint")
        self.scheme = scheme
        if not wardens:
            raise InputError("adversarial costs need at least one CNN warden")
        if not alpha > 1:
            raise InputError(f"--alpha {alpha}: the cost scaling must be above 1")
        bad = [w.name for w in wardens if not w.differentiable]
        if bad:
            raise InputError(f"adversarial costs need differentiable (CNN) wardens, not "
                             f"{', '.join(bad)}")
        self.wardens, self.alpha, self.search, self.seed = list(wardens), alpha, search, seed
        for w in self.wardens:
            w.net.eval().requires_grad_(False)

    def attack(self, cover, plain, rp, rm, embed, two_parts, key_seed: int, bits: int):
        """The adversarial stego of a cover, given its plain stego and costs: embed(ρ+1,
        ρ−1) -> a one-part stego; two_parts(σ, adjust) -> a two-part one (and its info);
        bits: the message's length. Returns (stego, adversarial info, the stego's own info:
        {} where embed made it)."""
        if self.scheme == "published":
            return self.embed_published(plain, rp, rm, two_parts)
        return (*self.embed(rp, rm, embed, key_seed), {})

    def _margins(self, x):
        import torch

        return torch.stack([(lg := w.logits(x))[:, 1] - lg[:, 0] for w in self.wardens])

    def score(self, image: np.ndarray) -> float:
        """The largest margin of the pool (below 0: every warden calls it a cover)."""
        import torch

        with torch.no_grad():
            return float(self._margins(self._tensor(image)).max())

    def gradient(self, image: np.ndarray) -> tuple[float, np.ndarray]:
        """(score, d smooth-max margin / d pixels) of one uint8 image."""
        import torch

        x = self._tensor(image).requires_grad_(True)
        m = self._margins(x)
        torch.logsumexp(m, 0).sum().backward()
        g = x.grad[0].permute(1, 2, 0).numpy() if image.ndim == 3 else x.grad[0, 0].numpy()
        return float(m.detach().max()), g.astype(np.float64)

    def _tensor(self, image):
        import torch

        t = torch.from_numpy(np.ascontiguousarray(image)).float().div(255)
        return t[None, None] if image.ndim == 2 else t.permute(2, 0, 1)[None]

    def embed(self, rho_p, rho_m, embed_fn, key_seed: int = 0):
        """embed_fn(ρ+1, ρ−1) -> uint8 stego; returns (stego, info).

        Up to `search` embeddings after the plain one: each modulates every element by the
        gradient summed (each normalised) over the stegos so far, until the pool calls the
        stego a cover; the embeddings left then shrink the adjustable group (bisection on β,
        the smallest fooling group kept). Never fooled: the stego of lowest score is kept (the
        plain one among them: the min-max choice of Bernard et al.)."""
        plain = embed_fn(rho_p, rho_m)
        s0, grad = self.gradient(plain)
        info = {"beta": 0.0, "score_plain": s0, "score": s0, "fooled": s0 < 0, "embeddings": 1}
        if s0 < 0:
            return plain, info
        best = (s0, plain, 0.0)  # lowest score seen: (score, stego, beta)
        total = grad / _scale(grad)
        everything = np.ones(grad.shape, bool)
        fooled, left = None, self.search
        while left and fooled is None:
            y = embed_fn(*modulate(rho_p, rho_m, total, everything, self.alpha))
            s, g = self.gradient(y)
            left -= 1
            best = min(best, (s, y, 1.0), key=lambda b: b[0])
            if s < 0:
                fooled = (1.0, y, s)
            else:
                total = total + g / _scale(g)
        if fooled is not None and left:  # the smallest adjustable group that still fools
            u = np.random.default_rng([key_seed, self.seed, 3]).random(grad.shape)
            lo, hi = 0.0, 1.0
            while left:
                beta = (lo + hi) / 2
                y = embed_fn(*modulate(rho_p, rho_m, total, u < beta, self.alpha))
                s = self.score(y)
                left -= 1
                if s < 0:
                    fooled, hi = (beta, y, s), beta
                else:
                    lo = beta
        info["embeddings"] = 1 + self.search - left
        if fooled is not None:
            b, y, s = fooled
            info.update(beta=b, score=s, fooled=True)
            return y, info
        s, y, b = best
        info.update(beta=b, score=s, fooled=False)
        return y, info


    def embed_published(self, plain, rho_p, rho_m, two_parts):
        """ADV-EMB as Tang et al. publish it: σ = 0.1, 0.2, ... 0.9, each a stego whose common
        group (1 − σ) is embedded first with the plain costs and whose adjustable group (σ) gets
        the costs modulated by the gradient at that intermediate stego; the smallest σ whose
        stego the pool calls a cover wins; none: the plain stego. Returns (stego, adversarial
        info, the stego's own info: {} for the plain one)."""
        s0 = self.score(plain)
        info = {"scheme": "published", "sigma": 0.0, "score_plain": s0, "score": s0,
                "fooled": s0 < 0, "embeddings": 1, "tried": []}
        if s0 < 0:
            return plain, info, {}
        everything = np.ones(plain.shape, bool)

        def adjust(mid):
            _, g = self.gradient(mid)
            return modulate(rho_p, rho_m, g, everything, self.alpha)
        for sigma in SIGMAS:
            try:
                y, got = two_parts(sigma, adjust)
            except ValueError:  # a part does not fit its group at this σ
                continue
            s = self.score(y)
            info["embeddings"] += 1
            info["tried"].append([sigma, s])
            if s < 0:
                info.update(sigma=sigma, score=s, fooled=True)
                return y, info, got
        return plain, info, {}


def _scale(g):
    return float(np.abs(g).mean()) or 1.0
