"""The settings of a game (`advstego harden`, the experiment's `harden` and `games` stages).

HardenConfig is the game's own settings (rounds, wardens, seeds, play ...), a hider spec and
an adversary spec: each Spec a family member's name and its settings, checked by that
member's own options (hiding/registry.py HIDERS, attacks/registry.py ADVERSARIES). A
trainable hider's fine-tuning (Finetune) comes with it; a hider that takes adversarial
costs comes with an adversary and its play. A game records itself in config.json (to_dict,
the key as a fingerprint); from_dict reads that, and the flat config.json of earlier runs.

Users give flat settings (FLAGS: the `harden` flags, presets.json, an experiment config's
`harden` and `games` rows): make_config places each one. No torch.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields, replace

from ..attacks.registry import ADVERSARIES
from ..attacks.strategy import settings_spec
from ..errors import InputError
from ..hiding.registry import HIDERS, the_hider_that
from ..options import Option, check, convert, convert_fields, field_option
from ..steganalysis.registry import (DEFAULT_CNN, DEFAULT_FEATURES, DEFAULT_JPEG_FEATURES,
                                      DETECTORS)


def harden_presets() -> dict:
    """name -> flat settings (presets.json, its "_" comments left out)."""
    from importlib import resources

    text = (resources.files("advstego.game") / "presets.json").read_text()
    return {k: {f: x for f, x in v.items() if not f.startswith("_")}
            for k, v in json.loads(text).items() if not k.startswith("_")}


# the hiders a game plays, by the capability they declare: fine-tuned, or adversarial costs
# (in pixels, or in a JPEG's coefficients: a JPEG corpus's game)
PLAYERS = (the_hider_that("trainable"), the_hider_that("takes_adversarial_costs", False),
           the_hider_that("takes_adversarial_costs", True))


@dataclass(frozen=True)
class Spec:
    """A player: a family member's name and its settings (checked by HardenConfig)."""
    name: str
    settings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"name": self.name, "settings": dict(self.settings)}

    @classmethod
    def from_dict(cls, d, what: str) -> "Spec":
        if not isinstance(d, dict) or set(d) != {"name", "settings"} or \
                not isinstance(d["name"], str) or not isinstance(d["settings"], dict):
            raise InputError(f"harden {what}: give {{\"name\": ..., \"settings\": {{...}}}}, "
                             f"not {str(d)[:60]!r}")
        return cls(d["name"], dict(d["settings"]))


# the game builds its hider on its own device (--device): no spec of a game names one
GAME_GIVES = ("device",)
# the starting hider when none is named: the shipped v2 model, fine-tuned
DEFAULT_HIDER = Spec(PLAYERS[0], {"model": "v2"})


def hider_options(name: str) -> dict:
    """The settings a game's hider of this name takes: its options, less the device."""
    if name not in PLAYERS:
        raise InputError(f"harden --method {name}: plays a trainable hider or one that takes "
                         f"adversarial costs ({', '.join(PLAYERS)})")
    return {k: o for k, o in HIDERS.get(name)[0].options.items() if k not in GAME_GIVES}


@dataclass
class Finetune:
    """A trainable hider's move: fine-tuning against the earlier wardens (players.finetune)."""
    steps: int = 60
    batch: int = 8
    crop: int = 64
    lr: float = 1e-4
    la: float = 1.0
    lc: float = 1.0
    l_adv: float = 0.01
    tau: float = 1.0

    def __post_init__(self):
        convert_fields("harden", self, FINETUNE)


