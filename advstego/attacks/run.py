"""Attack a folder of stegos; write the attacked 8-bit stegos and a CSV per image.

Success is decided afresh: the saved PNGs are read back and given to the detector.
Interrupted work resumes: each finished chunk's PNGs are written, then its rows are
appended to attack.partial.jsonl; a rerun with the same settings and detector skips them.
attack.csv and attack.json are written (atomically) only when every image is done.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import time
from pathlib import Path

import numpy as np

from ..data.prepare import list_images
from ..errors import InputError
from ..files import read_json, write_text_atomic
from ..images import read_image, write_image
from ..metrics import psnr
from ..paths import claim_run_folder
from ..progress import progress
from .base import AttackResult
from .registry import ATTACKS

PARTIAL = "attack.partial.jsonl"


def _cnn(detector):
    if not detector.differentiable:
        raise InputError(f"this attack needs a CNN detector's gradients; {detector.name} has "
                         "none (use xunet or srnet)")
    return detector


def fingerprint(detector) -> str:
    """A digest of the detector's weights: resuming against another detector is refused."""
    tensors, config = detector.state()
    h = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode())
    for k in sorted(tensors):
        h.update(k.encode())
        h.update(np.ascontiguousarray(tensors[k].detach().cpu().numpy()).tobytes())
    return h.hexdigest()[:16]


def attack_images(kind: str, detector, stegos, settings: dict) -> AttackResult:
    """Any registered attack on uint8 stegos in memory; settings are checked by name."""
    cls, _ = ATTACKS.get(kind)
    if cls.needs_gradients:
        _cnn(detector)
    return ATTACKS.create(kind).run(detector, list(stegos), cls.settings(**settings))


def flip_rates(p_before, p_after) -> dict:
    """flip_rate: of the stegos the detector called stego before, the share it calls cover
    after; missed_after: the share of all attacked stegos called cover (some already were)."""
    before, after = np.asarray(p_before) >= 0.5, np.asarray(p_after) < 0.5
    return {"flip_rate": float(after[before].mean()) if before.any() else None,
            "missed_after": float(after.mean()), "called_stego_before": int(before.sum())}


def _resume(dst: Path, settings: dict) -> dict:
    """Rows of an unfinished run with these settings, by image; {} if none."""
    path = dst / PARTIAL
    if not path.is_file():
        return {}
    lines = path.read_text().splitlines()
    try:
        head = json.loads(lines[0]) if lines else None
    except (ValueError, RecursionError):
        head = None
    if head != settings:
        raise InputError(f"{dst}: holds an unfinished attack with other settings or another "
                         f"detector ({PARTIAL}); use another --out or remove it")
    rows = {}
    for line in lines[1:]:
        try:
            r = json.loads(line)
        except (ValueError, RecursionError):  # a line cut short: that image is redone
            continue
        if not (isinstance(r, dict) and isinstance(r.get("image"), str)):
            continue  # not a row of ours: redone too
        if (dst / r["image"]).with_suffix(".png").is_file():
            rows[r["image"]] = r
    return rows


def attack_folder(kind: str, detector, src, dst, stop_after: int = 0, force: bool = False,
                  **params) -> dict | None:
    """Attack every image under src into dst. stop_after ends early after that many
    newly attacked images (as an interruption would) and returns None."""
    cls, _ = ATTACKS.get(kind)
    params = cls.settings(**params)
    if cls.needs_gradients:
        _cnn(detector)
    src, dst = Path(src), Path(dst)
    files = list_images(src)
    settings = {"attack": kind, "version": cls.version, **params, "detector": detector.name,
                "detector_sha": fingerprint(detector)}
    claim_run_folder(dst, "attack", {**settings, "stegos": str(src.resolve())}, force,
                     writes=("*.png", PARTIAL, "attack.csv", "attack.json", "manifest.json",
                             ".*.tmp"))
    if force:
        for f in (PARTIAL, "attack.csv", "attack.json"):
            (dst / f).unlink(missing_ok=True)
    elif (dst / "attack.json").is_file():  # finished with these settings: reuse it
        return read_json(dst / "attack.json", "finished attack's attack.json")
    done = _resume(dst, settings)
    resumed = len(done)
    todo = [f for f in files if str(f.relative_to(src)) not in done]
    if not done:
        write_text_atomic(dst / PARTIAL, json.dumps(settings) + "\n")
    chunk = cls.chunk
    bar = progress(total=len(files), initial=len(files) - len(todo), desc=kind, unit="img")
    new = 0
    with open(dst / PARTIAL, "a") as log:
        for i in range(0, len(todo), chunk):
            if stop_after and new >= stop_after:
                bar.close()
                return None
            part = todo[i:i + chunk]
            stegos = [read_image(f, "gray") for f in part]
            t0 = time.perf_counter()
            res = attack_images(kind, detector, stegos, params)
            attacked, queries = res.images, res.queries
            seconds = (time.perf_counter() - t0) / len(part)
            for f, s, a, q in zip(part, stegos, attacked, queries):
                rel = str(f.relative_to(src))
                out = (dst / rel).with_suffix(".png")
                out.parent.mkdir(parents=True, exist_ok=True)
                write_image(out, a)
                diff = a.astype(np.int64) - s
                done[rel] = {
                    "image": rel, "queries": q, "linf": int(np.abs(diff).max()),
                    "l2": float(np.sqrt((diff ** 2).sum())), "changed_pixels": int((diff != 0).sum()),
                    "psnr_to_stego": psnr(s, a), "seconds": seconds}
                log.write(json.dumps(done[rel]) + "\n")
            log.flush()
            os.fsync(log.fileno())
            new += len(part)
            bar.update(len(part))
    bar.close()
    rows = [done[str(f.relative_to(src))] for f in files]
    stegos = [read_image(f, "gray") for f in files]
    back = [read_image((dst / r["image"]).with_suffix(".png"), "gray") for r in rows]
    p_before, p_after = detector.prob_stego(stegos), detector.prob_stego(back)
    for r, b, a in zip(rows, p_before, p_after):
        r.update(prob_before=float(b), prob_after=float(a), missed_after=int(a < 0.5))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    write_text_atomic(dst / "attack.csv", buf.getvalue())
    seconds = sum(r["seconds"] for r in rows)
    summary = {**settings, "images": len(rows), "resumed": resumed,
               **flip_rates(p_before, p_after),
               "mean_queries": float(np.mean([r["queries"] for r in rows])),
               "mean_linf": float(np.mean([r["linf"] for r in rows])),
               "images_per_s": len(rows) / max(seconds, 1e-9)}
    write_text_atomic(dst / "attack.json", json.dumps(summary, indent=1))
    if (src / "manifest.json").is_file():
        write_text_atomic(dst / "manifest.json", (src / "manifest.json").read_text())
    (dst / PARTIAL).unlink()
    return summary
