"""Experiment configs: the presets (JSON files in presets/) and a user's JSON on top of one.

A config names its rows by registry entries with their settings:

    "hiders":   {"LSB-2": {"hider": "lsb", "bits": 2}, "GAN": {"hider": "gan", "train": {...}}}
    "wardens":  {"SRM": {"detector": "srm-fld"}, "CNN": {"detector": "xunet", "epochs": 6}}
    "attacks":  {"FGSM eps=0.003": {"attack": "fgsm", "eps": 0.003}}

so adding a hider, detector or attack to the experiment is its own file plus one line here.
The schema of the sections that configure a dataclass (data: PrepareConfig, a trained row's
"train": TrainConfig) is generated from the dataclass, and a game's (harden, games rows) from
its flat settings (game/config.FLAGS), so it cannot drift. Unknown keys and wrong types are
refused by name before any work; keys starting with "_" are comments. Each value's limits
come from an option spec (options.Option): the row's member's own, a section's (data
prepare's OPTIONS, the training and game FLAGS, the simulator's PAYLOAD), or RUN's for the
run-wide numbers.
"""

from __future__ import annotations

import copy
import types
import typing
from dataclasses import fields
from pathlib import Path

from ..errors import InputError
from ..files import read_json
from ..options import Option, check, convert, types as option_types
from .preset_files import read_preset, uncommented

# the preset files beside this module (quick first: the demo's), by their names
PRESETS = tuple(sorted((p.stem for p in (Path(__file__).parent / "presets").glob("*.json")),
                       key=lambda n: (n != "quick", n)))
TABLES = {"hiders", "baselines", "wardens", "transfer", "attacks", "harden", "secret_size",
          "games", "controls"}
ROLES = ("SRM", "CNN")  # the two wardens every method meets: features + FLD, and a CNN
NUMBER = (int, float)
NUMBER_LISTS = {"fractions", "lambdas"}
# the run-wide numbers (every other number's limits are its section's or member's spec)
RUN = {"seed": Option(int, 0, None, "the run's seed"),
       "seeds": Option(int, 1, 1, "wardens trained from scratch a row (their mean)"),
       "secret_size.size": Option(int, None, 1, "side of the smaller secret"),
       "attacks.images": Option(int, None, 1, "stegos an attack row attacks")}
# what a JPEG experiment (data prepare --jpeg QF: experiments/jpeg.py) leaves out: stages of
# pixels and of a secret image's fidelity
PIXEL_ONLY = ("attacked", "attacks", "transfer", "harden", "games", "secret_size", "controls")


# ---- the schema -------------------------------------------------------------------------

