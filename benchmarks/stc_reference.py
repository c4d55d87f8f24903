"""Our ±1 STC coder against Filler's reference C++ coder (stc_pm1_pls_embed, as wrapped by
daniellerch/pySTC) on the same S-UNIWARD costs and the same random message.

The reference is optional and never a dependency: build pySTC's extension from its GitHub
source (`python setup.py build_ext --inplace` in its checkout; it needs Boost's headers) and
pass its folder:

    .venv/bin/python benchmarks/stc_reference.py --reference PYSTC_DIR [--images 6] [--saturate]

Printed per image and on average: our distortion / the reference's, the share of changed
pixels, and both embedding times (h = 10, 0.4 bpp, 256x256 crops of the sample photos;
--saturate stretches the contrast so that about a fifth of the pixels are 0 or 255).
"""

import argparse
import ctypes
import glob
import time
from pathlib import Path

import numpy as np

from advstego.data.sources import sample_photos
from advstego.hiding import stc

INF = 2 ** 31 - 1  # the wrapper's cost of an impossible change


def reference(folder: Path):
    libs = glob.glob(str(folder / "pystc" / "stc_extension*.so"))
    if not libs:
        raise SystemExit(f"{folder}: no built pystc/stc_extension*.so (see this script's help)")
    lib = ctypes.CDLL(libs[0])

    def embed(x, rp, rm, bits):
        n = x.size
        costs = np.zeros(3 * n, np.float32)  # per element: -1, 0, +1
        costs[0::3] = np.where(x <= 0, INF, np.minimum(rm, INF))
        costs[2::3] = np.where(x >= 255, INF, np.minimum(rp, INF))
        cover = (ctypes.c_int * n)(*x.tolist())
        msg = (ctypes.c_ubyte * len(bits))(*bits.tolist())
        out = (ctypes.c_int * n)()
        lib.stc_hide(n, cover, costs.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), len(bits),
                     msg, out)
        return np.frombuffer(out, np.int32).astype(np.int64)
    return embed


def distortion(x, y, rp, rm):
    d = y - x
    return float(np.sum(np.where(d > 0, rp, 0) + np.where(d < 0, rm, 0))), float(np.mean(d != 0))


def main():
    import conseal

    ap = argparse.ArgumentParser()
    ap.add_argument("--reference", type=Path, required=True, help="a built pySTC checkout")
    ap.add_argument("--images", type=int, default=6)
    ap.add_argument("--payload", type=float, default=0.4)
    ap.add_argument("--saturate", action="store_true")
    a = ap.parse_args()
    ref = reference(a.reference)
    ratios, times = [], []
    stc.embed_bits(np.zeros(64, np.uint8), np.ones(64), np.ones(8, np.uint8))  # compile once
    for i, p in enumerate(sample_photos()[:a.images]):
        img = p.load()
        img = img if img.ndim == 2 else (img @ np.array([0.299, 0.587, 0.114]))
        img = np.asarray(img[:256, :256], float)
        if a.saturate:
            lo, hi = np.percentile(img, [10, 90])
            img = (img - lo) / (hi - lo) * 255
        img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
        rp, rm = (c.ravel().astype(np.float64) for c in conseal.suniward.compute_cost_adjusted(img))
        x = img.ravel().astype(np.int64)
        bits = np.random.default_rng(i).integers(0, 2, int(a.payload * x.size)).astype(np.uint8)
        t = time.perf_counter()
        y_ref = ref(x, rp, rm, bits)
        t_ref = time.perf_counter() - t
        order = np.random.default_rng(i + 1).permutation(x.size)  # as the hider's keyed order
        t = time.perf_counter()
        y, m1, m2, _ = stc.embed_ternary(x[order], rp[order], rm[order], bits, 10, i)
        t_ours = time.perf_counter() - t
        assert np.array_equal(stc.extract_ternary(y, m1, m2, 10, i), bits)
        ours = np.empty_like(y)
        ours[order] = y
        (d_o, c_o), (d_r, c_r) = distortion(x, ours, rp, rm), distortion(x, y_ref, rp, rm)
        ratios.append(d_o / d_r)
        times.append((t_ours, t_ref))
        print(f"{p.name:28s} distortion ours/reference {d_o / d_r:.3f}   changed pixels "
              f"{c_o:.3f} vs {c_r:.3f}   time {t_ours:.2f} s vs {t_ref:.2f} s")
    t_o, t_r = np.mean(times, 0)
    print(f"mean over {len(ratios)} images at {a.payload} bpp, h = 10: distortion ratio "
          f"{np.mean(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f}); time "
          f"{t_o:.2f} s vs {t_r:.2f} s ({t_o / t_r:.1f}x)")


if __name__ == "__main__":
    main()
