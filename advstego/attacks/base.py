"""What every attack offers: one signature, run(detector, stegos, settings) -> AttackResult.

An attack class lists its settings in `options` (name -> type, default, minimum, help):
the CLI builds its flags from them and `settings()` checks what a user gives, by name.
`version` changes with the algorithm, so cached results of an older one are not reused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError


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
    options: dict[str, tuple[type, object, float | None, str]] = {}

    @classmethod
    def settings(cls, **given) -> dict:
        """Defaults filled in, types and minimums checked; an unknown name is refused."""
        out = {}
        for k in given:
            if k not in cls.options:
                raise InputError(f"attack {cls.name}: unknown setting {k!r}; known: "
                                 f"{', '.join(cls.options)}")
        for k, (typ, default, minimum, _) in cls.options.items():
            v = given.get(k, default)
            try:
                v = typ(v) if not isinstance(v, bool) else v
            except (TypeError, ValueError):
                raise InputError(f"attack {cls.name}: {k} must be {typ.__name__}, not {v!r}") \
                    from None
            if minimum is not None and v < minimum:
                raise InputError(f"attack {cls.name}: {k} = {v} is below {minimum}")
            out[k] = v
        return out

    def run(self, detector, stegos, settings: dict) -> AttackResult:  # pragma: no cover
        raise NotImplementedError
