"""Rewrite game run folders' config.json to the current schema, once (instead of a reader
that keeps every earlier spelling alive).

    .venv/bin/python scripts/migrate_results.py [--check] [RUN ...]

A game's config.json (`advstego harden`) now holds the game's own settings, its hider spec
(name + settings, checked by the hider's options), the trainable hider's finetune or the
adversary spec (scheme + settings, checked by the member's options) with its play, and
`rounds` (game/config.HardenConfig.to_dict). A flat one, written before specs, is read as
HardenConfig.from_dict reads it: settings it predates take the values those runs used, the
other player's and the other adversaries' settings go, and a key kept in clear becomes its
fingerprint (game/config.recorded_key). Without RUN: every game committed under results/
(results/games/*, results/study/*). --check: exit 1 if a file is not yet in the current
schema, change nothing.
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from advstego.game.config import HardenConfig  # noqa: E402


def current(cfg: dict) -> dict:
    """cfg in the current schema."""
    return HardenConfig.from_dict(cfg).to_dict()


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
