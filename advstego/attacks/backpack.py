"""Backpack (Bernard, Bas, Klein, Pevný, "Backpack: a backpropagable adversarial embedding
scheme", IEEE TIFS 2022): the embedding costs are optimised by gradient descent through a
differentiable simulator of the ternary embedding, then the job embeds with them (the
receiver reads the same one-part stego as ever).

The simulator: costs (ρ+1, ρ−1) of the job's elements (pixels, or a JPEG's coefficients,
whose simulated stegos reach the wardens decompressed: hiding/job.py) and the λ that makes
the change probabilities p± = exp(−λρ±) / (1 + exp(−λρ+) + exp(−λρ−)) carry the message's
bits (ternary entropy); λ follows the costs through the implicit function theorem (one
Newton step from the bisected λ has λ's value and its gradient). A change is drawn with
Gumbel noise, hard in the forward pass and the softmax's gradient in the backward pass
(straight-through Gumbel-softmax), a few draws a step. Adam lowers the smooth max over the pool of the
margin logit(stego) − logit(cover), on the log-costs (they stay positive; wet ones stay
wet). Every few steps the real stego of the current costs is scored; the first that the
pool calls a cover is kept; none: the plain stego (as ADV-EMB: no distortion for nothing).
Torch is imported when a function runs (listing the family's options needs none).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError
from ..hiding.job import WET
from ..options import Option
from .adversary import Adversary, AdversaryInfo
from .registry import ADVERSARIES

if TYPE_CHECKING:
    import torch


def entropy_bits(lam, cp, cm) -> torch.Tensor:
    """Ternary entropy (bits) of the change probabilities at λ for costs (ρ+1, ρ−1)."""
    import torch

    logits = torch.stack([-lam * cm, torch.zeros_like(cp), -lam * cp])
    logp = torch.log_softmax(logits, 0)
    return -(logp.exp() * logp).sum() / np.log(2)


def solve_lambda(cp, cm, bits: float) -> torch.Tensor:
    """The λ whose change probabilities carry `bits` (bisection on log λ), differentiable in
    the costs by the implicit function theorem."""
    import torch

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
    import torch

    lam = solve_lambda(cp, cm, bits)
    return torch.log_softmax(torch.stack([-lam * cm, torch.zeros_like(cp), -lam * cp]), 0)


def sample_changes(logp, draws: int, generator) -> torch.Tensor:
    """(draws, *shape) ternary changes, hard forward and soft backward."""
    import torch

    u = torch.rand((draws, *logp.shape), generator=generator, dtype=logp.dtype)
    gumbel = -torch.log(-torch.log(u.clamp(1e-12, 1 - 1e-12)))
    soft = torch.softmax(logp[None] + gumbel, 1)
    hard = torch.nn.functional.one_hot(soft.argmax(1), 3).movedim(-1, 1).to(soft.dtype)
    y = hard - soft.detach() + soft
    return y[:, 2] - y[:, 0]


@ADVERSARIES.register("backpack")
class Backpack(Adversary):
    """Costs optimised against a pool of differentiable wardens (Backpack)."""

    scheme = "backpack"
    options = {**Adversary.options,
               "steps": Option(int, 20, 1, "Backpack's Adam steps on one image's costs",
                               maximum=1000),
               "lr": Option(float, 0.1, 0, "their learning rate on the log-costs", above=True,
                            maximum=10),
               "draws": Option(int, 4, 1, "simulated stegos a step", maximum=64),
               "check": Option(int, 5, 1, "steps between two real stegos scored",
                               maximum=1000)}

    @classmethod
    def about(cls, steps=20, **settings) -> str:
        return f"Backpack ({steps} Adam steps)"

    def costs(self, job, rp, rm, bits: float, key_seed: int = 0):
        """Optimise (ρ+1, ρ−1) of one job's cover (one warden channel: gray pixels or a
        JPEG's luminance coefficients) against the pool for a message of `bits`: yields
        (ρ+1, ρ−1, the simulator's mean highest margin of each step so far) every `check`
        steps and after the last (the caller stops when a real stego fools). The simulated
        stegos reach the wardens as the job's do (its domain: pixels, or decompressed)."""
        import torch

        x = job.tensor(job.cover)
        r0 = [torch.from_numpy(np.minimum(r, WET)).double() for r in (rp, rm)]
        dry = [(r < WET).double() for r in r0]
        theta = [torch.zeros_like(r, requires_grad=True) for r in r0]
        opt = torch.optim.Adam(theta, lr=self.lr)
        gen = torch.Generator().manual_seed((int(key_seed) * 7919 + self.seed) % 2 ** 62)
        trace = []
        for step in range(1, self.steps + 1):
            cp, cm = (q * torch.exp(t * d) for q, t, d in zip(r0, theta, dry))
            delta = sample_changes(change_probabilities(cp, cm, bits), self.draws, gen)
            m = self._margins(job.warden_input(x + delta.to(x.dtype)))
            loss = torch.logsumexp(m, 0).mean()  # smooth max over wardens, mean over draws
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            trace.append(float(m.detach().max(0).values.mean()))
            if step % self.check == 0 or step == self.steps:
                with torch.no_grad():  # the costs as numpy, wet where they were wet
                    now = [np.where(r >= WET, r, (q * torch.exp(t * d)).numpy())
                           for r, q, t, d in zip((rp, rm), r0, theta, dry)]
                yield (*now, trace)

    def stego(self, job):
        """Backpack's stego of one cover (gray, or a JPEG's luminance): the first real stego
        of the optimised costs that the pool calls a cover, else the plain one."""
        if job.warden_channels != 1:
            raise InputError("backpack takes gray covers (the wardens are gray)")
        s0 = self.score(job.plain.image, job)
        info = AdversaryInfo(self.scheme, s0 < 0, s0, s0, extra={"steps": 0})
        if s0 < 0:
            return job.plain, info
        y = job.plain
        for rp, rm, trace in self.costs(job, job.rho_p, job.rho_m, float(job.bits),
                                        job.seed):
            got = job.embed(rp, rm)
            s = self.score(got.image, job)
            info.embeddings += 1
            if s < 0:
                y, info.score, info.fooled, info.share = got, s, True, 1.0
                break
        info.extra.update(steps=len(trace), simulated=[trace[0], trace[-1]])
        return y, info
