"""The attack families: `@ATTACKS.register(name)` on an Attack class, `@ADVERSARIES.register(
name)` on an Adversary (attacks/adversary.py), and its line here."""

from ..registry import Registry

ATTACKS = Registry("attack", {
    "fgsm": "advstego.attacks.fgsm",
    "fgsm-uint8": "advstego.attacks.fgsm",
    "onepixel": "advstego.attacks.onepixel",
    "noise": "advstego.attacks.noise",
}, construct=False)  # an attack takes its settings in run()

# attacks inside the embedding: strategy.make_adversary builds one against its wardens
ADVERSARIES = Registry("adversary", {
    "published": "advstego.attacks.published",
    "joint": "advstego.attacks.joint",
    "backpack": "advstego.attacks.backpack",
})
