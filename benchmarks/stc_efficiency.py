"""STC embedding efficiency against the rate-distortion bound, for h = 7..12.

Two settings: the binary code on a constant profile (the paper's Fig. 5: the bound is
alpha / H^-1(alpha) bits per change), and the ±1 code with S-UNIWARD costs on 256² crops
of the sample photos (the bound is the optimal simulator's distortion at the same payload).
Printed per h: efficiency e = bits / distortion, e / e_bound at the same payload, and the
paper's coding loss 1 - alpha / alpha_bound(D) (payload lost at the same distortion).

    .venv/bin/python benchmarks/stc_efficiency.py [--images 4]
"""

import argparse
import time

import numpy as np
from scipy.optimize import brentq

from advstego.data.sources import sample_photos
from advstego.hiding import stc


def h2(p):
    return -p * np.log2(p) - (1 - p) * np.log2(1 - p)


def ternary_payload_at(rp, rm, distortion):
    """Bits the optimal ±1 embedding carries at a given expected distortion (the bound)."""
    def stats(lam):
        a, b = -lam * rp, -lam * rm
        z = np.logaddexp(0, np.logaddexp(a, b))
        pp, pm = np.exp(a - z), np.exp(b - z)
        p0 = 1 - pp - pm
        ent = sum(-p * np.log2(np.clip(p, 1e-300, 1)) for p in (pp, pm, p0))
        return np.sum(pp * rp + pm * rm), np.sum(ent)
    lam = brentq(lambda l: stats(l)[0] - distortion, 1e-6, 1e6)
    return stats(lam)[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=4)
    ap.add_argument("--hs", default="7,8,9,10,11,12")
    ap.add_argument("--exact", type=int, default=1000, help="random messages to round-trip")
    a = ap.parse_args()
    hs = [int(h) for h in a.hs.split(",")]
    rng = np.random.default_rng(0)

    # bit-exact extraction: random 64² covers and costs, payloads 0.05..1.2 bpp, h = 10
    fails, refused, t = {}, [], time.perf_counter()
    for i in range(a.exact):
        n, alpha = 4096, rng.uniform(0.05, 1.2)
        x = rng.integers(0, 256, n)
        rp, rm = rng.gamma(1.0, 1.0, n) + 1e-3, rng.gamma(1.0, 1.0, n) + 1e-3
        rp[x == 255], rm[x == 0] = np.inf, np.inf
        msg = rng.integers(0, 2, int(alpha * n)).astype(np.uint8)
        try:
            y, m1, m2, _ = stc.embed_ternary(x, rp, rm, msg, 10, seed=i)
        except ValueError:  # refused: the code found no path (too many wet elements)
            refused.append(round(alpha, 2))
            continue
        ok = np.array_equal(stc.extract_ternary(y, m1, m2, 10, seed=i), msg)
        ok &= np.abs(y - x).max() <= 1 and y.min() >= 0 and y.max() <= 255
        fails[round(alpha, 1)] = fails.get(round(alpha, 1), 0) + (not ok)
    print(f"bit-exact extraction: {a.exact - len(refused) - sum(fails.values())} of "
          f"{a.exact - len(refused)} embedded random messages, {sum(fails.values())} wrong; "
          f"{len(refused)} refused at payloads {sorted(refused)} (payloads 0.05-1.2 bpp, "
          f"64² covers, h = 10; {time.perf_counter() - t:.0f} s)\n", flush=True)

    print("binary STC, constant profile, n = 20,000")
    print(f"{'alpha':>6s} {'h':>3s} {'e':>7s} {'e_bound':>8s} {'e/e_bound':>9s} {'coding loss':>11s}")
    n = 20000
    for alpha in (0.5, 0.25, 0.1):
        beta = brentq(lambda b: h2(b) - alpha, 1e-9, 0.5)
        for h in hs:
            x = rng.integers(0, 2, n).astype(np.uint8)
            msg = rng.integers(0, 2, int(alpha * n)).astype(np.uint8)
            _, d = stc.embed_bits(x, np.ones(n), msg, h, seed=h)
            e = msg.size / d
            loss = 1 - alpha / h2(min(d / n, 0.5))
            print(f"{alpha:6.2f} {h:3d} {e:7.3f} {alpha / beta:8.3f} {e / (alpha / beta):9.3f} "
                  f"{loss:11.3f}")

    import conseal
    covers = []
    for p in sample_photos()[: a.images]:
        img = p.load()
        img = img if img.ndim == 2 else np.round(img @ [0.299, 0.587, 0.114]).astype(np.uint8)
        y, x = (img.shape[0] - 256) // 2, (img.shape[1] - 256) // 2
        covers.append(np.ascontiguousarray(img[y:y + 256, x:x + 256]))
    print(f"\n±1 STC, S-UNIWARD costs, {len(covers)} sample photos (256² centre crops); "
          "sums over the photos")
    print(f"{'bpp':>5s} {'h':>3s} {'e/e_bound':>9s} {'coding loss':>11s} {'changes/bound':>13s} "
          f"{'embed s/img':>11s} {'extract ms':>10s}")
    for alpha in (0.2, 0.4, 1.0):
        for h in hs:
            d_real = d_opt = bits = bits_bound = 0.0
            ch = ch_opt = 0.0
            t_e = t_x = 0.0
            for i, c in enumerate(covers):
                rp, rm = conseal.suniward.compute_cost_adjusted(c)
                order = np.random.default_rng(i).permutation(c.size)
                x, rp, rm = c.ravel()[order].astype(np.int64), rp.ravel()[order], rm.ravel()[order]
                msg = rng.integers(0, 2, int(alpha * c.size)).astype(np.uint8)
                t = time.perf_counter()
                y, m1, m2, d = stc.embed_ternary(x, rp, rm, msg, h, seed=i)
                t_e += time.perf_counter() - t
                t = time.perf_counter()
                assert np.array_equal(stc.extract_ternary(y, m1, m2, h, seed=i), msg)
                t_x += time.perf_counter() - t
                rpf, rmf = np.where(rp >= stc.WET, 1e30, rp), np.where(rm >= stc.WET, 1e30, rm)
                (pp, pm), _ = stc.ternary_probabilities(rpf, rmf, msg.size)
                d_real += d
                d_opt += np.sum(pp * rpf + pm * rmf)
                bits += msg.size
                bits_bound += ternary_payload_at(rpf, rmf, d)
                ch += np.sum(y != x)
                ch_opt += np.sum(pp + pm)
            print(f"{alpha:5.2f} {h:3d} {d_opt / d_real:9.3f} {1 - bits / bits_bound:11.3f} "
                  f"{ch / ch_opt:13.3f} {t_e / len(covers):11.2f} {t_x / len(covers) * 1000:10.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
