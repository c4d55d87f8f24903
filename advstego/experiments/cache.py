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

from ..distributed import Ranks
from ..errors import InputError
from ..files import read_json, write_text_atomic


class Stages:
    """The stage folders of one run; under torchrun every rank holds one (see `run`)."""

    def __init__(self, root, quiet=False, ranks=None):
        self.root = Path(root)
        self.ranks = ranks or Ranks()
        if self.ranks.rank == 0:
            (self.root / "stages").mkdir(parents=True, exist_ok=True)
        self.ranks.barrier()
        self.quiet = quiet or self.ranks.rank > 0
        self.ran, self.reused = [], []
        self.invocation = 0  # which invocation of the run made a stage (set by the caller)

    @staticmethod
    def folder(root, name: str) -> Path:
        """The folder of a run's stage (whether it finished or not)."""
        return Path(root) / "stages" / name

    def seconds(self, name: str) -> float | None:
        """How long the stage took the last time it ran (whatever its settings were then):
        the cost to plan the next run by."""
        marker = self.folder(self.root, name) / "stage.json"
        try:
            return float(_read_marker(marker)["seconds"])
        except (ValueError, KeyError, TypeError):
            return None

    def owners(self, names: list[str], weights: dict = None) -> dict[str, int]:
        """Each stage's rank, longest first to the least busy rank (LPT): costs are the
        stages' last measured times; where a stage never ran, the mean measured time (1 if
        none) times its weight (a cost model relative to the group's usual stage; 1 if not
        given)."""
        last = {n: self.seconds(n) for n in names}
        known = [c for c in last.values() if c is not None]
        default = sum(known) / len(known) if known else 1.0
        cost = {n: default * (weights or {}).get(n, 1.0) if c is None else c
                for n, c in last.items()}
        busy = [0.0] * self.ranks.world
        out = {}
        for n in sorted(names, key=lambda n: -cost[n]):
            r = min(range(len(busy)), key=busy.__getitem__)
            out[n], busy[r] = r, busy[r] + cost[n]
        return self.ranks.gather(out)[0]  # rank 0's plan for all (a stage may finish meanwhile)

    @staticmethod
    def result(folder):
        """The result a finished stage folder holds."""
        return json.loads((Path(folder) / "stage.json").read_text())["result"]

    def run(self, name: str, settings, deps: list, fn, mode="one", owner=0):
        """fn(folder) -> JSON-able result. Returns (folder, result, key).

        mode "one": rank `owner` runs fn, the others wait and read its result.
        mode "all": every rank runs fn(folder) together (fn shares the work out by rank and
        returns the same result on each); rank 0 seals the folder.
        mode "async": rank `owner` runs fn; the others go on at once with result None (read
        it with `result(folder)` after a barrier)."""
        key = hashlib.sha1(json.dumps({"settings": settings, "deps": deps},
                                      sort_keys=True, default=str).encode()).hexdigest()[:16]
        folder = self.root / "stages" / name
        r = self.ranks
        if mode == "async" and r.rank != owner % r.world:
            return folder, None, key
        marker = folder / "stage.json"
        meta = _read_marker(marker)
        if mode != "async":
            r.barrier()  # every rank has looked before any rank writes
        if meta.get("key") == key:
            self.reused.append(name)
            return folder, meta["result"], key
        runs_fn = mode == "all" or r.rank == owner % r.world
        seals = r.rank == (0 if mode == "all" else owner % r.world)
        tmp = folder.with_name(name + ".partial")
        if seals:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            if not self.quiet:
                print(f"[stage] {name} ...", file=sys.stderr, flush=True)
        if mode == "all":
            r.barrier()
        result = None
        if runs_fn:
            t = time.perf_counter()
            result = fn(tmp)
            seconds = time.perf_counter() - t
        if mode == "all":
            r.barrier()
        if seals:
            write_text_atomic(tmp / "stage.json", json.dumps(
                {"key": key, "settings": settings, "deps": deps, "result": result,
                 "seconds": seconds, "ranks": r.world if mode == "all" else 1,
                 "rank": r.rank, "invocation": self.invocation},
                indent=1, default=str))
            shutil.rmtree(folder, ignore_errors=True)
            tmp.rename(folder)
            self.ran.append(name)
        if mode != "async":
            r.barrier()
        if result is None:
            result = self.result(folder)
        return folder, result, key


def _read_marker(marker: Path) -> dict:
    """A stage's stage.json; a missing, truncated or foreign one means: not finished."""
    try:
        meta = read_json(marker, "stage record")
    except InputError:  # unreadable, not JSON, too large or too deep
        return {}
    return meta if isinstance(meta, dict) and "result" in meta else {}
