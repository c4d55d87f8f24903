"""Training settings of a hider (TrainConfig) and their presets; no torch here, so the
command line and the experiment's schema read them for free."""

from __future__ import annotations

from dataclasses import dataclass, fields

from ..errors import InputError
from ..options import Option, convert, convert_fields, field_option

# hiding networks by name (nets.ARCHS builds them): block (v1, 2x2 blocks), unet, ukey (v2)
ARCH_NAMES = ("block", "unet", "ukey")


@dataclass
class TrainConfig:
    arch: str = "block"            # hiding network: block (v1) | ukey (v2) | unet
    width: int = 32
    blocks: int = 2
    disc_width: int = 4
    crop: int = 64
    batch: int = 8                 # per rank
    epochs: int = 3
    steps_per_epoch: int = 30      # 0: one pass over the training pairs
    lr: float = 1e-3
    lr_disc: float = 1e-4
    cosine: bool = False           # cosine decay of lr to 0 over the run
    lambdas: tuple = (1.0, 0.0001, 1.0)
    rounding: str = "ste"          # ste | noise | none
    clip: float = 1.0              # gradient norm clipping of encoder + decoder
    secret_gray: bool = False      # gray secret in an RGB cover
    val_pairs: int = 16
    checkpoint_every: int = 0      # steps; 0: at each epoch end only
    amp_bf16: bool = False         # bf16 autocast, where the device has native bf16
    seed: int = 0
    preset: str = "quick"


PRESETS = {
    # CPU, tests and demo: fp32 (bf16 pays only on CPUs with native bf16, not on most)
    "quick": dict(),
    # the shipped gray model and the offline experiment
    "offline": dict(width=64, blocks=4, disc_width=8, crop=64, batch=16, epochs=20,
                    steps_per_epoch=200, lr=1e-3, cosine=True, lambdas=(1.0, 0.0001, 1.0)),
    # hider v2 (gray and RGB shipped models): keyed full-resolution U-Net, bf16 autocast
    "offline-v2": dict(arch="ukey", width=16, blocks=3, disc_width=8, crop=64, batch=16,
                       epochs=8, steps_per_epoch=1000, lr=1e-3, cosine=True,
                       lambdas=(1.0, 0.0001, 1.0), amp_bf16=True, checkpoint_every=250),
    # the paper's settings (256x256, Adam 1e-4, 150 epochs); meant for a GPU
    "paper-bossbase": dict(width=64, blocks=6, disc_width=8, crop=256, batch=8, epochs=150,
                           steps_per_epoch=0, lr=1e-4, lr_disc=1e-4, lambdas=(0.8, 1.0, 1.0)),
    # hider v2 on a CUDA GPU (scripts/gpu_train.sh): wider, larger crops and batches
    # (at lr 1e-3 its tanh saturated by step 500 on an H200: stego 20.1 dB, secret lost)
    "gpu-v2": dict(arch="ukey", width=32, blocks=3, disc_width=8, crop=128, batch=32,
                   epochs=4, steps_per_epoch=1500, lr=3e-4, cosine=True,
                   lambdas=(1.0, 0.0001, 1.0), amp_bf16=True, checkpoint_every=500),
    "paper-lfw": dict(width=64, blocks=6, disc_width=8, crop=256, batch=8, epochs=150,
                      steps_per_epoch=0, lr=1e-4, lr_disc=1e-4, lambdas=(0.5, 1.0, 1.0)),
}


def _flag(name, text, minimum=None, above=False, choices=None, maximum=None) -> Option:
    return field_option(TrainConfig, name, text, minimum, above, choices, maximum)


# field -> Option (options.py): the flags of `advstego train` and the checks of make_config
# (lambdas, a triple, and amp_bf16, the --bf16 switch, are cli.py's own flags)
FLAGS = {
    "arch": _flag("arch", "hiding network: block (v1, 2x2 blocks) | ukey (v2, keyed "
                          "full-resolution U-Net) | unet", choices=ARCH_NAMES),
    "width": _flag("width", "the hiding networks' width (channels)", 1, maximum=256),
    "blocks": _flag("blocks", "residual blocks (block) or the U-Net's depth (unet, ukey)", 1,
                    maximum=8),
    "disc_width": _flag("disc_width", "the discriminator's width", 1, maximum=64),
    "crop": _flag("crop", "side of the training crops (pixels)", 8, maximum=4096),
    "batch": _flag("batch", "pairs a step, per rank", 1, maximum=4096),
    "epochs": _flag("epochs", "epochs", 1, maximum=10 ** 6),
    "steps_per_epoch": _flag("steps_per_epoch", "steps an epoch; 0: one pass over the "
                                                "training pairs", 0, maximum=10 ** 7),
    "lr": _flag("lr", "Adam's learning rate of encoder + decoder", 0, True),
    "lr_disc": _flag("lr_disc", "Adam's learning rate of the discriminator", 0, True),
    "cosine": _flag("cosine", "cosine decay of the learning rate to 0 over the run"),
    "rounding": _flag("rounding", "stegos in training: ste (rounded, straight-through "
                                  "gradient) | noise | none", choices=("ste", "noise", "none")),
    "clip": _flag("clip", "gradient norm clipping of encoder + decoder", 0, True),
    "secret_gray": _flag("secret_gray", "a gray secret in an RGB cover"),
    "val_pairs": _flag("val_pairs", "validation pairs", 1),
    "checkpoint_every": _flag("checkpoint_every", "a checkpoint every this many steps; 0: at "
                                                  "each epoch's end only", 0),
    "seed": _flag("seed", "seed of every random draw"),
}
# each of the three lambdas (la, lb, lc of Le = la*d(cover,stego) + lb*Ls + lc*Ld)
LAMBDA = Option(float, None, 0, "a weight of the hider's loss")


def make_config(preset: str = "quick", **overrides) -> TrainConfig:
    if preset not in PRESETS:
        raise InputError(f"unknown preset {preset!r}; known: {', '.join(PRESETS)}")
    known = {f.name for f in fields(TrainConfig)}
    vals = {**PRESETS[preset], **{k: v for k, v in overrides.items() if v is not None}}
    bad = set(vals) - known
    if bad:
        raise InputError(f"unknown training settings: {', '.join(sorted(bad))}")
    cfg = TrainConfig(**{**vals, "preset": preset})
    convert_fields("training", cfg, FLAGS)
    lam = cfg.lambdas
    if not (isinstance(lam, (list, tuple)) and len(lam) == 3):
        raise InputError(f"training: lambdas {lam!r} must be three numbers >= 0 (la, lb, lc)")
    cfg.lambdas = tuple(convert("training", "lambdas", LAMBDA, x) for x in lam)
    return cfg