@dataclass
class HardenConfig:
    """The game's own settings, then its players: hider (a Spec checked by the hider's
    options), finetune (a trainable hider's; None otherwise), adversary (a Spec checked by
    the member's options; None: no adversarial rounds, as round 0 is) and its play."""
    rounds: int = 2
    wardens: tuple = (DEFAULT_CNN,)  # CNN wardens (detector names) trained fresh each round
    warden_epochs: int = 3
    seeds: int = 1
    warden_warmup: int = 0
    warden_easy: float = 1.0
    srm: str = DEFAULT_FEATURES  # the feature warden of the transfer check (not in the loss;
    # a JPEG hider's game: DEFAULT_JPEG_FEATURES where a pixel one is named)
    srm_L: int | str = 31        # its FLD ensemble: fixed (quick) or "automatic" (sealwatch's
    srm_d_sub: int | str = 600   # search of L and d_sub: minutes even at 64x64)
    seed: int = 0
    preset: str = "quick"
    hider: Spec = DEFAULT_HIDER
    finetune: Finetune | None = None
    adversary: Spec | None = None
    play: str | None = None      # with an adversary: pool or minmax

    def __post_init__(self):
        self.wardens = tuple(self.wardens)
        convert_fields("harden", self, GAME)
        name = self.hider.name
        self.hider = Spec(name, check(f"harden hider {name}", hider_options(name),
                                      self.hider.settings))
        cls = HIDERS.get(name)[0]
        if cls.jpeg_files and not DETECTORS.get(self.srm)[0].reads_jpeg:
            self.srm = DEFAULT_JPEG_FEATURES  # SRM reads pixels; DCTR a JPEG's coefficients
        self.finetune = (self.finetune or Finetune()) if cls.trainable else None
        if self.adversary is None:
            self.play = None
            return
        if not cls.takes_adversarial_costs:
            raise InputError(f"harden hider {name}: takes no adversary (hiders that do: "
                             f"{', '.join(PLAYERS[1:])})")
        scheme = convert("harden", "scheme", FLAGS["scheme"], self.adversary.name)
        self.adversary = Spec(scheme, check(f"harden adversary {scheme}",
                                            ADVERSARIES.get(scheme)[0].options,
                                            self.adversary.settings))
        self.play = convert("harden", "play", FLAGS["play"], self.play or FLAGS["play"].default)

    @property
    def method(self) -> str:
        return self.hider.name

    def to_dict(self) -> dict:
        """The game as its config.json records it: the key as recorded_key gives it."""
        out = {f: getattr(self, f) for f in GAME_FIELDS}
        out["wardens"] = list(self.wardens)
        settings = dict(self.hider.settings)
        key = as_recorded(settings.pop("key", ""))
        out["hider"] = Spec(self.hider.name, {**settings, **({"key": key} if key else {})}
                            ).to_dict()
        if self.finetune is not None:
            out["finetune"] = {f.name: getattr(self.finetune, f.name)
                               for f in fields(self.finetune)}
        if self.adversary is not None:
            out["adversary"], out["play"] = self.adversary.to_dict(), self.play
        out["rounds"] = self.rounds
        return json.loads(json.dumps(out))

    @classmethod
    def from_dict(cls, d) -> "HardenConfig":
        """A game's config.json (to_dict's), or the flat one of runs written before specs."""
        if not isinstance(d, dict):
            raise InputError("harden config: a JSON object of settings")
        if "hider" not in d:
            return _from_flat(_earlier(d))
        bad = set(d) - {*GAME_FIELDS, "hider", "finetune", "adversary", "play", "rounds"}
        if bad:
            raise InputError(f"harden config: unknown settings {', '.join(sorted(bad))}")
        game = {k: d[k] for k in (*GAME_FIELDS, "rounds", "play") if k in d}
        ft = d.get("finetune")
        if ft is not None and (not isinstance(ft, dict) or set(ft) - FINETUNE.keys()):
            raise InputError(f"harden finetune: settings of {', '.join(FINETUNE)}")
        adv = d.get("adversary")
        return cls(**game, hider=Spec.from_dict(d["hider"], "hider"),
                   finetune=None if ft is None else Finetune(**ft),
                   adversary=None if adv is None else Spec.from_dict(adv, "adversary"))


# the game's own settings beside rounds and play, in config.json's order
GAME_FIELDS = ("wardens", "warden_epochs", "seeds", "warden_warmup", "warden_easy", "srm",
               "srm_L", "srm_d_sub", "seed", "preset")


def _game(name, text, minimum=None, above=False) -> Option:
    return field_option(HardenConfig, name, text, minimum, above)


def _finetune(name, text, minimum=None, above=False) -> Option:
    return field_option(Finetune, name, f"{PLAYERS[0]}: {text}", minimum, above)


# the game's own numbers (the flags of the same names)
GAME = {"rounds": _game("rounds", "rounds after round 0 (more extend a run)", 0),
        "warden_epochs": _game("warden_epochs", "epochs of each fresh CNN warden", 1),
        "seeds": _game("seeds", "judging wardens trained from scratch a round (their mean)",
                       1),
        "warden_warmup": _game("warden_warmup", "curriculum: epochs on S-UNIWARD stegos at "
                               "warden_easy bpp first", 0),
        "warden_easy": _game("warden_easy", "the curriculum's payload", 0, True),
        "seed": _game("seed", "seed of the wardens and the search")}
