"""Are the CNN wardens worth beating? Xu-Net against SRM+FLD on the same stegos, with and
without the small-data curriculum (warm-up on S-UNIWARD stegos at a larger payload, then the
target), and on LSB-1 replacement.

    .venv/bin/advstego data prepare --source debian-photos --size 128 --gray --out deb128
    .venv/bin/python benchmarks/warden_curriculum.py deb128 [--epochs 15] [--warm 5] [--easy 1.0]

Stegos: STC + S-UNIWARD + JPEG secret at 0.4 bpp (the game's round 0), and LSB-1 with a
random message; training photos for training, validation photos for selection, test photos
for the PE. Prints one line a warden.
"""

import argparse
import time

import numpy as np

from advstego.data.corpus import Corpus
from advstego.embedding import simulate
from advstego.game.embed import hide_all
from advstego.steganalysis.detector import build_detector, detection_summary, fit_and_measure


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--warm", type=int, default=5)
    ap.add_argument("--easy", type=float, default=1.0)
    a = ap.parse_args()
    c = Corpus(a.corpus)
    split = {s: c.files(s) for s in ("train", "val", "test")}
    cov = {s: c.read_all(c.folder, f) for s, f in split.items()}
    sec = {s: [c.read(c.partner[x]) for x in f] for s, f in split.items()}
    stc = {s: hide_all({"payload": 0.4}, [], cov[s], sec[s], quiet=True)[0]
           for s in cov}
    rng = np.random.default_rng(0)
    lsb1 = {s: [(x & 254) | rng.integers(0, 2, x.shape, dtype=np.uint8) for x in cov[s]]
            for s in cov}
    easy = [simulate(x, "suniward", a.easy, seed=i) for i, x in enumerate(cov["train"])]

    def line(what, det, fit):
        t0 = time.perf_counter()
        r = fit(det)
        print(f"{what:58s} PE {r['PE']:.4f}  (P_FA {r['P_FA']:.3f}, P_MD {r['P_MD']:.3f})  "
              f"{time.perf_counter() - t0:6.1f} s", flush=True)

    test = lambda st: (cov["test"], st["test"])  # noqa: E731
    val = lambda st: (cov["val"], st["val"])  # noqa: E731
    print(f"{a.corpus}: {len(cov['train'])} training, {len(cov['val'])} validation, "
          f"{len(cov['test'])} test covers")
    line("SRM+FLD, STC S-UNIWARD 0.4 bpp", build_detector("srm-fld", L=31, d_sub=600),
         lambda d: fit_and_measure(d, (cov["train"], stc["train"]), test(stc)))
    line(f"Xu-Net {a.epochs} epochs, STC S-UNIWARD 0.4 bpp", build_detector("xunet", epochs=a.epochs),
         lambda d: fit_and_measure(d, (cov["train"], stc["train"]), test(stc), val=val(stc)))
    line(f"Xu-Net {a.warm} warm-up epochs at {a.easy:g} bpp + {a.epochs}, STC S-UNIWARD 0.4",
         build_detector("xunet", epochs=a.epochs),
         lambda d: detection_summary(d.fit_curriculum(cov["train"], easy, stc["train"], a.warm,
                                                      quiet=True, val=val(stc)), *test(stc)))
    line(f"Xu-Net {a.epochs} epochs, LSB-1", build_detector("xunet", epochs=a.epochs),
         lambda d: fit_and_measure(d, (cov["train"], lsb1["train"]), test(lsb1), val=val(lsb1)))
    line("SRM+FLD, LSB-1", build_detector("srm-fld", L=31, d_sub=600),
         lambda d: fit_and_measure(d, (cov["train"], lsb1["train"]), test(lsb1)))


if __name__ == "__main__":
    main()
