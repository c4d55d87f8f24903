"""The hider family: `@HIDERS.register(name)` on a Hider class, and its line here.

Each class lists its settings in `options` (name -> options.Option) and builds itself from
them, checked, with `from_options(settings, channels)`. A role (the hider `harden` fine-tunes,
the one that takes adversarial costs) is a capability a class declares (`trainable`,
`takes_adversarial_costs`, ...: base.Hider), looked up here, never a name.
"""

from __future__ import annotations

from ..errors import InputError
from ..options import check
from ..registry import Registry
from .base import Hider

HIDERS = Registry("hider", {
    "gan": "advstego.hiding.model",
    "jpeg": "advstego.hiding.jpeg",
    "lsb": "advstego.hiding.lsb",
    "stc": "advstego.hiding.classical",
})



def hider_has(name: str, capability: str) -> bool:
    """Whether the hider of this name declares a capability: one of base.Hider's flags
    (False there), set True on its class."""
    if not isinstance(getattr(Hider, capability, None), bool):
        raise ValueError(f"{capability!r} is not a capability a hider declares (base.Hider)")
    return getattr(HIDERS.get(name)[0], capability) is True


def hiders_that(capability: str) -> list[str]:
    """The hiders that declare a capability (base.Hider: trainable, takes_adversarial_costs,
    sealed, ...), by name."""
    return [n for n in HIDERS.names() if hider_has(n, capability)]


def the_hider_that(capability: str, jpeg_files: bool | None = None) -> str:
    """The one hider that declares a capability (harden plays one of each kind); jpeg_files
    True or False: the one among the hiders of JPEG files, or of pixels (the STC hider and
    the JPEG hider both take adversarial costs)."""
    names = [n for n in hiders_that(capability)
             if jpeg_files is None or hider_has(n, "jpeg_files") == jpeg_files]
    if len(names) != 1:
        raise ValueError(f"{len(names)} hiders declare {capability!r} ({', '.join(names)}); "
                         "one is expected")
    return names[0]


def hider_options() -> dict:
    """Every hider's settings by name (a setting shared by two hiders is listed once)."""
    out = {}
    for name in HIDERS.names():
        out.update(HIDERS.get(name)[0].options)
    return out


def load_hider(spec: str = "gan", channels: int = 1, secret_channels: int | None = None,
               adversary=None, **settings):
    """The one way to get a hider: a method name with its settings (`load_hider("stc",
    payload=0.2)`), `lsb-K`, a shipped model name (v1, v2, hardened) or a model file.
    A setting the method does not take is refused, by name. secret_channels: the secret's
    (a hider that takes any secret; default: the cover's); adversary: the one whose costs a
    hider that takes adversarial costs embeds with (attacks/; None: plain costs)."""
    spec = str(spec)
    if spec.startswith("lsb-") and spec[4:].isdigit():
        spec, settings = "lsb", {**settings, "bits": int(spec[4:])}
    elif spec not in HIDERS.members:
        spec, settings = "gan", {**settings, "model": spec}
    cls, _ = HIDERS.get(spec)
    given = {}
    if adversary is not None:
        if not cls.takes_adversarial_costs:
            raise InputError(f"hider {spec}: takes no adversarial costs (hiders that do: "
                             f"{', '.join(hiders_that('takes_adversarial_costs'))})")
        given["adversary"] = adversary
    if secret_channels is not None and secret_channels != channels:
        if not cls.any_secret_size:
            raise InputError(f"hider {spec}: the secret has the cover's channels "
                             f"({channels}), not {secret_channels}")
        given["secret_channels"] = secret_channels
    return cls.from_options(check(f"hider {spec}", cls.options, settings), channels, **given)
