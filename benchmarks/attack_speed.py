"""Attack throughput (images/s) and One Pixel queries per success on this machine.

A small Xu-Net-style detector is trained on synthetic covers vs LSB-3 stegos (so it is
confident), then attacked. One Pixel runs with our defaults (maxiter 50, popsize 20) and
with torchattacks' OnePixel default budget (steps=10, popsize=10), both on scipy's
differential evolution and both stopping on success; torchattacks itself is not
installed (it pins requests~=2.25.1).

    .venv/bin/python benchmarks/attack_speed.py [--images 16]
"""

import argparse
import time

import numpy as np

from advstego.attacks.fgsm import fgsm, fgsm_uint8
from advstego.attacks.onepixel import onepixel
from advstego.data.synthetic import synthetic_covers
from advstego.hiding.model import LsbHider
from advstego.steganalysis.cnn import CnnDetector


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=16)
    a = ap.parse_args()
    c = synthetic_covers(200 + a.images, size=64)
    h = LsbHider(3)
    s = [h.hide(x, c[(i + 1) % len(c)]) for i, x in enumerate(c)]
    det = CnnDetector("xunet", epochs=6, batch=16).fit(c[:200], s[:200], quiet=True)
    test = s[200:]
    p0 = det.prob_stego(test)
    print(f"detector: mean P(stego) of {len(test)} test stegos {p0.mean():.3f}")

    t = time.perf_counter()
    adv = fgsm(det, test, 0.008)
    dt = time.perf_counter() - t
    print(f"FGSM eps=0.008        : {len(test) / dt:8.1f} images/s, success "
          f"{np.mean(det.prob_stego(list(adv)) < 0.5):.3f}")
    t = time.perf_counter()
    adv, rounds = fgsm_uint8(det, test, levels=2)
    dt = time.perf_counter() - t
    print(f"FGSM uint8, L-inf <= 2: {len(test) / dt:8.1f} images/s, success "
          f"{np.mean(det.prob_stego(list(adv)) < 0.5):.3f}, mean rounds {rounds.mean():.1f}")

    for label, kw in (("ours (maxiter 50, popsize 20, stop on success)",
                       dict(maxiter=50, popsize=20)),
                      ("torchattacks' default budget (steps 10, popsize 10)",
                       dict(maxiter=10, popsize=10))):
        for p in (1, 3):
            t = time.perf_counter()
            rs = [onepixel(det.prob_stego, x, p, seed=500, **kw) for x in test]
            dt = time.perf_counter() - t
            ok = [r for r in rs if r["success"]]
            q = np.mean([r["queries"] for r in ok]) if ok else float("nan")
            print(f"One Pixel p={p}, {label}: success {len(ok) / len(rs):.3f}, "
                  f"queries per success {q:8.1f}, {len(rs) / dt:6.2f} images/s")


if __name__ == "__main__":
    main()
