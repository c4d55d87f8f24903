"""One cover's embedding as an adversary sees it (attacks/adversary.py): the cover, its plain
costs and plain stego, and the embeddings it may ask for, called top to bottom.

    job.embed(ρ+1, ρ−1)               a one-part stego with these costs
    job.common(σ)                     a two-part stego, step 1: the common group (1 − σ of
                                      the elements, keyed) carries 1 − σ of the message with
                                      the plain costs: the intermediate stego
    job.finish(common, σ, ρ+1, ρ−1)   step 2: the adjustable group carries the rest with
                                      these costs (only the group's entries are read)

Members: StcJob (hiding/classical.py: real STC, the receiver reads both forms) and
SimulatorJob (embedding/simulate.py: conseal's ternary simulator). numpy only.
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
    """One cover's embedding: cover (uint8), rho_p and rho_m (its plain costs, float64, wet at
    WET or above), plain (its plain stego), bits (the message's length), seed (a keyed seed
    for an adversary's randomness), two_parts (common and finish are offered)."""
    two_parts = False

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
