"""The adversary family: an attack inside the embedding, against a pool of differentiable
wardens. Each member is one file that registers one class (`@ADVERSARIES.register(name)`,
and its line in attacks/registry.py) and declares its options; all are reached the same way:

    stego, info = adversary.stego(job)

job: one cover's embedding (hiding/job.py: StcJob for the STC hider, SimulatorJob for the
simulators); stego: an Embedded; info: an AdversaryInfo. Members: published.py and joint.py
(ADV-EMB: Tang, Tan, Li, Huang, IEEE TIFS 2019), backpack.py (Bernard et al., 2022).

The pool scores an image by the smooth max over wardens of the margin logit(stego) −
logit(cover); it is called a cover when every margin is below 0. Its gradient g with respect
to the job's elements says which ±1 change raises the score: where g > 0 a +1 change does,
so modulate makes ρ+1 dearer (·α) and ρ−1 cheaper (/α) there, and the other way where
g < 0. The elements are the job's domain (hiding/job.py): pixels, or a JPEG's DCT
coefficients, which the wardens read decompressed (linear: the gradient of a coefficient is
q · blockDCT of the pixels' gradient); every member reads them through the job alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import InputError
from ..hiding.job import WET, Embedded, EmbeddingJob
from ..options import Option, check

# the ADV-EMB members' cost scaling (the paper's default 2)
ALPHA = Option(float, 2.0, 1, "ADV-EMB cost scaling", above=True, maximum=100)


@dataclass
class AdversaryInfo:
    """What an adversary did for one stego. share: the share of the payload in the
    adjustable group (σ published, β joint, 1 for a fooling Backpack stego, 0 for the plain
    stego); extra: the member's own traces (tried, steps, simulated, ...)."""
    scheme: str
    fooled: bool
    score_plain: float
    score: float
    embeddings: int = 1
    share: float = 0.0
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = asdict(self)
        extra = out.pop("extra")
        return {**out, **extra}


def modulate(rho_p, rho_m, grad, group, alpha: float = ALPHA.default):
    """(ρ+1, ρ−1) with the change that lowers the score made cheaper (ρ/α) and the other
    dearer (ρ·α), in `group` only (a boolean mask); wet costs stay wet."""
    up, down = group & (grad > 0), group & (grad < 0)
    wet_p, wet_m = rho_p >= WET, rho_m >= WET
    rp = np.where(up, rho_p * alpha, np.where(down, rho_p / alpha, rho_p))
    rm = np.where(up, rho_m / alpha, np.where(down, rho_m * alpha, rho_m))
    return np.where(wet_p, rho_p, rp), np.where(wet_m, rho_m, rm)


class Adversary:
    """A pool of differentiable wardens, and (in each member) the search against them."""

    scheme = ""  # the member's name in ADVERSARIES
    options = {"seed": Option(int, 0, 0, "the adversary's own seed (beside the job's)",
                              maximum=2 ** 31 - 1)}

    def __init__(self, wardens, **settings):
        for k, v in check(f"adversary {self.scheme}", self.options, settings).items():
            setattr(self, k, v)
        if not wardens:
            raise InputError("adversarial costs need at least one CNN warden")
        bad = [w.name for w in wardens if not w.differentiable]
        if bad:
            raise InputError(f"adversarial costs need differentiable (CNN) wardens, not "
                             f"{', '.join(bad)}")
        self.wardens = list(wardens)
        for w in self.wardens:
            w.net.eval().requires_grad_(False)

    @classmethod
    def about(cls, **settings) -> str:
        """The scheme in a few words, with its checked settings (a game's report)."""
        return cls.scheme

    def stego(self, job: EmbeddingJob) -> tuple[Embedded, AdversaryInfo]:  # pragma: no cover
        """The adversarial stego of one cover's embedding job, and what it took."""
        raise NotImplementedError

    def _margins(self, x):
        import torch

        return torch.stack([(lg := w.logits(x))[:, 1] - lg[:, 0] for w in self.wardens])

    def score(self, image: np.ndarray, job: EmbeddingJob) -> float:
        """The largest margin of the pool (below 0: every warden calls it a cover) on one
        stego's elements, read as the job's wardens read them (its domain)."""
        import torch

        with torch.no_grad():
            return float(self._margins(job.warden_input(job.tensor(image)[None])).max())

    def gradient(self, image: np.ndarray, job: EmbeddingJob) -> tuple[float, np.ndarray]:
        """(score, d smooth-max margin / d elements) of one stego's elements: pixels, or a
        JPEG's coefficients through the decompression (the job's domain)."""
        import torch

        e = job.tensor(image).requires_grad_(True)
        m = self._margins(job.warden_input(e[None]))
        torch.logsumexp(m, 0).sum().backward()
        return float(m.detach().max()), e.grad.numpy().astype(np.float64)
