"""One registry per family (hiders, detectors, attacks), after timm's pattern.

A class joins its family with a decorator in its own module, `@HIDERS.register("lsb")`;
the family's package is scanned once, on first lookup, so adding a member is one new file.
`create(name, **settings)` passes on the settings its constructor takes.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from .errors import InputError


class Registry:
    def __init__(self, family: str, package: str):
        self.family, self.package = family, package
        self._items: dict[str, tuple[type, dict]] = {}
        self._scanned = False

    def register(self, name: str, **defaults):
        """Class decorator: register under `name`, with fixed constructor settings."""
        def add(cls):
            if name in self._items and self._items[name][0] is not cls:
                raise ValueError(f"{self.family} {name!r} is registered twice")
            self._items[name] = (cls, defaults)
            return cls
        return add

    def _scan(self):
        if not self._scanned:
            self._scanned = True
            pkg = importlib.import_module(self.package)
            for m in pkgutil.iter_modules(pkg.__path__):
                importlib.import_module(f"{self.package}.{m.name}")

    def names(self) -> list[str]:
        self._scan()
        return sorted(self._items)

    def get(self, name: str) -> tuple[type, dict]:
        self._scan()
        if name not in self._items:
            raise InputError(f"unknown {self.family} {name!r}; known: {', '.join(self.names())}")
        return self._items[name]

    def create(self, name: str, **settings):
        """An instance; settings its constructor does not take are left out."""
        cls, defaults = self.get(name)
        params = inspect.signature(cls.__init__).parameters
        takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
        kw = {k: v for k, v in settings.items() if takes_any or k in params}
        return cls(**{**kw, **defaults})
