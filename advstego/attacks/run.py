"""Attack a folder of stegos; write the attacked 8-bit stegos and a CSV per image.

Success is decided afresh: the saved PNG is read back and given to the detector.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import numpy as np

from ..embedding.simulate import list_images
from ..errors import InputError
from ..images import read_image, write_image, write_text_atomic
from ..metrics import psnr
from ..progress import progress
from .fgsm import fgsm, fgsm_uint8
from .onepixel import onepixel


def _cnn(detector):
    if not hasattr(detector, "logits"):
        raise InputError(f"FGSM needs a CNN detector's gradients; {detector.name} has none "
                         "(use xunet or srnet)")
    return detector


def attack_folder(kind: str, detector, src, dst, **params) -> dict:
    src, dst = Path(src), Path(dst)
    files = list_images(src)
    stegos = [read_image(f, "gray") for f in files]
    t0 = time.perf_counter()
    queries = [0] * len(files)
    if kind == "fgsm":
        attacked = list(fgsm(_cnn(detector), stegos, params["eps"]))
    elif kind == "fgsm-uint8":
        attacked, rounds = fgsm_uint8(_cnn(detector), stegos, params.get("levels", 2))
        attacked, queries = list(attacked), [int(r) + 1 for r in rounds]
    elif kind == "onepixel":
        attacked = []
        for n, s in enumerate(progress(stegos, desc="one pixel", unit="img")):
            r = onepixel(detector.prob_stego, s, params.get("pixels", 1),
                         params.get("maxiter", 50), params.get("popsize", 20),
                         params.get("seed", 500))
            attacked.append(r["image"])
            queries[n] = r["queries"]
    else:
        raise InputError(f"unknown attack {kind!r}")
    seconds = time.perf_counter() - t0
    rows = []
    for f, s, a, q in zip(files, stegos, attacked, queries):
        out = (dst / f.relative_to(src)).with_suffix(".png")
        out.parent.mkdir(parents=True, exist_ok=True)
        write_image(out, a)
        diff = a.astype(np.int64) - s
        rows.append({"image": str(f.relative_to(src)), "queries": q,
                     "linf": int(np.abs(diff).max()), "l2": float(np.sqrt((diff ** 2).sum())),
                     "changed_pixels": int((diff != 0).sum()), "psnr_to_stego": psnr(s, a)})
    back = [read_image((dst / r["image"]).with_suffix(".png"), "gray") for r in rows]
    p_before, p_after = detector.prob_stego(stegos), detector.prob_stego(back)
    for r, b, a in zip(rows, p_before, p_after):
        r.update(prob_before=float(b), prob_after=float(a), success=int(a < 0.5))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    write_text_atomic(dst / "attack.csv", buf.getvalue())
    summary = {"attack": kind, **params, "detector": detector.name, "images": len(rows),
               "success_rate": float(np.mean([r["success"] for r in rows])),
               "mean_queries": float(np.mean(queries)),
               "mean_linf": float(np.mean([r["linf"] for r in rows])),
               "images_per_s": len(rows) / max(seconds, 1e-9)}
    write_text_atomic(dst / "attack.json", json.dumps(summary, indent=1))
    if (src / "manifest.json").is_file():
        write_text_atomic(dst / "manifest.json", (src / "manifest.json").read_text())
    return summary
