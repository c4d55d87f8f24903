"""What every attack offers: one signature, run(detector, stegos, settings) -> AttackResult.

An attack class lists its settings in `options` (name -> options.Option): the CLI builds its
flags from them and `settings()` checks what a user gives, by name.
`version` changes with the algorithm, so cached results of an older one are not reused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..options import check


@dataclass
class AttackResult:
    images: list[np.ndarray]           # attacked uint8 stegos
    queries: list[int]                 # detector calls (or gradient steps) per image
    records: list[dict] = field(default_factory=list)  # anything else per image


class Attack:
    name = "attack"
    version = 1
    needs_gradients = False  # white box: a detector with logits(x)
    chunk = 32               # images per resumable chunk
    options: dict = {}  # name -> options.Option

    @classmethod
    def settings(cls, **given) -> dict:
        """Defaults filled in, types and minimums checked; an unknown name is refused."""
        return check(f"attack {cls.name}", cls.options, given)

    def run(self, detector, stegos, settings: dict) -> AttackResult:  # pragma: no cover
        raise NotImplementedError
