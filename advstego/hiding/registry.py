"""The hider family: `@HIDERS.register(name)` on a Hider class, and its line here.

Each class lists its settings in `options` (name -> options.Option) and builds itself from
them, checked, with `from_options(settings, channels)`.
"""

from __future__ import annotations

from ..options import check
from ..registry import Registry

HIDERS = Registry("hider", {
    "gan": "advstego.hiding.model",
    "lsb": "advstego.hiding.lsb",
    "stc": "advstego.hiding.classical",
})

TRAINABLE, ADVERSARIAL = "gan", "stc"  # the hiders `advstego harden` plays: fine-tuned, adversarial costs


def hider_options() -> dict:
    """Every hider's settings by name (a setting shared by two hiders is listed once)."""
    out = {}
    for name in HIDERS.names():
        out.update(HIDERS.get(name)[0].options)
    return out


def load_hider(spec: str = "gan", channels: int = 1, **settings):
    """The one way to get a hider: a method name with its settings (`load_hider("stc",
    payload=0.2)`), `lsb-K`, a shipped model name (v1, v2, hardened) or a model file.
    A setting the method does not take is refused, by name."""
    spec = str(spec)
    if spec.startswith("lsb-") and spec[4:].isdigit():
        spec, settings = "lsb", {**settings, "bits": int(spec[4:])}
    elif spec not in HIDERS.members:
        spec, settings = "gan", {**settings, "model": spec}
    cls, _ = HIDERS.get(spec)
    return cls.from_options(check(f"hider {spec}", cls.options, settings), channels)
