"""A round of the game as it is recorded: RoundRow (round-K/metrics.json, the rows harden
returns, an experiment's results.json), with its validation figures (Validation).

The JSON keys are the ones runs have always written (to_dict / from_dict): the fresh CNNs'
PE as pe_fresh_ARCH, the adjustable share as beta, the validation figures as val; a key
this version does not know is kept as it is (extra).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from ..errors import InputError

PE_FRESH = "pe_fresh_"  # + the CNN's architecture: its PE in JSON


def _fresh(d: dict) -> dict:
    return {k[len(PE_FRESH):]: v for k, v in d.items() if k.startswith(PE_FRESH)}


@dataclass
class Validation:
    """A round's fresh wardens on the validation photos, where the final round is chosen."""
    pe_fresh: dict = field(default_factory=dict)  # CNN architecture -> its mean PE
    pe_srm: float | None = None

    def to_dict(self) -> dict:
        return {**{PE_FRESH + a: v for a, v in self.pe_fresh.items()},
                **({} if self.pe_srm is None else {"pe_srm": self.pe_srm})}

    @classmethod
    def from_dict(cls, d: dict) -> "Validation":
        return cls(_fresh(d), d.get("pe_srm"))


@dataclass
class RoundRow:
    """What round k measured (play.play_round); None: not measured in that round or run."""
    round: int
    wardens_in_loss: int | None = None  # the earlier wardens the move was made against
    finetune: dict | None = None        # the deep hider's move: its mean losses (k > 0)
    embed_seconds: float | None = None  # STC: mean seconds to embed one test image
    fooled: float | None = None         # STC: the test stegos the pool calls cover
    share: float | None = None          # STC: mean adjustable share of the payload (beta)
    chosen: dict | None = None          # min-max: stegos kept from each round, by split
    stego_psnr: float | None = None
    secret_psnr: float | None = None
    validation: Validation | None = None  # (val) on the validation photos
    pe_fresh: dict = field(default_factory=dict)  # CNN architecture -> PE of its fresh warden
    pe_earlier: list | None = None      # PE of each earlier (frozen) warden
    pe_srm: float | None = None         # PE of the fresh SRM+FLD
    judged: dict | None = None          # each fresh warden's calls, interval, seeds
    pe_control: float | None = None     # round 0: a fresh CNN on covers vs covers
    seconds: float | None = None
    extra: dict = field(default_factory=dict)  # keys another version wrote

    def to_dict(self) -> dict:
        """The row in JSON, its keys in the order play_round has always written them."""
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "pe_fresh":
                out.update({PE_FRESH + a: x for a, x in v.items()})
            elif f.name == "extra":
                out.update(v)
            elif v is not None:
                out[JSON.get(f.name, f.name)] = v.to_dict() if f.name == "validation" else v
        return out

    @classmethod
    def from_dict(cls, d, where: str = "round") -> "RoundRow":
        if not isinstance(d, dict) or not isinstance(d.get("round"), int):
            raise InputError(f"{where}: not a round's metrics")
        names = {JSON.get(f.name, f.name): f.name for f in fields(cls)
                 if f.name not in ("pe_fresh", "extra")}
        known = {names[k]: v for k, v in d.items() if k in names}
        if isinstance(known.get("validation"), dict):
            known["validation"] = Validation.from_dict(known["validation"])
        extra = {k: v for k, v in d.items() if k not in names and not k.startswith(PE_FRESH)}
        return cls(**known, pe_fresh=_fresh(d), extra=extra)


# a field's JSON key where it differs from its name
JSON = {"share": "beta", "validation": "val"}
