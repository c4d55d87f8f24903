"""How many test photos and warden seeds a comparison needs: from a finished experiment's
results.json, the photo part of each paired ΔPE's variance is scaled to other numbers of
photos, and the seed part (the spread of one warden's PE over training seeds) to other numbers
of seeds; printed is the smallest ΔPE resolvable at 80% power (α = 0.05, two-sided), and the
fewest photos that reach --target for each number of seeds.

    .venv/bin/python benchmarks/power.py RUN/results.json [--target 0.03] [--seed-sd SRM=0,CNN=0.07]

Var(ΔPE) = V_photos · P / P' + 2 σ_seed² / S'  (P photos now, P' planned, S' seeds per arm).
σ_seed: taken from the run where its wardens have several seeds, else from --seed-sd (for
example results/game_noise.txt: a Xu-Net's PE spreads with SD ≈ 0.07 over seeds; SRM+FLD is
deterministic given its stegos).
"""

import argparse
import json
import math

import numpy as np

from advstego.stats import min_detectable, paired
from advstego.steganalysis.detector import arm


def _seed_sd(calls) -> float | None:
    if not isinstance(calls, list) or len(calls) < 2:
        return None
    a = arm(calls)
    pes = [np.mean([np.mean(d[a.labels == 0] == 1), np.mean(d[a.labels == 1] == 0)])
           for d in a.decisions]
    return float(np.std(pes, ddof=1))


def plan(v_photo: float, photos: int, sd: float, target: float, seeds=range(1, 11)):
    """[(seeds, fewest photos reaching target or None)]; a deterministic warden (sd 0)
    needs one seed."""
    z = min_detectable(1.0)
    out = []
    for s in seeds:
        left = (target / z) ** 2 - 2 * sd ** 2 / s
        out.append((s, math.ceil(v_photo * photos / left) if left > 0 else None))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--target", type=float, default=0.03)
    ap.add_argument("--seed-sd", default="SRM=0,CNN=0.07")
    ap.add_argument("--resamples", type=int, default=2000)
    a = ap.parse_args()
    r = json.load(open(a.results))
    given = dict(kv.split("=") for kv in a.seed_sd.split(",") if kv)
    todo = [(c["a"], c["b"], c["warden"], c["role"]) for c in r.get("comparisons", [])]
    if not todo:
        raise SystemExit(f"{a.results}: no comparisons (a run made before intervals?)")
    print(f"target ΔPE {a.target:g} at 80% power, α = 0.05 (two-sided)")
    for x, y, w, role in todo:
        ca, cb = r["table2"][x][w].get("calls"), r["table2"][y][w].get("calls")
        if not (ca and cb):
            print(f"{y} − {x} ({w}): no calls saved")
            continue
        p = paired(arm(ca), arm(cb), n_resamples=a.resamples)
        run_sd = _seed_sd(ca)
        sd = run_sd if run_sd is not None else float(given.get(w, 0))
        photos, seeds_now = p["n_photos"], len(ca) if isinstance(ca, list) else 1
        # the bootstrap's variance holds the run's own seed part where it had seeds
        v_photo = max(0.0, p["se"] ** 2 - (2 * sd ** 2 / seeds_now if run_sd else 0.0))
        print(f"\n{y} − {x} [{role}, {w}]: ΔPE {p['diff']:+.3f} [{p['low']:+.3f}, "
              f"{p['high']:+.3f}] on {photos} photos / {p['n_images']} images; now "
              f"resolvable: {p['min_detectable']:.3f}; seed SD {sd:g}")
        for s, need in plan(v_photo, photos, sd, a.target, range(1, 11) if sd else [1]):
            now = min_detectable(math.sqrt(v_photo + 2 * sd ** 2 / s))
            print(f"  {s:2d} seed(s): {now:.3f} with these photos; {a.target:g} needs "
                  + (f"{need} photos" if need else "more seeds (the seed spread alone exceeds it)"))


if __name__ == "__main__":
    main()
