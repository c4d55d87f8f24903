"""A detect stage with the SRM feature cache cold vs warm: the same SRM+FLD warden trained
and tested twice on the same covers and stegos, the second time with every feature cached
(as every detect stage after the first finds the covers' features).

    .venv/bin/python benchmarks/detect_cache.py [--images 40] [--size 256] [--q1]

Prints both wall times and their ratio.
"""

import argparse
import os
import tempfile
import time

import numpy as np

from advstego.data.sources import sample_photos
from advstego.embedding import simulate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=40, help="covers (and as many stegos)")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--q1", action="store_true", help="SRMQ1 instead of the full SRM")
    a = ap.parse_args()
    covers = []
    for p in sample_photos():
        x = p.load()
        x = x if x.ndim == 2 else (x @ np.array([0.299, 0.587, 0.114])).round().astype(np.uint8)
        for y in range(0, x.shape[0] - a.size + 1, a.size):
            for z in range(0, x.shape[1] - a.size + 1, a.size):
                covers.append(np.ascontiguousarray(x[y:y + a.size, z:z + a.size]))
    covers = covers[:a.images]
    stegos = [simulate(c, "suniward", 0.4, seed=i) for i, c in enumerate(covers)]
    h = len(covers) // 2
    with tempfile.TemporaryDirectory() as cache:
        os.environ["ADVSTEGO_CACHE"] = cache  # an empty cache, then the one this run fills
        from advstego.steganalysis.detector import build_detector, fit_and_measure

        times = []
        for _ in range(2):
            t = time.perf_counter()
            det = build_detector("srmq1-fld" if a.q1 else "srm-fld", L=31, d_sub=600)
            r = fit_and_measure(det, (covers[:h], stegos[:h]), (covers[h:], stegos[h:]))
            times.append(time.perf_counter() - t)
    print(f"detect (SRM{'Q1' if a.q1 else ''}+FLD fit + test) on {len(covers)} covers + "
          f"{len(stegos)} stegos of {a.size}x{a.size}, PE {r['PE']:.3f}")
    print(f"  features cold: {times[0]:7.1f} s")
    print(f"  features warm: {times[1]:7.1f} s   ({times[0] / times[1]:.1f}x faster)")


if __name__ == "__main__":
    main()
