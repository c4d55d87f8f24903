"""A strategy: the wardens of a folder or harden run (its strategy.json: the scheme and its
settings), and the adversary made against them (ADV-EMB, attacks/adversarial_costs.py, or
Backpack, attacks/backpack.py): what hide, embed and the game's workers take."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from .adversarial_costs import ALPHA, SCHEMES, SEARCH, Adversary
from .backpack import Backpack


def warden_files(where) -> list[Path]:
    """The warden files of a strategy: a folder of *.safetensors, or a harden run whose
    strategy/ folder holds them."""
    where = Path(where)
    if (where / "strategy").is_dir():
        where = where / "strategy"
    files = sorted(where.glob("*.safetensors")) if where.is_dir() else []
    if not files:
        raise InputError(f"--wardens {where}: no warden files (*.safetensors) there; give a "
                         "folder of wardens or an `advstego harden --method stc` run")
    return files


def strategy_settings(folder) -> dict:
    """make_adversary's settings a harden run's strategy.json records (none: published)."""
    import json

    try:
        info = json.loads((Path(folder) / "strategy.json").read_text())
    except (OSError, ValueError):
        return {}
    keep = {"scheme": str, "alpha": float, "search": int, "steps": int, "lr": float}
    return {k: t(info[k]) for k, t in keep.items()
            if k in info and isinstance(info[k], (str, int, float)) and (
                k != "scheme" or info[k] in SCHEMES)}


def shipped_strategy() -> Path:
    """The wardens of the shipped adversarial strategy (documented in results/)."""
    return Path(__file__).resolve().parent.parent / "models" / "stc-adversarial"


def make_adversary(wardens, scheme: str = "published", alpha: float = ALPHA,
                   search: int = SEARCH, steps: int = 20, lr: float = 0.1, seed: int = 0):
    """The adversary of a scheme against these wardens: ADV-EMB (published, joint) or
    Backpack (its steps and learning rate)."""
    if scheme not in SCHEMES:
        raise InputError(f"adversarial scheme {scheme!r}: known are {', '.join(SCHEMES)}")
    if scheme == "backpack":
        return Backpack(wardens, steps=steps, lr=lr, seed=seed)
    return Adversary(wardens, alpha, search, seed, scheme)


def load_adversary(where=None, **settings):
    """The adversary (make_adversary's settings, else the strategy's) against the wardens of
    a strategy folder or harden run (None: the shipped strategy)."""
    from ..steganalysis.detector import load_detector

    files = warden_files(where or shipped_strategy())
    return make_adversary([load_detector(f) for f in files],
                          **{**strategy_settings(files[0].parent), **settings})
