"""One cover's embedding as an adversary sees it (attacks/adversary.py): the cover, its plain
costs and plain stego, and the embeddings it may ask for, called top to bottom.

    job.embed(ρ+1, ρ−1)               a one-part stego with these costs
    job.common(σ)                     a two-part stego, step 1: the common group (1 − σ of
                                      the elements, keyed) carries 1 − σ of the message with
                                      the plain costs: the intermediate stego
    job.finish(common, σ, ρ+1, ρ−1)   step 2: the adjustable group carries the rest with
                                      these costs (only the group's entries are read)

Its domain: what the elements are and what the wardens read of them. "pixels" (this
class): a uint8 image, read as pixels / 255; "coefficients" (CoefficientsDomain below): a
JPEG's quantized luminance DCT coefficients, read decompressed (blockwise IDCT(coef · q) +
128, unrounded, / 255), linear, so a warden's gradient reaches them. An adversary takes both
through `tensor` and `warden_input` (torch, imported when they run).

Members: StcJob (hiding/classical.py: real STC, the receiver reads both forms), JpegJob
(hiding/jpeg.py: STC in a JPEG's coefficients), SimulatorJob (embedding/simulate.py:
conseal's ternary simulator) and JpegSimulatorJob (embedding/jpeg.py: conseal's J-UNIWARD
and UERD simulators). numpy only, torch where an adversary asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .stc import WET  # a cost at or above it: a change never made

__all__ = ["WET", "Embedded", "EmbeddingJob"]


@dataclass(frozen=True)
class Embedded:
    """A stego and what it took (changes, distortion, message_bits, ...); `held`: what its
    job needs to finish a common part (no adversary reads it)."""
    image: np.ndarray
    info: dict = field(default_factory=dict)
    held: object = field(default=None, repr=False, compare=False)


class EmbeddingJob:
    """One cover's embedding: cover (its elements: uint8 pixels here), rho_p and rho_m (its
    plain costs, float64, wet at WET or above), plain (its plain stego), bits (the message's
    length), seed (a keyed seed for an adversary's randomness), two_parts (common and finish
    are offered), domain (what the elements are: the module's docstring)."""
    two_parts = False
    domain = "pixels"

    def __init__(self, cover: np.ndarray, rho_p: np.ndarray, rho_m: np.ndarray, plain: Embedded,
                 bits: int, seed: int):
        self.cover, self.rho_p, self.rho_m, self.plain = cover, rho_p, rho_m, plain
        self.bits, self.seed = bits, seed

    def embed(self, rho_p, rho_m) -> Embedded:  # pragma: no cover - interface
        raise NotImplementedError

    def common(self, sigma: float) -> Embedded:
        """The intermediate stego of a two-part embedding at adjustable share σ; ValueError
        where a part does not fit its group."""
        raise ValueError(f"{type(self).__name__} makes no two-part stego")

    def finish(self, common: Embedded, sigma: float, rho_p, rho_m) -> Embedded:
        """The two-part stego: the adjustable group embedded into `common` with these costs;
        ValueError where it does not fit."""
        raise ValueError(f"{type(self).__name__} makes no two-part stego")

    @property
    def warden_channels(self) -> int:
        """The channels the wardens read of this job's stegos."""
        return 1 if self.cover.ndim == 2 else self.cover.shape[2]

    def tensor(self, elements):
        """Elements (a stego's, or the cover's) as the float torch tensor an adversary's
        gradient is taken with respect to."""
        import torch

        return torch.from_numpy(np.ascontiguousarray(elements)).float()

    def warden_input(self, t):
        """What the wardens read (N, C, H, W) in [0, 1] of a batch of elements t (N, *the
        cover's shape): here pixels / 255; differentiable."""
        x = (t / 255).clamp(0, 1)
        return x[:, None] if x.ndim == 3 else x.permute(0, 3, 1, 2)


class CoefficientsDomain:
    """The domain of a job whose elements are a gray JPEG's luminance coefficients (a mixin
    before the job's class; self.jpeg: the cover's jpeg_io.Jpeg, its tables and size): the
    wardens read them decompressed without rounding (blockwise IDCT(coef · q) + 128, / 255),
    as the CNN wardens read a JPEG (steganalysis/cnn.py), so an adversary's gradient (torch
    autograd) is q · blockDCT of the pixels' gradient. Members: hiding/jpeg.JpegJob and
    embedding/jpeg.JpegSimulatorJob."""
    domain = "coefficients"
    warden_channels = 1  # the luminance (a colour JPEG takes no adversary)

    def tensor(self, elements):
        import torch

        return torch.from_numpy(np.ascontiguousarray(elements)).double()

    def warden_input(self, t):
        from ..data.jpeg import decompress_tensor

        h, w = self.jpeg.header.height, self.jpeg.header.width
        x = decompress_tensor(t, self.jpeg.tables[0])[..., :h, :w]
        return (x.float() / 255)[:, None]
