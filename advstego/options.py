"""One option spec for every family (hiders, detectors, attacks, costs): a member lists its
settings in `options`, name -> Option(type, default, minimum, help, choices, above, maximum).

From that one spec: `check` fills defaults and refuses an unknown, mistyped, out-of-range
or unlisted setting by name (Registry.create, load_hider, Attack.settings); `add_flags`
makes the command-line flags (with their limits), and `flag_type` / `list_flag_type` type
every other number of the command line; `value` checks a file's metadata
(weights.check_config); `types` gives the experiment config's schema. No torch here.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import math
import typing
from typing import Callable, NamedTuple

from .errors import InputError


class Option(NamedTuple):
    type: Callable           # int, float, str, bool, or a converter (int_or_auto)
    default: object
    minimum: float | None = None  # None: any
    help: str = ""
    choices: tuple | None = None
    above: bool = False      # the minimum itself is refused (a value must be above it)
    maximum: float | None = None  # None: any (a number must be finite all the same)


def int_or_auto(v):
    """An integer, or "automatic" (the library searches for it)."""
    if v == "automatic":
        return v
    if isinstance(v, float) and not v.is_integer():
        raise ValueError(v)
    return int(v)


def text(v):
    """A non-empty text (a key): None, "" and numbers are refused."""
    if not isinstance(v, str) or not v:
        raise ValueError(v)
    return v


def _name(typ) -> str:
    return {int_or_auto: "an integer or 'automatic'", text: "a non-empty text"}.get(
        typ, getattr(typ, "__name__", "a value"))


def value(opt: Option, v):
    """v as the option's type within its limits, or ValueError("must be ..."); None only
    where the option's default is None."""
    if v is None and opt.default is None:
        return None
    if opt.type is bool:
        if not isinstance(v, bool):
            raise ValueError("must be true or false")
    else:
        if isinstance(v, bool) or (opt.type in (int, float) and isinstance(v, str)):
            raise ValueError(f"must be {_name(opt.type)}")
        try:
            if opt.type is int and isinstance(v, float) and not v.is_integer():
                raise ValueError(v)
            v = opt.type(v)
        except (TypeError, ValueError):
            raise ValueError(f"must be {_name(opt.type)}") from None
    if isinstance(v, float) and v != v:
        raise ValueError("must be a number, not nan")
    if isinstance(v, float) and math.isinf(v):
        raise ValueError("must be a finite number")
    if opt.minimum is not None and isinstance(v, (int, float)) and not isinstance(v, bool) \
            and (v <= opt.minimum if opt.above else v < opt.minimum):
        raise ValueError(f"must be {'above' if opt.above else 'at least'} {opt.minimum}")
    if opt.maximum is not None and isinstance(v, (int, float)) and not isinstance(v, bool) \
            and v > opt.maximum:
        raise ValueError(f"must be at most {opt.maximum}")
    if opt.choices and v not in opt.choices:
        raise ValueError(f"must be one of {', '.join(map(str, opt.choices))}")
    return v


def convert(owner: str, key: str, opt: Option, v):
    """v as the option's type, checked against its limits and choices (InputError)."""
    try:
        return value(opt, v)
    except ValueError as exc:
        raise InputError(f"{owner}: {key} {v!r} {exc}") from None


@functools.lru_cache(maxsize=None)
def _fields(cls) -> dict:
    hints = typing.get_type_hints(cls)
    return {f.name: (hints[f.name], f.default) for f in dataclasses.fields(cls)}


def field_option(cls, name: str, text: str, minimum=None, above=False, choices=None,
                 maximum=None) -> Option:
    """A config dataclass field's option: its type and default read from the class."""
    typ, default = _fields(cls)[name]
    return Option(typ, default, minimum, text, choices, above, maximum)


def convert_fields(owner: str, obj, options: dict):
    """Each field of obj that options names, converted and checked in place (InputError)."""
    for name, opt in options.items():
        setattr(obj, name, convert(owner, name, opt, getattr(obj, name)))


def check(owner: str, options: dict, given: dict) -> dict:
    """Every option's value: given ones converted and checked, the rest their defaults; a
    name not in options is refused, with the known ones."""
    unknown = sorted(set(given) - set(options))
    if unknown:
        raise InputError(f"{owner}: unknown setting{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(map(repr, unknown))}; known: {', '.join(options) or 'none'}")
    return {k: convert(owner, k, o, given[k]) if k in given else o.default
            for k, o in options.items()}


def flag_type(opt: Option):
    """An argparse type for the option: its conversion and limits, an error in one line."""
    def parse(text):
        try:
            return value(opt, text if opt.type in (str, int_or_auto) or text == "automatic"
                          else _number(text, opt.type))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{text!r} {exc}") from None
    parse.__name__ = _name(opt.type)
    return parse


def list_flag_type(opt: Option, counts: tuple[int, ...]):
    """An argparse type for comma-separated values, each one checked as the option, and
    as many as one of counts."""
    one = flag_type(opt)

    def parse(text):
        parts = text.split(",")
        if len(parts) not in counts:
            raise argparse.ArgumentTypeError(f"{text!r}: give {' or '.join(map(str, counts))} "
                                             "comma-separated values")
        return tuple(one(x) for x in parts)
    parse.__name__ = f"comma-separated {one.__name__}"
    return parse


def _number(text: str, typ):
    try:
        return typ(text)
    except ValueError:
        raise ValueError(f"must be {_name(typ)}") from None


def add_flags(parser, options: dict, prefix: str = "", defaults: bool = True):
    """A flag a setting (--name-with-dashes): a switch for bool, else typed and limited."""
    for k, o in options.items():
        flag = "--" + k.replace("_", "-")
        if o.type is bool:  # without defaults: None when not given (a preset's value stays)
            parser.add_argument(flag, action="store_true", default=False if defaults else None,
                                help=prefix + o.help)
        else:
            parser.add_argument(flag, type=flag_type(o), choices=o.choices,
                                default=o.default if defaults else None, help=prefix + o.help)


def types(options: dict) -> dict:
    """name -> the JSON types a config may give it (the experiment config's schema)."""
    number = (int, float)
    return {k: (bool,) if o.type is bool else number if o.type is float else
            (int,) if o.type is int else (str, int) if o.type is int_or_auto else (str,)
            for k, o in options.items()}
