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
    "srm": {"q1": True, "L": 31, "d_sub": 600},
    "cnn": {"arch": "xunet", "epochs": 8},
    "attacks": {"fgsm_eps": [0.001, 0.003, 0.005, 0.008], "uint8_levels": 2, "uint8_steps": 60,
                "onepixel_pixels": [1, 3], "onepixel_maxiter": 10, "onepixel_popsize": 10,
                "onepixel_images": 12},
}

OFFLINE = copy.deepcopy(QUICK)
OFFLINE.update({
    "data": {"source": "debian-photos", "size": 256, "gray": True, "max_tiles": 0,
             "split": [0.7, 0.15, 0.15]},
    "gan": {"preset": "offline"},
    "stc": {"cost": "suniward", "h": 10,
            "rows": [["jpeg", 0.2], ["jpeg", 0.4], ["jpeg", 1.0], ["webp", 0.4]]},
    "srm": {"q1": False, "L": "automatic", "d_sub": "automatic"},
    "cnn": {"arch": "xunet", "epochs": 30},
    "attacks": {"fgsm_eps": [0.001, 0.003, 0.005, 0.008], "uint8_levels": 2, "uint8_steps": 60,
                "onepixel_pixels": [1, 3, 5, 10], "onepixel_maxiter": 50,
                "onepixel_popsize": 20, "onepixel_images": 100},
})


def _paper(root_kind, lambdas, gray):
    p = copy.deepcopy(OFFLINE)
    p["data"] = {"source": root_kind, "size": 256, "gray": gray, "crop": "center",
                 "max_tiles": 1, "split": [0.6, 0.2, 0.2]}
    p["gan"] = {"preset": f"paper-{root_kind}"}
    return p


PRESETS = {"quick": QUICK, "offline": OFFLINE,
           "paper-bossbase": _paper("bossbase", (0.8, 1, 1), True),
           "paper-lfw": _paper("lfw", (0.5, 1, 1), False)}


REPLACED = {"baselines"}  # a set of methods: given, it replaces the preset's


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        deep = isinstance(v, dict) and isinstance(out.get(k), dict) and k not in REPLACED
        out[k] = _merge(out[k], v) if deep else v
    return out


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
        cfg = _merge(PRESETS[over.get("preset", "quick")], over)
    if cfg["data"]["source"] in ("bossbase", "lfw"):
        if not root:
            raise InputError(f"preset {name_or_path} reads {cfg['data']['source']}: "
                             "pass --root FOLDER")
        cfg["data"]["root"] = root
    return cfg
