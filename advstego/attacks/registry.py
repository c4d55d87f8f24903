"""The attack family: `@ATTACKS.register(name)` on an Attack class, and its line here."""

from ..registry import Registry

ATTACKS = Registry("attack", {
    "fgsm": "advstego.attacks.fgsm",
    "fgsm-uint8": "advstego.attacks.fgsm",
    "onepixel": "advstego.attacks.onepixel",
    "noise": "advstego.attacks.noise",
}, construct=False)  # an attack takes its settings in run()
