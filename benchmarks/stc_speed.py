"""Time of one STC stego (S-UNIWARD costs + JPEG secret at 0.4 bpp, 256x256 gray covers),
split into its parts: conseal's cost map, the secret's compression, the STC embedding.

    .venv/bin/python benchmarks/stc_speed.py [--images 6]
"""

import argparse
import time

import numpy as np

from advstego.data.sources import sample_photos
from advstego.hiding import classical
from advstego.hiding.classical import StcHider
from advstego.hiding.small import shrink


def gray(p):
    x = p.load()
    if x.ndim == 3:
        x = (x @ np.array([0.299, 0.587, 0.114])).round().astype(np.uint8)
    return np.ascontiguousarray(x[:256, :256])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=6)
    a = ap.parse_args()
    imgs = [gray(p) for p in sample_photos()[: a.images + 1]]
    covers, secrets = imgs[:-1], imgs[1:]
    hider = StcHider("suniward", "jpeg", 0.4)
    hider.hide(covers[0], secrets[0])  # numba's compiled coder loaded, conseal imported
    t = time.perf_counter()
    for c in covers:
        classical._costs(c, "suniward")
    t_cost = (time.perf_counter() - t) / len(covers)
    print(f"STC-S-UNIWARD + JPEG 0.4 bpp, {len(covers)} covers of 256x256, one thread")
    print(f"  conseal S-UNIWARD cost map      {t_cost:6.3f} s/image")
    for size in (256, 128):
        sec = [s if size == 256 else shrink(s[None], size)[0] for s in secrets]
        t = time.perf_counter()
        for s in sec:
            hider._message(s, 256 * 256)
        t_msg = (time.perf_counter() - t) / len(sec)
        t = time.perf_counter()
        for c, s in zip(covers, sec):
            hider.hide(c, s)
        t_all = (time.perf_counter() - t) / len(covers)
        print(f"  secret {size}x{size}: whole stego {t_all:6.3f} s/image  (compression "
              f"{t_msg:.3f}, STC embedding ~{t_all - t_cost - t_msg:.3f})")


if __name__ == "__main__":
    main()
