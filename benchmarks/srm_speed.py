"""SRM extraction time: ours vs sealwatch on the same 256x256 images, and their ratio
(one process, one thread each; ours timed after one warm-up image).

    .venv/bin/python benchmarks/srm_speed.py [--images 4]
"""

import argparse
import time

import numpy as np
import sealwatch.srm as sw_srm

from advstego.data.sources import sample_photos
from advstego.steganalysis import srm


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=4)
    a = ap.parse_args()
    imgs = []
    for p in sample_photos()[: a.images]:
        x = p.load()
        if x.ndim == 3:
            x = (x @ np.array([0.299, 0.587, 0.114])).round().astype(np.uint8)
        imgs.append(np.ascontiguousarray(x[:256, :256]))
    t = time.perf_counter()
    ref = [sw_srm.extract(x) for x in imgs]
    t_sw = (time.perf_counter() - t) / len(imgs)
    srm.extract(imgs[0])  # loads the compiled co-occurrence counter (numba's disk cache)
    t = time.perf_counter()
    ours = [srm.extract(x) for x in imgs]
    t_ours = (time.perf_counter() - t) / len(imgs)
    same = all(np.array_equal(r[k], o[k]) for r, o in zip(ref, ours) for k in r)
    print(f"SRM 34,671-D, {len(imgs)} images of 256x256")
    print(f"sealwatch: {t_sw:6.2f} s/image")
    print(f"advstego : {t_ours:6.2f} s/image")
    print(f"speed-up : {t_sw / t_ours:6.1f}x   (features identical: {same})")


if __name__ == "__main__":
    main()
