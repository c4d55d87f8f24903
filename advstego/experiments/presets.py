"""Experiment presets. A JSON file with the same keys (any subset) overrides a preset."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from ..errors import InputError

QUICK = {
    "seed": 0,
    "data": {"source": "sample", "size": 64, "gray": True, "max_tiles": 16,
             "split": [0.6, 0.1, 0.3]},
    "gan": {"preset": "quick", "epochs": 4, "steps_per_epoch": 40, "crop": 64},
    "lsb_bits": [2, 3, 4],
    "baselines": {"wow": 0.4, "suniward": 0.4},
    "stc": {"cost": "suniward", "h": 10, "rows": [["webp", 0.2], ["jpeg", 0.4], ["jpeg", 1.0]]},
    "secret_size": {"size": 32, "rows": ["GAN", "LSB-2"]},  # a quarter of the secret
    "harden": {"preset": "quick"},  # 2 rounds of min-max hardening of the GAN's start (v2)
    "srm": {"q1": True, "L": 31, "d_sub": 600},
    "cnn": {"arch": "xunet", "epochs": 8},
    "attacks": {"fgsm_eps": [0.001, 0.003, 0.005, 0.008], "uint8_levels": 2, "uint8_steps": 60,
                "onepixel_pixels": [1, 3], "onepixel_maxiter": 10, "onepixel_popsize": 10,
                "onepixel_images": 12},
}

OFFLINE = copy.deepcopy(QUICK)
OFFLINE.update({
    # sized for about 1.5 hours on 2 CPU cores (torchrun --nproc_per_node 2): 256x256 tiles,
    # at most 13 a photo, split by photo (429 training, 78 validation, 259 test images, each
    # the cover of one stego); the Xu-Net-style CNN costs 44 ms an image a training step on
    # one core, the SRNet-style one 350 ms (so the transfer SRNet gets 2 epochs)
    "data": {"source": "debian-photos", "size": 256, "gray": True, "max_tiles": 13,
             "split": [0.55, 0.1, 0.35]},
    "gan": {"model": "v2"},  # the shipped hider v2 (gan.preset trains one instead)
    # the frontier: v1 too, LSB-1..4, a 128x128 secret, min-max hardening of v2
    "hiders": {"v1": "v1"},
    "lsb_bits": [1, 2, 3, 4],
    "stc": {"cost": "suniward", "h": 10, "rows": [["jpeg", 0.4]]},
    "secret_size": {"size": 128, "rows": ["GAN", "LSB-1", "STC-S-UNIWARD + JPEG 0.4 bpp"]},
    "harden": {"preset": "offline"},
    "srm": {"q1": False, "L": "automatic", "d_sub": "automatic"},
    "cnn": {"arch": "xunet", "epochs": 6, "other_epochs": 2},
    "attacks": {"fgsm_eps": [0.003, 0.008], "uint8_levels": 2, "uint8_steps": 20,
                "onepixel_pixels": [1, 3], "onepixel_maxiter": 10,
                "onepixel_popsize": 10, "onepixel_images": 20},
})


def _paper(root_kind, gray):
    """The paper's setting on BOSSbase or LFW. Its lambdas and training settings live in one
    place: the training preset paper-<root_kind> (hiding/train.py)."""
    p = copy.deepcopy(OFFLINE)
    p["data"] = {"source": root_kind, "size": 256, "gray": gray, "crop": "center",
                 "max_tiles": 1, "split": [0.6, 0.2, 0.2]}
    p["gan"] = {"preset": f"paper-{root_kind}"}
    for k in ("hiders", "secret_size", "harden"):  # the paper's rows only
        p.pop(k)
    p["lsb_bits"] = [2, 3, 4]
    return p


PRESETS = {"quick": QUICK, "offline": OFFLINE,
           "paper-bossbase": _paper("bossbase", True),
           "paper-lfw": _paper("lfw", False)}


REPLACED = {"baselines", "harden"}  # given, these replace the preset's (harden: {} = none)


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        deep = isinstance(v, dict) and isinstance(out.get(k), dict) and k not in REPLACED
        out[k] = _merge(out[k], v) if deep else v
    return out


# The schema: every key a config may hold, with the type its value must have. A key not
# here (a typo) or a value of another type is refused, naming the key, before any work.
NUMBER = (int, float)
SCHEMA = {
    "preset": str, "seed": int,
    "data": {"source": str, "size": int, "gray": bool, "max_tiles": int, "split": list,
             "crop": str, "root": str},
    "gan": {"model": str, "preset": str, "epochs": int, "steps_per_epoch": int, "crop": int,
            "width": int,
            "blocks": int, "disc_width": int, "batch": int, "lr": NUMBER, "lr_disc": NUMBER,
            "cosine": bool, "lambdas": list, "rounding": str, "clip": NUMBER,
            "val_pairs": int, "checkpoint_every": int, "amp_bf16": bool},
    "lsb_bits": list,
    "hiders": dict,  # Table 1 name -> a shipped hiding model (v1, v2) or a model file
    "secret_size": {"size": int, "rows": list},  # these Table 1 rows with a smaller secret
    "harden": {"preset": str, "model": str, "rounds": int, "steps": int, "batch": int,
               "crop": int, "lr": NUMBER, "la": NUMBER, "lc": NUMBER, "l_adv": NUMBER,
               "tau": NUMBER, "warden_epochs": int, "srm_q1": bool},
    "baselines": {"wow": NUMBER, "suniward": NUMBER, "hill": NUMBER},
    "stc": {"cost": str, "h": int, "rows": list},
    "srm": {"q1": bool, "L": (int, str), "d_sub": (int, str)},
    "cnn": {"arch": str, "epochs": int, "other_epochs": int},
    "attacks": {"fgsm_eps": list, "uint8_levels": int, "uint8_steps": int,
                "onepixel_pixels": list, "onepixel_maxiter": int, "onepixel_popsize": int,
                "onepixel_images": int},
}
POSITIVE = {"size", "steps", "warden_epochs", "epochs", "steps_per_epoch", "width", "blocks",
            "batch", "uint8_levels", "uint8_steps", "onepixel_maxiter", "onepixel_popsize", "h"}


def validate(cfg: dict, schema=SCHEMA, where="") -> dict:
    """Refuse unknown keys, wrong types and non-positive counts, naming the key."""
    for k, v in cfg.items():
        name = f"{where}{k}"
        if k not in schema:
            raise InputError(f"config: unknown key {name!r}; known here: {', '.join(schema)}")
        want = schema[k]
        if isinstance(want, dict):
            if not isinstance(v, dict):
                raise InputError(f"config: {name} must be an object")
            validate(v, want, f"{name}.")
            continue
        ok = isinstance(v, want) and not (isinstance(v, bool) and want in (int, NUMBER))
        if not ok:
            kind = want.__name__ if isinstance(want, type) else " or ".join(t.__name__ for t in want)
            raise InputError(f"config: {name} must be {kind}, not {v!r}")
        if k in POSITIVE and v <= 0:
            raise InputError(f"config: {name} must be positive, not {v!r}")
    return cfg


def table1_rows(cfg: dict) -> list[str]:
    """The names of the hiders a config puts in Table 1 (before secret_size's)."""
    from .report import stc_label

    stc = cfg.get("stc", {})
    return (["GAN"] + [f"LSB-{k}" for k in cfg.get("lsb_bits", [])]
            + [stc_label(stc.get("cost", "suniward"), codec, p) for codec, p in stc.get("rows", [])]
            + list(cfg.get("hiders", {})))


def load_config(name_or_path: str, root: str | None = None) -> dict:
    if name_or_path in PRESETS:
        cfg = copy.deepcopy(PRESETS[name_or_path])
        cfg["preset"] = name_or_path
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise InputError(f"{name_or_path}: neither a preset ({', '.join(PRESETS)}) "
                             "nor a JSON config file")
        try:
            over = json.loads(path.read_text())
        except ValueError as exc:
            raise InputError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(over, dict):
            raise InputError(f"{path}: a config is a JSON object")
        validate(over)
        if over.get("preset", "quick") not in PRESETS:
            raise InputError(f"{path}: preset {over['preset']!r}: known are {', '.join(PRESETS)}")
        cfg = _merge(PRESETS[over.get("preset", "quick")], over)
    if cfg["data"]["source"] in ("bossbase", "lfw"):
        if not root:
            raise InputError(f"preset {name_or_path} reads {cfg['data']['source']}: "
                             "pass --root FOLDER")
        cfg["data"]["root"] = root
    rows = table1_rows(cfg)
    for row in cfg.get("secret_size", {}).get("rows", []):
        if row not in rows:
            raise InputError(f"config: secret_size.rows: {row!r} is not a Table 1 row "
                             f"({', '.join(rows)})")
    for name, spec in cfg.get("hiders", {}).items():  # before any work, not at its stage
        from ..hiding.model import SHIPPED
        if not isinstance(spec, str) or not (spec in SHIPPED or Path(spec).is_file()):
            raise InputError(f"config: hiders.{name}: {spec!r} is not a shipped hiding model "
                             f"({', '.join(SHIPPED)}) nor a model file")
    return validate(cfg)
