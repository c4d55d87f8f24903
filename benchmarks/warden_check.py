"""The field's checks on real photos: S-UNIWARD at 0.4 bpp against SRM+FLD, and a
cover-vs-cover control (two random halves of the covers) that must stay at PE 0.5.

    .venv/bin/advstego data prepare --source debian-photos --size 256 --gray --out deb256
    .venv/bin/python benchmarks/warden_check.py deb256 [--train 300] [--test 200]
"""

import argparse
import time

import numpy as np

from advstego.data.corpus import Corpus
from advstego.embedding import simulate
from advstego.images import read_image
from advstego.steganalysis.detector import control_halves, evaluate_detector
from advstego.steganalysis.ensemble import SrmFld


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--train", type=int, default=300)
    ap.add_argument("--test", type=int, default=200)
    ap.add_argument("--method", default="suniward")
    ap.add_argument("--payload", type=float, default=0.4)
    ap.add_argument("--q1", action="store_true", help="SRMQ1 instead of SRM")
    a = ap.parse_args()
    c = Corpus(a.corpus)
    rng = np.random.default_rng(0)

    def pick(split, n):
        files = c.files(split)
        files = [files[i] for i in sorted(rng.permutation(len(files))[:n])]
        return [read_image(f"{a.corpus}/{f}", "gray") for f in files]

    train, test = pick("train", a.train), pick("test", a.test)
    t = time.perf_counter()
    s_train = [simulate(c, a.method, a.payload, seed=i) for i, c in enumerate(train)]
    s_test = [simulate(c, a.method, a.payload, seed=10 ** 6 + i) for i, c in enumerate(test)]
    print(f"{a.method} {a.payload} bpp: {len(train)} train / {len(test)} test covers "
          f"(split by photo), embedding {time.perf_counter() - t:.0f} s")
    t = time.perf_counter()
    det = SrmFld(q1=a.q1).fit(train, s_train)
    r = evaluate_detector(det, test, s_test)
    print(f"{det.name} vs {a.method}: P_FA {r['P_FA']:.3f}  P_MD {r['P_MD']:.3f}  "
          f"PE {r['PE']:.3f}  PE_min {r['PE_min']:.3f}  ({time.perf_counter() - t:.0f} s)")
    det = SrmFld(q1=a.q1).fit(*control_halves(train, 0))
    r = evaluate_detector(det, *control_halves(test, 1))
    print(f"{det.name} control, covers vs covers: P_FA {r['P_FA']:.3f}  P_MD {r['P_MD']:.3f}  "
          f"PE {r['PE']:.3f}  PE_min {r['PE_min']:.3f}")


if __name__ == "__main__":
    main()
