"""The preset files in presets/ (JSON): read, with their comments ("_" keys) left out."""

from __future__ import annotations

import json
from importlib import resources


def uncommented(d):
    """d without the keys that start with "_" (comments), at every depth."""
    if isinstance(d, dict):
        return {k: uncommented(v) for k, v in d.items() if not k.startswith("_")}
    return d


def read_preset(name: str) -> dict:
    """presets/NAME.json without its comments."""
    text = (resources.files("advstego.experiments") / "presets" / f"{name}.json").read_text()
    return uncommented(json.loads(text))
