"""The settings of a min-max hardening game (`advstego harden`, the experiment's `harden`
stage): HardenConfig and its presets (presets/harden.json). No torch here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from ..errors import InputError
from ..embedding.costs import COSTS as COST_NAMES
from ..hiding.registry import COSTS, TRAINABLE
from ..steganalysis.registry import DEFAULT_CNN, DEFAULT_FEATURES
from .preset_files import read_preset


def harden_presets() -> dict:
    """name -> HardenConfig settings (presets/harden.json)."""
    return read_preset("harden")


@dataclass
class HardenConfig:
    """Each field: (its default, and in FLAGS its flag's help and limits): one spec for the
    command line (cli.py builds `harden`'s flags from FLAGS), config files and presets."""
    method: str = TRAINABLE
    model: str = "v2"
    payload: float = 0.4
    cost: str = "suniward"
    codec: str = "auto"
    key: str = ""
    alpha: float = 2.0
    scheme: str = "published"
    search: int = 4
    rounds: int = 2
    steps: int = 60
    batch: int = 8
    crop: int = 64
    lr: float = 1e-4
    la: float = 1.0
    lc: float = 1.0
    l_adv: float = 0.01
    tau: float = 1.0
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


# field -> (help, minimum (None: any), the minimum excluded?, choices): the flags of
# `advstego harden` and the checks of make_config
FLAGS = {
    "method": ("gan: fine-tune the deep hider (default); stc: adversarial STC costs", None,
               False, (TRAINABLE, COSTS)),
    "model": ("gan: the starting hider, a shipped name (v2, v1) or a model file", None, False,
              None),
    "payload": ("stc: bits per pixel of the compressed secret", 0, True, None),
    "cost": ("stc: the costs modulated", None, False, COST_NAMES),
    "codec": ("stc: the secret's codec (auto: the best within the bytes)", None, False,
              ("auto", "jpeg", "webp", "avif", "jxl")),
    "key": ("stc: the embedding key (another key: an A/A control)", None, False, None),
    "alpha": ("stc: ADV-EMB cost scaling (above 1)", 1, True, None),
    "scheme": ("stc: published: ADV-EMB as Tang et al. (common group first, sigma 0.1 .. "
               "0.9, plain when none fools); joint: one code over all elements, the gradient "
               "summed over stegos (this toolkit's earlier variant)", None, False,
               ("published", "joint")),
    "search": ("stc: embeddings per image after the plain one (ADV-EMB search)", 1, False,
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


def game_settings(cfg: HardenConfig) -> dict:
    """The settings that make a game: all but rounds (more rounds extend a game)."""
    return {k: v for k, v in asdict(cfg).items() if k != "rounds"}


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
    for name, (_, low, open_, choices) in FLAGS.items():
        v = getattr(cfg, name)
        if choices and v not in choices:
            raise InputError(f"harden {name} {v!r}: known are {', '.join(choices)}")
        if low is not None and (v <= low if open_ else v < low):
            raise InputError(f"harden {name} {v}: must be {'above' if open_ else 'at least'} "
                             f"{low}")
    if cfg.payload > 1.2:
        raise InputError(f"harden payload {cfg.payload}: give a payload in (0, 1.2]")
    return cfg