def _json_type(hint) -> tuple:
    """The JSON types a dataclass field of this type may take."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return tuple(t for a in args if a is not type(None) for t in _json_type(a))
    if hint is float:
        return NUMBER
    if hint in (tuple, list) or origin in (tuple, list):
        return (list,)
    if hint is object:
        return (int, float, str)
    return (hint,)


def dataclass_schema(cls, leave_out=("seed",)) -> dict:
    """key -> JSON types of every field of a config dataclass (the experiment's seed rules)."""
    hints = typing.get_type_hints(cls)
    return {f.name: _json_type(hints[f.name]) for f in fields(cls) if f.name not in leave_out}


def harden_schema() -> dict:
    """A game's flat settings (harden section, games rows): its flags' types, and those of
    the game's other fields."""
    from ..game.config import FLAGS, NAMES, HardenConfig

    fields_ = dataclass_schema(HardenConfig)
    return {**{k: fields_[k] for k in NAMES if k not in FLAGS and k in fields_},
            **option_types({k: o for k, o in FLAGS.items() if k != "seed"}), "preset": (str,)}


def schema() -> dict:
    """Every key a config may hold ("rows": a table whose rows name a registry entry)."""
    from ..data.prepare import PrepareConfig

    return {
        "preset": (str,), "seed": (int,), "seeds": (int,),  # seeds: wardens per row
        "data": {**dataclass_schema(PrepareConfig), "root": (str,)},
        "hiders": "rows", "attacked": (str,),
        "secret_size": {"size": (int,), "rows": (list,)},
        "baselines": "rows", "wardens": "rows", "transfer": "rows", "attacks": "rows",
        "harden": harden_schema(),
        "games": "rows",  # label -> a harden --method stc game (harden settings): Table 6
        # a baselines row judged again with another key (A/A: no difference) and at a lower
        # payload (a difference the design must resolve); compare: more [a, b] row pairs
        "controls": {"of": (str,), "payload": NUMBER}, "compare": (list,),
    }


def _check_value(name, k, v, want):
    ok = isinstance(v, want) and not (isinstance(v, bool) and bool not in want)
    if not ok:
        kind = " or ".join(t.__name__ for t in want)
        raise InputError(f"config: {name} must be {kind}, not {v!r}")
    for x in (v if isinstance(v, list) else [v]):
        _check_number(name, k, x, list_item=isinstance(v, list) and k in NUMBER_LISTS)


def _check_number(name, k, v, list_item=False):
    """Every number in a config is finite, and not negative unless it is a seed (its limits
    are then its spec's: _check_rows)."""
    if isinstance(v, bool) or not isinstance(v, NUMBER):
        if list_item:
            raise InputError(f"config: {name} must hold numbers, not {v!r}")
        return
    if v != v or v in (float("inf"), float("-inf")):
        raise InputError(f"config: {name} must be a finite number, not {v!r}")
    if v < 0 and k != "seed":
        raise InputError(f"config: {name} must not be negative, not {v!r}")


def _check_section(cfg: dict, sch: dict, where: str):
    for k, v in cfg.items():
        name = f"{where}{k}"
        if k not in sch:
            raise InputError(f"config: unknown key {name!r}; known here: {', '.join(sch)}")
        want = sch[k]
        if isinstance(want, dict):
            if not isinstance(v, dict):
                raise InputError(f"config: {name} must be an object")
            _check_section(v, want, f"{name}.")
        elif want != "rows":
            _check_value(name, k, v, want)


def _row_settings(cls, name: str, row: dict, extra: dict, run_wide=()):
    """A row's settings: the member's own (its options, but those the run sets) + extra."""
    own = {k: v for k, v in option_types(cls.options).items() if k not in run_wide}
    known = {**own, **extra}
    for k, v in row.items():
        if k not in known:
            raise InputError(f"config: unknown key {name}.{k!r}; known here: {', '.join(known)}")
        if isinstance(known[k], dict):
            if not isinstance(v, dict):
                raise InputError(f"config: {name}.{k} must be an object")
            _check_section(v, known[k], f"{name}.{k}.")
        elif known[k] != (object,):
            _check_value(f"{name}.{k}", k, v, known[k])
        else:
            _check_number(f"{name}.{k}", k, v)
    # the member's own settings against its option spec (limits, choices), before any stage
    check(f"config: {name}", {k: cls.options[k] for k in own},
          {k: v for k, v in row.items() if k in own})


def _check_settings(name: str, given: dict, flags: dict, make):
    """A section of dataclass settings (a row's train, a game): each given one against its
    flag's spec, named by row and key; then make(preset, **given) for the checks across
    settings (its message led by the row)."""
    for k, v in given.items():
        if k in flags:
            convert(f"config: {name}", k, flags[k], v)
    spec = dict(given)
    try:
        make(spec.pop("preset", "quick"), **spec)
    except InputError as exc:
        raise InputError(f"config: {name}: {exc}") from None


def is_jpeg(cfg: dict) -> bool:
    """Whether a config's covers are JPEGs (its data section's jpeg, else that of the preset
    it builds on: quick where it names none)."""
    from ..data.prepare import jpeg_quality

    data = cfg.get("data") if isinstance(cfg.get("data"), dict) else {}
    base = cfg.get("preset", "quick")
    if isinstance(base, str) and base in PRESETS:
        data = {**_resolve({"preset": base}, base).get("data", {}), **data}
    return jpeg_quality(data) > 0


def _check_jpeg(cfg: dict, jpeg: bool):
    """A JPEG config's rows hide in JPEG files and its wardens read them, and it holds no
    pixel stage; a pixel config's hiders take pixels."""
    from ..hiding.registry import HIDERS, hider_has
    from ..steganalysis.registry import DETECTORS

    if jpeg:
        extra = [k for k in PIXEL_ONLY if cfg.get(k)]
        if extra:
            raise InputError(f"config: a JPEG experiment (data.jpeg) has no {', '.join(extra)} "
                             "(stages of pixels or of a secret image): leave them out, or "
                             "build on the jpeg preset")
    for label, row in cfg.get("hiders", {}).items():
        name = row.get("hider") if isinstance(row, dict) else None
        if name in HIDERS.names() and hider_has(name, "jpeg_files") != jpeg:
            raise InputError(f"config: hiders.{label}: hider {name} " + (
                "takes pixels, not a JPEG corpus's coefficients" if jpeg else
                "hides in JPEG files: its experiment needs JPEG covers (data.jpeg)"))
    for label, row in cfg.get("wardens", {}).items():
        name = row.get("detector") if isinstance(row, dict) else None
        if jpeg and name in DETECTORS.names() and not DETECTORS.get(name)[0].reads_jpeg:
            raise InputError(f"config: wardens.{label}: detector {name} does not read JPEG "
                             "files")


def _check_rows(cfg: dict, jpeg: bool = False):
    from ..attacks.registry import ATTACKS
    from ..embedding.jpeg import JPEG_METHODS
    from ..embedding.simulate import METHODS as PIXEL_METHODS, PAYLOAD
    from ..hiding.registry import HIDERS
    from ..steganalysis.registry import DETECTORS

    METHODS = JPEG_METHODS if jpeg else PIXEL_METHODS
    _check_jpeg(cfg, jpeg)

    def each(section, key, family):
        for label, row in cfg.get(section, {}).items():
            name = f"{section}.{label}"
            if not isinstance(row, dict) or key not in row:
                raise InputError(f"config: {name} must be an object naming its {key}")
            if row[key] not in family.names():
                raise InputError(f"config: {name}: unknown {key} {row[key]!r}; known: "
                                 f"{', '.join(family.names())}")
            yield name, family.get(row[key])[0], {k: v for k, v in row.items() if k != key}

    from ..hiding.config import FLAGS as TRAIN_FLAGS, TrainConfig, make_config as train_config

    for name, cls, row in each("hiders", "hider", HIDERS):  # a trainable hider's row may train
        trainable = {"train": dataclass_schema(TrainConfig)} if cls.trainable else {}
        _row_settings(cls, name, row, trainable)
        if "train" in row:
            _check_settings(f"{name}.train", row["train"], TRAIN_FLAGS, train_config)
    for section in ("wardens", "transfer"):
        for name, cls, row in each(section, "detector", DETECTORS):
            _row_settings(cls, name, row, {}, run_wide=("seed", "device"))
    for name, cls, row in each("attacks", "attack", ATTACKS):
        _row_settings(cls, name, row, {"images": (int,), "retrain": (bool,)})
        if "images" in row:
            convert(f"config: {name}", "images", RUN["attacks.images"], row["images"])
    for label, row in cfg.get("baselines", {}).items():
        if not isinstance(row, dict) or row.get("method") not in METHODS or \
                not {"method", "payload"} <= set(row) <= {"method", "payload", "key"}:
            raise InputError(f"config: baselines.{label} must be {{\"method\": "
                             f"{' | '.join(METHODS)}, \"payload\": "
                             f"{'bpnzac' if jpeg else 'bpp'}[, \"key\": n]}}")
        _check_value(f"baselines.{label}.payload", "payload", row["payload"], NUMBER)
        convert(f"config: baselines.{label}", "payload", PAYLOAD, row["payload"])
        _check_value(f"baselines.{label}.key", "key", row.get("key", 0), (int,))
    _check_run_wide(cfg)
    from ..hiding.registry import the_hider_that
    from ..game.config import FLAGS as GAME_FLAGS, make_config as game_config

    game = harden_schema()
    player = the_hider_that("takes_adversarial_costs", jpeg_files=False)  # a game row plays
    # adversarial costs in pixels
    for label, row in cfg.get("games", {}).items():
        if not isinstance(row, dict) or row.get("method", player) != player:
            raise InputError(f"config: games.{label} must be an object of harden settings "
                             f"(method {player})")
        _check_section(row, game, f"games.{label}.")
        _check_settings(f"games.{label}", {**row, "method": player}, GAME_FLAGS, game_config)
    if cfg.get("harden"):
        _check_settings("harden", cfg["harden"], GAME_FLAGS, game_config)
    for section in ("hiders", "attacks"):
        if section in cfg and not cfg[section]:
            raise InputError(f"config: {section} must name at least one row")
    fr = cfg.get("data", {}).get("fractions")
    if fr is not None and (len(fr) not in (3, 4) or abs(sum(fr) - 1) > 1e-6):
        raise InputError(f"config: data.fractions must be three fractions (train, val, test) "
                         f"or four (alice, train, val, test) summing to 1, not {fr!r}")
    if "wardens" in cfg and not jpeg and set(cfg["wardens"]) != set(ROLES):
        raise InputError(f"config: wardens must name exactly {' and '.join(ROLES)}")
    if "wardens" in cfg and jpeg and not cfg["wardens"]:
        raise InputError("config: wardens must name at least one row")


def _check_run_wide(cfg: dict):
    """The data section by data prepare's spec, the simulator's payloads by its own, and
    the run-wide numbers by RUN."""
    from ..data.prepare import FRACTION, OPTIONS as PREPARE
    from ..embedding.simulate import PAYLOAD

    data = cfg.get("data", {})
    for k, v in data.items():
        if k in PREPARE:
            convert("config: data", k, PREPARE[k], v)
    for f in data.get("fractions") or ():
        convert("config: data", "fractions", FRACTION, f)
    for k in ("seed", "seeds"):
        if k in cfg:
            convert("config", k, RUN[k], cfg[k])
    if "size" in cfg.get("secret_size", {}):
        convert("config: secret_size", "size", RUN["secret_size.size"], cfg["secret_size"]["size"])
    if "payload" in (cfg.get("controls") or {}):
        convert("config: controls", "payload", PAYLOAD, cfg["controls"]["payload"])


def validate(cfg: dict) -> dict:
    """Refuse unknown keys, wrong types and non-positive counts, naming the key."""
    _check_section(cfg, schema(), "")
    _check_rows(cfg, is_jpeg(cfg))
    return cfg


# ---- loading ----------------------------------------------------------------------------

def _merge(base: dict, over: dict) -> dict:
    """over on top of base; a table (hiders, wardens, attacks...) is replaced whole."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        deep = isinstance(v, dict) and isinstance(out.get(k), dict) and k not in TABLES
        out[k] = _merge(out[k], v) if deep else copy.deepcopy(v)
    return out


def _resolve(over: dict, where: str, seen=()) -> dict:
    """A config on top of the preset it names (presets build on presets the same way)."""
    over = uncommented(over)
    base_name = over.get("preset")
    if base_name is None or base_name in seen:
        return over
    if base_name not in PRESETS:
        raise InputError(f"{where}: preset {base_name!r}: known are {', '.join(PRESETS)}")
    base = _resolve(read_preset(base_name), base_name, (*seen, base_name))
    return _merge(base, {k: v for k, v in over.items() if k != "preset"})


def load_config(name_or_path: str, root: str | None = None) -> dict:
    if name_or_path in PRESETS:
        cfg = _resolve({"preset": name_or_path}, name_or_path)
        cfg["preset"] = name_or_path
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise InputError(f"{name_or_path}: neither a preset ({', '.join(PRESETS)}) "
                             "nor a JSON config file")
        over = read_json(path, "JSON config")  # too large or too deep: refused too
        if not isinstance(over, dict):
            raise InputError(f"{path}: a config is a JSON object")
        validate(uncommented(over))
        cfg = _resolve({"preset": "quick", **over}, str(path))
        cfg["preset"] = over.get("preset", "quick")
    if cfg["data"]["source"] in ("bossbase", "lfw"):
        if not root:
            raise InputError(f"preset {name_or_path} reads {cfg['data']['source']}: "
                             "pass --root FOLDER")
        cfg["data"]["root"] = root
    validate(cfg)
    _check_references(cfg)
    return cfg


def _check_references(cfg: dict):
    """Rows that name other rows, and model files, are checked before any work."""
    rows = list(cfg.get("hiders", {}))
    if cfg.get("attacked") not in rows and not is_jpeg(cfg):
        raise InputError(f"config: attacked: {cfg.get('attacked')!r} is not a hiders row "
                         f"({', '.join(rows)})")
    for row in cfg.get("secret_size", {}).get("rows", []):
        if row not in rows:
            raise InputError(f"config: secret_size.rows: {row!r} is not a hiders row "
                             f"({', '.join(rows)})")
    ctl = cfg.get("controls")
    if ctl and (ctl.get("of") not in cfg.get("baselines", {}) or "payload" not in ctl):
        raise InputError(f"config: controls must be {{\"of\": a baselines row "
                         f"({', '.join(cfg.get('baselines', {}))}), \"payload\": bpp}}")
    small = cfg.get("secret_size", {})
    known = rows + list(cfg.get("baselines", {})) + list(control_rows(cfg)) + [
        f"{r} + secret {small.get('size')}x{small.get('size')}" for r in small.get("rows", [])]
    for pair in cfg.get("compare", []):
        if not (isinstance(pair, list) and len(pair) == 2 and all(x in known for x in pair)):
            raise InputError(f"config: compare: {pair!r} must be two rows of the tables "
                             f"({', '.join(known)})")
    from ..hiding.model import SHIPPED
    for label, row in cfg.get("hiders", {}).items():
        spec = row.get("model")
        if spec is not None and not (spec in SHIPPED or Path(spec).is_file()):
            raise InputError(f"config: hiders.{label}: {spec!r} is not a shipped hiding model "
                             f"({', '.join(SHIPPED)}) nor a model file")


def control_rows(cfg: dict) -> dict:
    """The controls' baselines rows: label -> (row, [reference row, role])."""
    ctl = cfg.get("controls")
    if not ctl:
        return {}
    of = ctl["of"]
    base = cfg["baselines"][of]
    return {f"{of}, another key": ({**base, "key": base.get("key", 0) + 1}, [of, "A/A null"]),
            f"{of} at {ctl['payload']:g} bpp": ({**base, "payload": ctl["payload"]},
                                                [of, "positive control"])}
