"""One registry per family (hiders, detectors, attacks), after timm's pattern.

A class joins its family with a decorator in its own module, `@HIDERS.register("lsb")`, and
the family's table names that module (`"lsb": "advstego.hiding.lsb"`): listing the names
imports nothing, and looking one up imports its module only. So `--help` and a hider that
needs no network never load torch.
`create(name, **settings)` passes on the settings its constructor takes.
"""

from __future__ import annotations

import importlib
import inspect

from .errors import InputError


class Registry:
    def __init__(self, family: str, members: dict[str, str]):
        self.family = family
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
        """An instance; settings its constructor does not take are left out."""
        cls, defaults = self.get(name)
        params = inspect.signature(cls.__init__).parameters
        takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
        kw = {k: v for k, v in settings.items() if takes_any or k in params}
        return cls(**{**kw, **defaults})