FINETUNE = {"steps": _finetune("steps", "fine-tuning steps a round", 1),
            "batch": _finetune("batch", "batch size", 1),
            "crop": _finetune("crop", "training crop side", 8),
            "lr": _finetune("lr", "learning rate", 0, True),
            "la": _finetune("la", "weight of MSE(cover, stego)", 0),
            "lc": _finetune("lc", "weight of MSE(secret, revealed)", 0),
            "l_adv": _finetune("l_adv", "weight of the smooth max over the wardens", 0),
            "tau": _finetune("tau", "its temperature (-> 0: the max, large: the mean)", 0,
                             True)}
# each player hider's settings that are harden flags (their options are the hider's own)
HIDER_FLAGS = {PLAYERS[0]: ("model",), PLAYERS[1]: ("payload", "cost", "codec", "key"),
               PLAYERS[2]: ("bpnzac", "jpeg_cost", "codec", "key")}
# harden flag -> the adversary family's setting (attacks/strategy.settings_spec): the same
# Option, so every game's strategy.json is one `hide --wardens RUN` reads
ADVERSARY_FLAGS = {"alpha": "alpha", "search": "search", "backpack_steps": "steps",
                   "backpack_lr": "lr"}


def _hider_flag(name: str) -> Option:
    player = next(p for p, names in HIDER_FLAGS.items() if name in names)
    o = HIDERS.get(player)[0].options[name]
    text = o.help if o.help.lower().startswith(player + ":") else f"{player}: {o.help}"
    if name == "key":
        text += "; a game records its fingerprint, never the key"
    return o._replace(help=text)


_COSTS = f"{PLAYERS[1]}, {PLAYERS[2]}"  # the players of adversarial costs


def _adversary_flag(name: str) -> Option:
    o = settings_spec()[ADVERSARY_FLAGS[name]]
    return o._replace(help=f"{_COSTS}: {o.help}")


_SCHEME = settings_spec()["scheme"]._replace(help=(
    f"{_COSTS}: published: ADV-EMB as Tang et al. (common group first, sigma 0.1 .. 0.9, "
    "plain when none fools); joint: one code over all elements, the gradient summed over "
    "stegos (this toolkit's earlier variant); backpack: the costs optimised through a "
    "differentiable embedding simulator (Bernard et al. 2022)"))
_PLAY = Option(str, "pool", None, (
    f"{_COSTS}: pool: round k's costs against every earlier warden; minmax: against the "
    "latest, then each image keeps the candidate of rounds 0..k that the earlier wardens (CNN "
    "and SRM+FLD) score lowest (Bernard et al. 2021)"), ("pool", "minmax"))
_METHOD = Option(str, DEFAULT_HIDER.name, None, f"{PLAYERS[0]}: fine-tune the deep hider "
                 f"(default); {PLAYERS[1]}: adversarial STC costs; {PLAYERS[2]}: adversarial "
                 "costs of a JPEG's coefficients, on a JPEG corpus (data prepare --jpeg QF)",
                 PLAYERS)

# setting -> Option: the flags of `advstego harden` (cli.py adds them in this order), the
# checks of make_config, an experiment config's harden and games rows
FLAGS = {"method": _METHOD, "model": _hider_flag("model"),
         **{k: _hider_flag(k) for k in (*HIDER_FLAGS[PLAYERS[1]], *HIDER_FLAGS[PLAYERS[2]])},
         "alpha": _adversary_flag("alpha"), "scheme": _SCHEME,
         "search": _adversary_flag("search"), "play": _PLAY,
         "backpack_steps": _adversary_flag("backpack_steps"),
         "backpack_lr": _adversary_flag("backpack_lr"), "rounds": GAME["rounds"], **FINETUNE,
         **{k: o for k, o in GAME.items() if k != "rounds"}}
# every flat setting: the flags and the game's other fields
NAMES = (*FLAGS, *(f for f in GAME_FIELDS if f not in FLAGS))


def recorded_key(key: str) -> str:
    """What a run records of its key: "" for the public default, else its fingerprint (one
    scrypt per guess, as against a stego), never the key in clear."""
    from ..hiding.base import DEFAULT_KEY, fingerprint

    return "" if key in ("", DEFAULT_KEY) else fingerprint(key)


