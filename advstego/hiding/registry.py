"""The hider family: `@HIDERS.register(name)` on a Hider class in this package.

Each class lists its command-line settings in `options` (name -> type, default, minimum,
help) and builds itself from them with `from_options(settings, channels)`.
"""

from __future__ import annotations

from ..registry import Registry

HIDERS = Registry("hider", "advstego.hiding")


def create_hider(method: str, channels: int = 1, **settings):
    """A hider by method name, from (a subset of) the command-line settings."""
    cls, _ = HIDERS.get(method)
    return cls.from_options({k: settings.get(k, v[1]) for k, v in cls.options.items()},
                            channels)


def hider_options() -> dict:
    """Every hider's settings by name (a setting shared by two hiders is listed once)."""
    out = {}
    for name in HIDERS.names():
        out.update(HIDERS.get(name)[0].options)
    return out
