"""Cached, resumable stages: a stage re-runs only when its settings or inputs changed.

Each stage is built in a temporary folder and renamed into place with a stage.json
holding its key and result, so Ctrl-C leaves every finished stage reusable.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

from ..files import write_text_atomic


class Stages:
    def __init__(self, root, quiet=False):
        self.root = Path(root)
        (self.root / "stages").mkdir(parents=True, exist_ok=True)
        self.quiet = quiet
        self.ran, self.reused = [], []

    def run(self, name: str, settings, deps: list, fn):
        """fn(folder) -> JSON-able result. Returns (folder, result, key)."""
        key = hashlib.sha1(json.dumps({"settings": settings, "deps": deps},
                                      sort_keys=True, default=str).encode()).hexdigest()[:16]
        folder = self.root / "stages" / name
        marker = folder / "stage.json"
        if marker.exists():
            meta = json.loads(marker.read_text())
            if meta.get("key") == key:
                self.reused.append(name)
                return folder, meta["result"], key
        tmp = folder.with_name(name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if not self.quiet:
            print(f"[stage] {name} ...", file=sys.stderr, flush=True)
        t = time.perf_counter()
        result = fn(tmp)
        write_text_atomic(tmp / "stage.json", json.dumps(
            {"key": key, "settings": settings, "deps": deps, "result": result,
             "seconds": time.perf_counter() - t}, indent=1, default=str))
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
        self.ran.append(name)
        return folder, result, key
