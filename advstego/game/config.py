"""The settings of a game (`advstego harden`, the experiment's `harden` and `games` stages):
HardenConfig, its presets (presets.json) and FLAGS, one spec of every field. The settings
common to the game come first, then each player's own (MOVES): a game's identity is the
common settings and its player's, so a GAN-only field never splits an STC game. No torch."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields

from ..attacks.strategy import SETTINGS as STRATEGY
from ..errors import InputError
from ..options import Option, convert_fields, field_option
from ..embedding.costs import COSTS
from ..hiding.codec import choices as codec_choices
from ..hiding.registry import the_hider_that
from ..steganalysis.registry import DEFAULT_CNN, DEFAULT_FEATURES


def harden_presets() -> dict:
    """name -> HardenConfig settings (presets.json, its "_" comments left out)."""
    from importlib import resources

    text = (resources.files("advstego.game") / "presets.json").read_text()
    return {k: {f: x for f, x in v.items() if not f.startswith("_")}
            for k, v in json.loads(text).items() if not k.startswith("_")}


# the hiders a game plays, by the capability they declare: fine-tuned, or adversarial costs
PLAYERS = (the_hider_that("trainable"), the_hider_that("takes_adversarial_costs"))


@dataclass
class HardenConfig:
    """Each field: (its default, and in FLAGS its flag's help and limits): one spec for the
    command line (cli.py builds `harden`'s flags from FLAGS), config files and presets."""
    # the game
    method: str = PLAYERS[0]
    rounds: int = 2
    wardens: tuple = (DEFAULT_CNN,)  # CNN wardens (detector names) trained fresh each round
    warden_epochs: int = 3
    seeds: int = 1
    warden_warmup: int = 0
    warden_easy: float = 1.0
    srm: str = DEFAULT_FEATURES  # the feature warden of the transfer check (not in the loss)
    srm_L: int | str = 31        # its FLD ensemble: fixed (quick) or "automatic" (sealwatch's
    srm_d_sub: int | str = 600   # search of L and d_sub: minutes even at 64x64)
    seed: int = 0
    preset: str = "quick"
    # the deep hider's move (gan)
    model: str = "v2"
    steps: int = 60
    batch: int = 8
    crop: int = 64
    lr: float = 1e-4
    la: float = 1.0
    lc: float = 1.0
    l_adv: float = 0.01
    tau: float = 1.0
    # the STC hider's move (stc)
    payload: float = 0.4
    cost: str = "suniward"
    codec: str = "auto"
    key: str = ""
    alpha: float = 2.0
    scheme: str = "published"
    search: int = 4
    play: str = "pool"
    backpack_steps: int = 20
    backpack_lr: float = 0.1


# each player's own fields; every other field is common to the game
MOVES = {PLAYERS[0]: ("model", "steps", "batch", "crop", "lr", "la", "lc", "l_adv", "tau"),
         PLAYERS[1]: ("payload", "cost", "codec", "key", "alpha", "scheme", "search", "play",
                      "backpack_steps", "backpack_lr")}


# the settings round 0 (the plain hider) does not depend on: games that differ only in them
# can share it (harden --round0)
ROUND0_FREE = ("alpha", "scheme", "search", "play", "backpack_steps", "backpack_lr")

# the value a field had in the runs written before it existed (their config.json lacks it)
BEFORE = {"scheme": "joint", "play": "pool", "codec": "jpeg"}


def _flag(name, text, minimum=None, above=False, choices=None) -> Option:
    return field_option(HardenConfig, name, text, minimum, above, choices)


# field -> Option (options.py): the flags of `advstego harden` and the checks of make_config
_FLAGS = {
    "method": ("gan: fine-tune the deep hider (default); stc: adversarial STC costs", None,
               False, PLAYERS),
    "model": ("gan: the starting hider, a shipped name (v2, v1) or a model file", None, False,
              None),
    "payload": ("stc: bits per pixel of the compressed secret", 0, True, None),
    "cost": ("stc: the costs modulated", None, False, tuple(COSTS)),
    "codec": ("stc: the secret's codec (auto: the best within the bytes)", None, False,
              codec_choices()),  # the codecs installed here
    "key": ("stc: the embedding key (another key: an A/A control); - asks for it; runs "
            "record its fingerprint, never the key", None, False, None),
    "alpha": ("stc: ADV-EMB cost scaling (above 1)", 1, True, None),
    "scheme": ("stc: published: ADV-EMB as Tang et al. (common group first, sigma 0.1 .. "
               "0.9, plain when none fools); joint: one code over all elements, the gradient "
               "summed over stegos (this toolkit's earlier variant); backpack: the costs "
               "optimised through a differentiable embedding simulator (Bernard et al. 2022)",
               None, False, STRATEGY["scheme"].choices),
    "search": ("stc: embeddings per image after the plain one (joint scheme)", 1, False,
               None),
    "play": ("stc: pool: round k's costs against every earlier warden; minmax: against the "
             "latest, then each image keeps the candidate of rounds 0..k that the earlier "
             "wardens (CNN and SRM+FLD) score lowest (Bernard et al. 2021)", None, False,
             ("pool", "minmax")),
    "backpack_steps": ("stc: Adam steps on one image's costs (backpack scheme)", 1, False,
                       None),
    "backpack_lr": ("stc: their learning rate on the log-costs (backpack scheme)", 0, True,
                    None),
    "rounds": ("rounds after round 0 (more extend a run)", 0, False, None),
    "steps": ("gan: fine-tuning steps a round", 1, False, None),
    "batch": ("gan: batch size", 1, False, None),
    "crop": ("gan: training crop side", 8, False, None),
    "lr": ("gan: learning rate", 0, True, None),
    "la": ("gan: weight of MSE(cover, stego)", 0, False, None),
    "lc": ("gan: weight of MSE(secret, revealed)", 0, False, None),
    "l_adv": ("gan: weight of the smooth max over the wardens", 0, False, None),
    "tau": ("gan: its temperature (-> 0: the max, large: the mean)", 0, True, None),
    "warden_epochs": ("epochs of each fresh CNN warden", 1, False, None),
    "seeds": ("judging wardens trained from scratch a round (their mean)", 1, False, None),
    "warden_warmup": ("curriculum: epochs on S-UNIWARD stegos at warden_easy bpp first", 0,
                      False, None),
    "warden_easy": ("the curriculum's payload", 0, True, None),
    "seed": ("seed of the wardens and the search", None, False, None),
}
FLAGS = {k: _flag(k, text, low, above, choices) for k, (text, low, above, choices)
         in _FLAGS.items()}
# field -> its name in strategy.json (attacks/strategy.py): the same limits, so every game's
# strategy is one `hide --wardens RUN` reads
STRATEGY_FIELDS = {"scheme": "scheme", "alpha": "alpha", "search": "search",
                   "backpack_steps": "steps", "backpack_lr": "lr"}
FLAGS.update({k: FLAGS[k]._replace(maximum=STRATEGY[s].maximum)
              for k, s in STRATEGY_FIELDS.items()})


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
    """The settings that make a game: the common ones and its player's own, all but rounds
    (more rounds extend a game); the key as recorded_key."""
    other = {f for m, own in MOVES.items() if m != cfg.method for f in own}
    out = {k: v for k, v in asdict(cfg).items() if k != "rounds" and k not in other}
    if "key" in out:
        out["key"] = recorded_key(out["key"])
    return out


def same_game(had: dict, cfg: HardenConfig) -> bool:
    """Whether a run's config.json (had) is the game of cfg: the same common settings and
    player's own; fields it predates take their earlier value (BEFORE) or their default."""
    same, default = game_settings(cfg), asdict(HardenConfig())
    had = {k: had.get(k, BEFORE.get(k, default[k])) for k in same}
    if "key" in had:
        had["key"] = as_recorded(had["key"])
    return json.loads(json.dumps(had)) == json.loads(json.dumps(same))


def make_config(preset: str = "quick", **overrides) -> HardenConfig:
    presets = harden_presets()
    if preset not in presets:
        raise InputError(f"unknown harden preset {preset!r}; known: {', '.join(presets)}")
    vals = {**presets[preset], **{k: v for k, v in overrides.items() if v is not None}}
    bad = set(vals) - {f.name for f in fields(HardenConfig)}
    if bad:
        raise InputError(f"unknown harden settings: {', '.join(sorted(bad))}")
    cfg = HardenConfig(**{**vals, "preset": preset})
    cfg.wardens = tuple(cfg.wardens)
    convert_fields("harden", cfg, FLAGS)
    if cfg.payload > 1.2:
        raise InputError(f"harden payload {cfg.payload}: give a payload in (0, 1.2]")
    return cfg
