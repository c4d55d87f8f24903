"""Time of the photo-resampling intervals (advstego.stats) for one table cell and one paired
comparison: IMAGES test images (half covers, half their stegos) from PHOTOS photos, RESAMPLES
bootstrap draws, with and without PE_min (which needs the scores).

    .venv/bin/python benchmarks/interval_speed.py [--images 2000] [--photos 150] [--resamples 10000]
"""

import argparse
import time

import numpy as np

from advstego import stats


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--photos", type=int, default=150)
    ap.add_argument("--resamples", type=int, default=10_000)
    ap.add_argument("--seeds", type=int, default=1)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    half = a.images // 2
    photos = np.sort(rng.integers(0, a.photos, half))
    labels = np.r_[np.zeros(half), np.ones(half)].astype(int)
    scores = rng.normal(0, 1, (a.seeds, 2 * half)) + labels
    arms = [stats.Arm(labels, np.r_[photos, photos], (s > 0.5).astype(int), s)
            for s in (scores, scores + rng.normal(0, 0.3, scores.shape))]
    print(f"{2 * half} images from {len(arms[0].photos)} photos, {a.seeds} seed(s), "
          f"{a.resamples} resamples")
    for label, fn in (
            ("interval: P_FA, P_MD, PE", lambda: stats.interval(
                stats.Arm(labels, arms[0].photos[arms[0]._ids], arms[0].decisions),
                n_resamples=a.resamples)),
            ("interval: P_FA, P_MD, PE, PE_min", lambda: stats.interval(
                arms[0], n_resamples=a.resamples)),
            ("paired ΔPE", lambda: stats.paired(*arms, n_resamples=a.resamples))):
        fn()  # warm
        t = time.perf_counter()
        r = fn()
        dt = time.perf_counter() - t
        shown = stats.fmt(r["PE"]) if "PE" in r else f"{r['diff']:+.3f} [{r['low']:+.3f}, " \
            f"{r['high']:+.3f}]"
        print(f"{label:34s} {dt:6.3f} s   {shown}")


if __name__ == "__main__":
    main()
