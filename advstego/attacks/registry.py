"""The attack family: `@ATTACKS.register(name)` on an Attack class in this package."""

from ..registry import Registry

ATTACKS = Registry("attack", "advstego.attacks")
