"""Time of one STC stego (S-UNIWARD costs + JPEG secret at 0.4 bpp, 256x256 gray covers),
split into its parts: the cost map (ours beside conseal's, with their largest relative
difference), the secret's compression, the STC embedding.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/stc_speed.py [--images 6] [--repeat 3]

Each time is the median over --repeat passes of its mean per image.
"""

import argparse
import time

import conseal
import numpy as np

from advstego.data.sources import sample_photos
from advstego.embedding.costs import cost_adjusted
from advstego.hiding.classical import StcHider, forget_compressed
from advstego.hiding.small import shrink


def gray(p):
    x = p.load()
    if x.ndim == 3:
        x = (x @ np.array([0.299, 0.587, 0.114])).round().astype(np.uint8)
    return np.ascontiguousarray(x[:256, :256])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=6)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()

    def per_image(fn, items):
        times = []
        for _ in range(a.repeat):
            forget_compressed()  # each repeat searches the secret's codec again
            t = time.perf_counter()
            out = [fn(*i) for i in items]
            times.append((time.perf_counter() - t) / len(items))
        return out, float(np.median(times))

    imgs = [gray(p) for p in sample_photos()[: a.images + 1]]
    covers, secrets = imgs[:-1], imgs[1:]
    hider = StcHider("suniward", "jpeg", 0.4)
    hider.hide(covers[0], secrets[0])  # numba's compiled coder loaded, conseal imported
    ours, t_cost = per_image(lambda c: cost_adjusted(c, "suniward"), [(c,) for c in covers])
    theirs, t_conseal = per_image(conseal.suniward.compute_cost_adjusted, [(c,) for c in covers])
    diff = max(float(np.max(np.abs(a - b) / b)) for o, r in zip(ours, theirs)
               for a, b in zip(o, r))
    print(f"STC-S-UNIWARD + JPEG 0.4 bpp, {len(covers)} covers of 256x256, one thread")
    print(f"  S-UNIWARD cost map: conseal {t_conseal:6.3f} s/image, ours {t_cost:6.3f} "
          f"({t_conseal / t_cost:.1f}x), largest relative difference {diff:.1e}")
    for size in (256, 128):
        sec = [s if size == 256 else shrink(s[None], size)[0] for s in secrets]
        _, t_msg = per_image(lambda s: hider._message(s, 256 * 256), [(s,) for s in sec])
        _, t_all = per_image(hider.hide, list(zip(covers, sec)))
        print(f"  secret {size}x{size}: whole stego {t_all:6.3f} s/image  (compression "
              f"{t_msg:.3f}, STC embedding ~{t_all - t_cost - t_msg:.3f})")


if __name__ == "__main__":
    main()
