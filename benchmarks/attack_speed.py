"""Attack throughput (images/s) and One Pixel queries per success on this machine.

A small Xu-Net-style detector is trained on synthetic covers vs LSB-1 stegos (--bits;
weak enough that a few pixels can matter), then attacked. One Pixel runs on scipy's
differential evolution at torchattacks' default budget (10 generations of the same
population size) and, for p = 1, at our defaults (maxiter 50, popsize 20); all stop on
success. With --torchattacks DIR (a folder where
`pip install --no-deps --target DIR torchattacks` put it; advstego does not depend on it,
it pins requests~=2.25.1) torchattacks' own OnePixel runs on the same images with its
defaults, its model calls counted as queries; its float pixel values are rounded to uint8
before success is judged, as for every other attack here.

    .venv/bin/python benchmarks/attack_speed.py [--images 48] [--torchattacks /tmp/ta]
"""

import argparse
import sys
import time

import numpy as np
import torch

from advstego.attacks.fgsm import fgsm, fgsm_uint8
from advstego.attacks.onepixel import onepixel
from advstego.data.synthetic import synthetic_covers
from advstego.hiding.lsb import LsbHider
from advstego.images import from_tensor, to_tensor
from advstego.steganalysis.cnn import CnnDetector


def report(label, p, rs, dt):
    ok = [r for r in rs if r["success"]]
    q = np.mean([r["queries"] for r in ok]) if ok else float("nan")
    print(f"One Pixel p={p}, {label}: success {len(ok) / len(rs):.3f}, queries per success "
          f"{q:8.1f}, all queries / successes {sum(r['queries'] for r in rs) / max(len(ok), 1):8.1f}, "
          f"{len(rs) / dt:6.2f} images/s")


def torchattacks_onepixel(det, images, pixels):
    import torchattacks

    class Counted(torch.nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net, self.queries = net, 0

        def forward(self, x):
            self.queries += len(x)
            return self.net(x)

    model = Counted(det.net).eval()
    atk = torchattacks.OnePixel(model, pixels=pixels)  # its defaults: steps 10, popsize 10
    out = []
    for img in images:
        model.queries = 0
        adv = from_tensor(atk(to_tensor(img), torch.tensor([1])))[0]
        out.append({"success": bool(det.prob_stego([adv])[0] < 0.5), "queries": model.queries})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=48)
    ap.add_argument("--all", action="store_true", help="also our defaults at p = 3 (slow)")
    ap.add_argument("--bits", type=int, default=1, help="LSB bits of the stegos attacked")
    ap.add_argument("--torchattacks", help="folder holding torchattacks (not a dependency)")
    a = ap.parse_args()
    c = synthetic_covers(200 + a.images, size=64)
    h = LsbHider(a.bits)
    s = [h.hide(x, c[(i + 1) % len(c)]) for i, x in enumerate(c)]
    det = CnnDetector("xunet", epochs=6, batch=16).fit(c[:200], s[:200], quiet=True)
    p0 = det.prob_stego(s[200:])
    test = [x for x, p in zip(s[200:], p0) if p >= 0.5]  # attack only what it sees
    print(f"detector: {len(test)} of {len(p0)} test stegos called stego (mean P {p0.mean():.3f})")

    t = time.perf_counter()
    adv = fgsm(det, test, 0.008)
    dt = time.perf_counter() - t
    print(f"FGSM eps=0.008        : {len(test) / dt:8.1f} images/s, success "
          f"{np.mean(det.prob_stego(list(adv)) < 0.5):.3f}")
    t = time.perf_counter()
    adv, rounds = fgsm_uint8(det, test, levels=2)
    dt = time.perf_counter() - t
    print(f"FGSM uint8, L-inf <= 2: {len(test) / dt:8.1f} images/s, success "
          f"{np.mean(det.prob_stego(list(adv)) < 0.5):.3f}, mean steps {rounds.mean():.1f}")

    for p in (1, 3):
        # torchattacks' population: max(1, popsize 10 // variables) x variables (3 per pixel);
        # scipy's popsize is the same multiplier
        small = max(1, 10 // (3 * p))
        for label, kw in ((f"ours, torchattacks' budget (maxiter 10, {3 * p * small} members)",
                           dict(maxiter=10, popsize=small)),
                          (f"ours, our defaults (maxiter 50, {3 * p * 20} members)",
                           dict(maxiter=50, popsize=20))):
            if p > 1 and not a.all and "defaults" in label:
                continue
            t = time.perf_counter()
            rs = [onepixel(det.prob_stego, x, p, seed=500, **kw) for x in test]
            report(label, p, rs, time.perf_counter() - t)
    if a.torchattacks:
        sys.path.insert(0, a.torchattacks)
        torch.manual_seed(500)
        np.random.seed(500)
        for p in (1, 3):
            t = time.perf_counter()
            rs = torchattacks_onepixel(det, test, p)
            report("torchattacks 3.5 OnePixel defaults", p, rs, time.perf_counter() - t)


if __name__ == "__main__":
    main()
