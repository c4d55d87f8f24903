"""Provenance of an experiment run: the seconds each stage took and where, the invocations
of the run folder (a killed one rebuilt from its stages' files), how busy each rank was."""

from __future__ import annotations

import json
import time
from pathlib import Path

from ..data.corpus import Corpus
from ..errors import InputError
from ..files import read_json
from .cache import _read_marker
from ..data.prepare import SPLITS


def stage_times(ex, corpus: Corpus, ran: list) -> dict:
    """Seconds each stage took in the invocation that made it (a reused stage keeps its
    time), the ranks it ran on, and how many images it handled where it handles images one
    by one. ran: the stages any rank ran in this invocation."""
    n = sum(len(corpus.files(s)) for s in SPLITS)
    out = {}
    for name, d in ex.done.items():
        meta = json.loads((d.folder / "stage.json").read_text())
        res, images = meta["result"], None
        if name.startswith("stegos-"):
            images = res["stegos"]
        elif name == "srm-features":
            images = res["images"]
        elif name.startswith("attack-"):
            images = res["images_attacked"]
        elif name.startswith("detect-") or name == "control":
            images = 2 * n
        out[name] = {"seconds": round(meta.get("seconds", 0.0), 2), "images": images,
                     "seconds_per_image": round(meta["seconds"] / images, 4) if images else None,
                     "ranks": meta.get("ranks"), "rank": meta.get("rank"),
                     "invocation": meta.get("invocation"), "reused": name not in ran}
    return out


def past_invocations(out: Path) -> list[dict]:
    """The invocations recorded in invocations.json, and any that made stages but never got
    there (killed): those are rebuilt from their stages' files, from the first stage's start
    to the last one's seal, a lower bound of their wall time (marked interrupted)."""
    path = out / "invocations.json"
    past = read_json(path, "run's invocations") if path.exists() else []
    if not isinstance(past, list) or not all(
            isinstance(p, dict) and _int(p.get("invocation")) for p in past):
        raise InputError(f"{path}: not a run's invocations (a list of records); move it away")
    known, spans = {p["invocation"] for p in past}, {}
    for marker in sorted((out / "stages").glob("*/stage.json")):
        meta = _read_marker(marker)  # {}: not a finished stage's
        k, seconds = meta.get("invocation"), meta.get("seconds", 0.0)
        if not _int(k) or k in known or not isinstance(seconds, (int, float)):
            continue
        end = marker.stat().st_mtime
        span = spans.setdefault(k, {"start": end, "end": end, "ranks": 1, "stages": []})
        span["start"] = min(span["start"], end - seconds)
        span["end"] = max(span["end"], end)
        span["ranks"] = max(span["ranks"], meta.get("ranks") if _int(meta.get("ranks")) else 1)
        span["stages"].append(marker.parent.name)
    for k, sp in sorted(spans.items()):
        past.append({"invocation": k, "ranks": sp["ranks"],
                     "wall_seconds": round(sp["end"] - sp["start"], 1),
                     "stages_ran": sp["stages"], "interrupted": True,
                     "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(sp["start"]))})
    return sorted(past, key=lambda p: p["invocation"])


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def invocations(ex, past: list, wall: float, ran: list) -> list[dict]:
    """Every invocation of this run folder so far, this one appended (rank 0 writes it):
    the whole run's wall time is their sum, whatever a resume reused."""
    this = {"invocation": ex.stages.invocation, "ranks": ex.ranks.world,
            "wall_seconds": round(wall, 1), "stages_ran": ran,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() - wall))}
    return [*past, this]


def busy_seconds(stages: dict, invocation: int, world: int) -> list[float]:
    """Seconds each rank spent in the stages it ran alone in this invocation (the stages all
    ranks share count for every rank): how well the ranks were balanced."""
    busy = [0.0] * world
    for v in stages.values():
        if v["reused"] or v["invocation"] != invocation:
            continue
        for r in (range(world) if v["ranks"] == world and world > 1 else [v["rank"] or 0]):
            busy[r] += v["seconds"]
    return [round(b, 1) for b in busy]
