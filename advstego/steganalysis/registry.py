"""The detector family: `@DETECTORS.register(name)` in a module of this package."""

from ..registry import Registry

DETECTORS = Registry("detector", "advstego.steganalysis")
