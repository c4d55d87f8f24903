"""A strategy: the wardens of a folder or harden run (its strategy.json: the scheme and its
settings), and the adversary made against them (a member of ADVERSARIES, attacks/registry.py:
ADV-EMB as published or joint, Backpack): what hide, embed and the game's workers take."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..files import read_json
from ..options import Option, check, convert
from .registry import ADVERSARIES


def settings_spec() -> dict:
    """The scheme and every member's options by name (the first member's Option where two
    declare one name): the settings a strategy.json or a game may record, with their limits."""
    spec = {"scheme": Option(str, "published", None, "the adversarial scheme",
                             tuple(ADVERSARIES.names()))}
    for name in ADVERSARIES.names():
        for k, o in ADVERSARIES.get(name)[0].options.items():
            spec.setdefault(k, o)
    return spec


# the spec of the shipped members (harden's flags of the same settings take its limits:
# game/config.py)
SETTINGS = settings_spec()
ROUND = Option(int, None, 0, "the game's round whose pool the strategy holds")


def warden_files(where) -> list[Path]:
    """The warden files of a strategy: a folder of *.safetensors, or a harden run whose
    strategy/ folder holds them."""
    given = where = Path(where)
    if (where / "strategy").is_dir():
        where = where / "strategy"
    files = sorted(where.glob("*.safetensors")) if where.is_dir() else []
    if not files and where.is_dir() and strategy_round(where) == 0:
        raise InputError(f"--wardens {given}: the game's best round is 0, plain STC (no "
                         "adversarial costs beat it), so its strategy holds no wardens to "
                         "attack; leave out --wardens for that strategy")
    if not files:
        raise InputError(f"--wardens {where}: no warden files (*.safetensors) there; give a "
                         "folder of wardens or an `advstego harden --method stc` run")
    return files


def _strategy_json(folder) -> dict:
    """A strategy folder's strategy.json ({} where it has none); refused when unreadable."""
    path = Path(folder) / "strategy.json"
    if not path.is_file():
        return {}
    info = read_json(path, "strategy file", 10 ** 6)
    if not isinstance(info, dict):
        raise InputError(f"{path}: a strategy file is a JSON object")
    return info


def strategy_round(folder) -> int | None:
    """The game round a strategy folder's strategy.json names (None: none named)."""
    info = _strategy_json(folder)
    return convert(f"{Path(folder) / 'strategy.json'}", "round", ROUND, info.get("round"))


def strategy_settings(folder) -> dict:
    """make_adversary's settings a harden run's strategy.json records (none: published),
    each checked against SETTINGS: a mistyped or out-of-range one is refused by name."""
    info, spec = _strategy_json(folder), settings_spec()
    given = check(str(Path(folder) / "strategy.json"), spec,
                  {k: info[k] for k in spec if k in info})
    return {k: v for k, v in given.items() if k in info}


def shipped_strategy() -> Path:
    """The wardens of the shipped adversarial strategy (documented in results/)."""
    return Path(__file__).resolve().parent.parent / "models" / "stc-adversarial"


def make_adversary(wardens, scheme: str = "published", **settings):
    """The adversary of a scheme (an ADVERSARIES member) against these wardens, built with
    its own settings, each checked by its Option; a setting that only another member takes
    is left out (a game and a strategy.json record every member's), an unknown one refused."""
    cls, _ = ADVERSARIES.get(scheme)
    others = {k: v for k, v in settings.items() if k not in cls.options}
    check(f"adversary {scheme}", settings_spec(), others)  # refused by name, then left out
    return cls(wardens, **{k: v for k, v in settings.items() if k in cls.options})


def about_scheme(scheme: str, **settings) -> str:
    """A scheme with these settings in a few words (a game's report)."""
    cls, _ = ADVERSARIES.get(scheme)
    given = check(f"adversary {scheme}", cls.options,
                  {k: v for k, v in settings.items() if k in cls.options})
    return cls.about(**given)


def load_adversary(where=None, **settings):
    """The adversary (make_adversary's settings, else the strategy's) against the wardens of
    a strategy folder or harden run (None: the shipped strategy)."""
    from ..steganalysis.detector import load_detector

    files = warden_files(where or shipped_strategy())
    settings = {**strategy_settings(files[0].parent), **settings}  # checked before loading
    return make_adversary([load_detector(f) for f in files], **settings)
