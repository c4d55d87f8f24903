"""Backpack (Bernard, Bas, Klein, Pevný, "Backpack: a backpropagable adversarial embedding
scheme", IEEE TIFS 2022): the embedding costs are optimised by gradient descent through a
differentiable simulator of the ternary embedding, then the real STC embeds with them (the
receiver reads the same one-part stego as ever).

The simulator: costs (ρ+1, ρ−1) and the λ that makes the change probabilities
p± = exp(−λρ±) / (1 + exp(−λρ+) + exp(−λρ−)) carry the message's bits (ternary entropy);
λ follows the costs through the implicit function theorem (one Newton step from the
bisected λ has λ's value and its gradient). A change is drawn with Gumbel noise, hard in the
forward pass and the softmax's gradient in the backward pass (straight-through
Gumbel-softmax), a few draws a step. Adam lowers the smooth max over the pool of the
margin logit(stego) − logit(cover), on the log-costs (they stay positive; wet ones stay
wet). Every few steps the real STC stego of the current costs is scored; the first that the
pool calls a cover is kept; none: the plain stego (as ADV-EMB: no distortion for nothing).
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import InputError
from .adversarial_costs import WET, Adversary


def entropy_bits(lam, cp, cm) -> torch.Tensor:
    """Ternary entropy (bits) of the change probabilities at λ for costs (ρ+1, ρ−1)."""
    logits = torch.stack([-lam * cm, torch.zeros_like(cp), -lam * cp])
    logp = torch.log_softmax(logits, 0)
    return -(logp.exp() * logp).sum() / np.log(2)


def solve_lambda(cp, cm, bits: float) -> torch.Tensor:
    """The λ whose change probabilities carry `bits` (bisection on log λ), differentiable in
    the costs by the implicit function theorem."""
    with torch.no_grad():
        lo, hi = -30.0, 30.0  # log λ: entropy falls as λ grows
        for _ in range(60):
            mid = (lo + hi) / 2
            if entropy_bits(np.exp(mid), cp, cm) > bits:
                lo = mid
            else:
                hi = mid
        lam0 = torch.tensor(np.exp((lo + hi) / 2), dtype=cp.dtype)
    lam_var = lam0.clone().requires_grad_(True)
    slope = torch.autograd.grad(entropy_bits(lam_var, cp.detach(), cm.detach()), lam_var)[0]
    if not torch.isfinite(slope) or slope == 0:
        return lam0
    return lam0 - (entropy_bits(lam0, cp, cm) - bits) / slope.detach()


def change_probabilities(cp, cm, bits: float) -> torch.Tensor:
    """log p(−1), log p(0), log p(+1) of each element (stacked first) at the payload's λ."""
    lam = solve_lambda(cp, cm, bits)
    return torch.log_softmax(torch.stack([-lam * cm, torch.zeros_like(cp), -lam * cp]), 0)


def sample_changes(logp, draws: int, generator) -> torch.Tensor:
    """(draws, *shape) ternary changes, hard forward and soft backward."""
    u = torch.rand((draws, *logp.shape), generator=generator, dtype=logp.dtype)
    gumbel = -torch.log(-torch.log(u.clamp(1e-12, 1 - 1e-12)))
    soft = torch.softmax(logp[None] + gumbel, 1)
    hard = torch.nn.functional.one_hot(soft.argmax(1), 3).movedim(-1, 1).to(soft.dtype)
    y = hard - soft.detach() + soft
    return y[:, 2] - y[:, 0]


class Backpack(Adversary):
    """Costs optimised against a pool of differentiable wardens (Backpack)."""

    def __init__(self, wardens, steps: int = 20, lr: float = 0.1, draws: int = 4,
                 check: int = 5, seed: int = 0):
        super().__init__(wardens, seed=seed)
        self.scheme = "backpack"
        if steps < 1 or not lr > 0 or draws < 1 or check < 1:
            raise InputError("backpack: steps, draws and check at least 1, lr above 0")
        self.steps, self.lr, self.draws, self.check = steps, lr, draws, check

    def costs(self, cover, rp, rm, bits: float, key_seed: int = 0, on_check=None):
        """Optimise (ρ+1, ρ−1) of one gray uint8 cover against the pool for a message of
        `bits`; every `check` steps on_check(ρ+1, ρ−1) -> True stops (the real stego fools).
        Returns (the last costs, the simulator's mean highest margin of each step)."""
        x = torch.from_numpy(np.asarray(cover, np.float32))
        r0 = [torch.from_numpy(np.minimum(r, WET)).double() for r in (rp, rm)]
        dry = [(r < WET).double() for r in r0]
        theta = [torch.zeros_like(r, requires_grad=True) for r in r0]
        opt = torch.optim.Adam(theta, lr=self.lr)
        gen = torch.Generator().manual_seed((int(key_seed) * 7919 + self.seed) % 2 ** 62)

        def now():  # the costs as numpy, wet where they were wet
            with torch.no_grad():
                return tuple(np.where(r >= WET, r, (q * torch.exp(t * d)).numpy())
                             for r, q, t, d in zip((rp, rm), r0, theta, dry))
        trace = []
        for step in range(1, self.steps + 1):
            cp, cm = (q * torch.exp(t * d) for q, t, d in zip(r0, theta, dry))
            delta = sample_changes(change_probabilities(cp, cm, bits), self.draws, gen)
            m = self._margins(((x + delta.float()) / 255).clamp(0, 1)[:, None])
            loss = torch.logsumexp(m, 0).mean()  # smooth max over wardens, mean over draws
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            trace.append(float(m.detach().max(0).values.mean()))
            if on_check is not None and (step % self.check == 0 or step == self.steps):
                if on_check(*now()):
                    break
        return now(), trace

    def attack(self, cover, plain, rp, rm, embed, two_parts, key_seed: int, bits: int):
        """Backpack's stego of one cover (see Adversary.attack)."""
        if cover.ndim != 2:
            raise InputError("backpack takes gray covers (the wardens are gray)")
        s0 = self.score(plain)
        info = {"scheme": "backpack", "score_plain": s0, "score": s0, "fooled": s0 < 0,
                "embeddings": 1, "beta": 0.0, "steps": 0}
        if s0 < 0:
            return plain, info, {}
        fooled = []  # the first real stego the pool calls a cover

        def check(p, m):
            y = embed(p, m)
            s = self.score(y)
            info["embeddings"] += 1
            if s < 0:
                fooled.append((s, y))
            return s < 0
        _, trace = self.costs(cover, rp, rm, float(bits), key_seed, check)
        s, y = fooled[0] if fooled else (s0, plain)
        info.update(score=s, fooled=bool(fooled), steps=len(trace), beta=float(bool(fooled)),
                    simulated=[trace[0], trace[-1]])
        return y, info, {}
