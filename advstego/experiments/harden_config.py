"""The settings of a min-max hardening game (`advstego harden`, the experiment's `harden`
stage): HardenConfig and its presets (presets/harden.json). No torch here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from ..errors import InputError
from ..hiding.registry import COSTS, TRAINABLE
from ..steganalysis.registry import DEFAULT_CNN, DEFAULT_FEATURES
from .preset_files import read_preset


def harden_presets() -> dict:
    """name -> HardenConfig settings (presets/harden.json)."""
    return read_preset("harden")


@dataclass
class HardenConfig:
    method: str = TRAINABLE    # gan: fine-tune the deep hider; stc: adversarial STC costs
    model: str = "v2"          # gan: the starting hider, a shipped name or a model file
    payload: float = 0.4       # stc: bits per pixel of the compressed secret
    cost: str = "suniward"     # stc: the costs modulated
    codec: str = "auto"        # stc: the secret's codec (auto: the best within the bytes)
    key: str = ""              # stc: the embedding key ("": the hider's default); another
                               # key is an A/A control: the same strategy, other changes
    alpha: float = 2.0         # stc: ADV-EMB cost scaling
    search: int = 4            # stc: embeddings per image after the plain one (ADV-EMB search)
    rounds: int = 2            # hardening rounds after round 0
    steps: int = 60            # fine-tuning steps a round
    batch: int = 8
    crop: int = 64
    lr: float = 1e-4
    la: float = 1.0            # weight of MSE(cover, stego)
    lc: float = 1.0            # weight of MSE(secret, revealed)
    l_adv: float = 0.01        # weight of the smooth max over the wardens
    tau: float = 1.0           # its temperature (-> 0: the max, large: the mean)
    wardens: tuple = (DEFAULT_CNN,)  # CNN wardens (detector names) trained fresh each round
    warden_epochs: int = 3
    seeds: int = 1             # judging wardens trained from scratch a round (their mean)
    warden_warmup: int = 0       # curriculum: epochs on S-UNIWARD stegos at warden_easy bpp
    warden_easy: float = 1.0     # first (0: none), then warden_epochs on the round's stegos
    srm: str = DEFAULT_FEATURES  # the feature warden of the transfer check (not in the loss)
    srm_L: int | str = 31        # its FLD ensemble: fixed (quick) or "automatic" (sealwatch's
    srm_d_sub: int | str = 600   # search of L and d_sub: minutes even at 64x64)
    seed: int = 0
    preset: str = "quick"


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
    if cfg.method not in (TRAINABLE, COSTS):
        raise InputError(f"harden --method {cfg.method!r}: known are {TRAINABLE}, {COSTS}")
    if not 0 < cfg.payload <= 1.2 or cfg.alpha <= 1:
        raise InputError(f"harden payload {cfg.payload} / alpha {cfg.alpha}: give a payload in "
                         "(0, 1.2] and alpha above 1")
    for name, low in (("rounds", 0), ("steps", 1), ("batch", 1), ("crop", 8),
                      ("warden_epochs", 1), ("search", 1), ("seeds", 1)):
        if getattr(cfg, name) < low:
            raise InputError(f"harden {name} {getattr(cfg, name)}: at least {low}")
    return cfg