def as_recorded(key):
    """A recorded key as recorded_key gives it: runs written before kept it in clear."""
    if not isinstance(key, str) or re.fullmatch(r"fingerprint [0-9a-f]{8}", key):
        return key
    return recorded_key(key)


def game_settings(cfg: HardenConfig) -> dict:
    """The settings that make a game: config.json's, all but rounds (more rounds extend a
    game)."""
    return {k: v for k, v in cfg.to_dict().items() if k != "rounds"}


def round0_settings(cfg: HardenConfig) -> dict:
    """The settings round 0 (the plain hider) depends on: the game with its adversary spec
    empty. Games that differ only in their adversary share it (harden --round0)."""
    return game_settings(replace(cfg, adversary=None))


def same_game(had: dict, cfg: HardenConfig, round0: bool = False) -> bool:
    """Whether a run's config.json (had, this schema or an earlier one) is the game of cfg
    (round0: the same round 0)."""
    try:
        old = HardenConfig.from_dict(had)
    except InputError:
        return False
    same = round0_settings if round0 else game_settings
    return same(old) == same(cfg)


def make_config(preset: str = "quick", **overrides) -> HardenConfig:
    """A game from flat settings: a preset's, then these (None: not given)."""
    presets = harden_presets()
    if preset not in presets:
        raise InputError(f"unknown harden preset {preset!r}; known: {', '.join(presets)}")
    vals = {**presets[preset], **{k: v for k, v in overrides.items() if v is not None}}
    bad = set(vals) - set(NAMES)
    if bad:
        raise InputError(f"unknown harden settings: {', '.join(sorted(bad))}")
    vals = {k: convert("harden", k, FLAGS[k], v) if k in FLAGS else v for k, v in vals.items()}
    return _from_flat({**vals, "preset": preset})


def not_taken(cfg: HardenConfig, given) -> list[str]:
    """The flat settings among `given` that this game does not take: another player's, or
    another adversarial scheme's (a flag given for them would be ignored)."""
    cls = HIDERS.get(cfg.method)[0]
    takes = {"method", "rounds", *GAME, *GAME_FIELDS, *HIDER_FLAGS[cfg.method]}
    if cls.trainable:
        takes |= set(FINETUNE)
    if cfg.adversary is not None:
        own = ADVERSARIES.get(cfg.adversary.name)[0].options
        takes |= {"scheme", "play", *(k for k, s in ADVERSARY_FLAGS.items() if s in own)}
    return [k for k in given if k not in takes]


def _from_flat(vals: dict) -> HardenConfig:
    """Flat settings placed: each player's own go to its spec; another player's, and
    another adversary's (checked by the family's options), are left out."""
    name = vals.get("method", DEFAULT_HIDER.name)
    hider_options(name)  # a player
    settings = {**(DEFAULT_HIDER.settings if name == DEFAULT_HIDER.name else {}),
                **{k: vals[k] for k in HIDER_FLAGS[name] if k in vals}}
    cls = HIDERS.get(name)[0]
    adversary = None
    if cls.takes_adversarial_costs:
        scheme = convert("harden", "scheme", FLAGS["scheme"],
                         vals.get("scheme", FLAGS["scheme"].default))
        given = {s: vals[k] for k, s in ADVERSARY_FLAGS.items() if k in vals}
        check(f"harden adversary {scheme}", settings_spec(), given)
        own = ADVERSARIES.get(scheme)[0].options
        adversary = Spec(scheme, {k: v for k, v in given.items() if k in own})
    return HardenConfig(
        **{k: vals[k] for k in (*GAME_FIELDS, "rounds") if k in vals}, hider=Spec(name, settings),
        finetune=Finetune(**{k: vals[k] for k in FINETUNE if k in vals}) if cls.trainable
        else None, adversary=adversary, play=vals.get("play"))


# the values of settings runs written before them used (their flat config.json lacks them)
_EARLIER = {"scheme": "joint", "play": "pool", "codec": "jpeg"}


def _earlier(d: dict) -> dict:
    """A flat config.json of an earlier run as flat settings: the values it predates, its
    key as recorded ("": the default), fields since removed left out."""
    vals = {**_EARLIER, **{k: v for k, v in d.items() if k in NAMES or k == "rounds"}}
    if not as_recorded(vals.get("key", "")):
        vals.pop("key", None)
    elif "key" in vals:
        vals["key"] = as_recorded(vals["key"])
    return vals
