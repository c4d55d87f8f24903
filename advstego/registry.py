"""One registry per family (hiders, detectors, attacks), after timm's pattern.

A class joins its family with a decorator in its own module, `@HIDERS.register("lsb")`, and
the family's table names that module (`"lsb": "advstego.hiding.lsb"`): listing the names
imports nothing, and looking one up imports its module only. So `--help` and a hider that
needs no network never load torch.
A member lists its settings in `options` (name -> options.Option): `create(name,
**settings)` checks them against it, refusing an unknown or out-of-range one by name, and
builds the member with them (a family whose members take their settings later, as attacks
do in run(), builds them bare).
"""

from __future__ import annotations

import importlib

from .errors import InputError
from .options import check


class Registry:
    def __init__(self, family: str, members: dict[str, str], construct: bool = True):
        self.family, self.construct = family, construct
        self.members = dict(members)  # name -> the module that registers it
        self._items: dict[str, tuple[type, dict]] = {}

    def register(self, name: str, **defaults):
        """Class decorator: register under `name`, with fixed constructor settings."""
        def add(cls):
            if name not in self.members:
                raise ValueError(f"{self.family} {name!r} is not in its family's table")
            if name in self._items and self._items[name][0] is not cls:
                raise ValueError(f"{self.family} {name!r} is registered twice")
            self._items[name] = (cls, defaults)
            return cls
        return add

    def names(self) -> list[str]:
        return sorted(self.members)

    def get(self, name: str) -> tuple[type, dict]:
        if name not in self.members:
            raise InputError(f"unknown {self.family} {name!r}; known: {', '.join(self.names())}")
        if name not in self._items:
            importlib.import_module(self.members[name])
        return self._items[name]

    def create(self, name: str, **settings):
        """An instance built with its checked settings (their defaults where not given) and
        its fixed ones; an unknown or out-of-range setting is refused, by name."""
        cls, fixed = self.get(name)
        checked = check(f"{self.family} {name}", cls.options, settings)
        return cls(**checked, **fixed) if self.construct else cls()
