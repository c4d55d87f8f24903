"""Rewrite game run folders' config.json to the current schema, once (instead of a reader
that keeps every earlier spelling alive).

    .venv/bin/python scripts/migrate_results.py [--check] [RUN ...]

A game's config.json (`advstego harden`) now holds its common settings, its player's own and
`rounds` (game/config.game_settings); one written before `scheme` and `play` existed gets the
values those runs used (game/config.BEFORE), and the other player's fields go; a key kept in
clear becomes its fingerprint (game/config.recorded_key). Without RUN:
every game committed under results/ (results/games/*, results/study/*). --check: exit 1 if a
file is not yet in the current schema, change nothing.
"""

import argparse
import json
import sys
from dataclasses import fields
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from advstego.game.config import BEFORE, HardenConfig, as_recorded, game_settings  # noqa: E402


def current(cfg: dict) -> dict:
    """cfg in the current schema."""
    known = {f.name for f in fields(HardenConfig)}
    vals = {**BEFORE, **{k: v for k, v in cfg.items() if k in known}}
    hc = HardenConfig(**vals)
    hc.wardens = tuple(hc.wardens)
    out = game_settings(hc)
    if "key" in out:  # a recorded key: its fingerprint as it is, a key in clear fingerprinted
        out["key"] = as_recorded(hc.key)
    return json.loads(json.dumps({**out, "rounds": cfg.get("rounds", hc.rounds)}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="*", type=Path)
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    runs = a.runs or sorted(p.parent for pat in ("results/games/*/config.json",
                                                 "results/study/*/config.json")
                            for p in ROOT.glob(pat))
    stale = []
    for run in runs:
        path = run / "config.json"
        had = json.loads(path.read_text())
        new = current(had)
        if new != had:
            stale.append(str(path))
            if not a.check:
                path.write_text(json.dumps(new, indent=1))
    print(("stale: " if a.check else "migrated: ") + (", ".join(stale) or "none"))
    sys.exit(1 if a.check and stale else 0)


if __name__ == "__main__":
    main()
