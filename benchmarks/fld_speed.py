"""FLD ensemble training: sealwatch's trainer vs ours on the same SRM features, side by side.
Same seed, so the same subspaces and bootstrap samples: the search path (d_sub, L, OOB
error of each try) and the test decisions are compared, and the training times.

    .venv/bin/advstego data prepare --source debian-photos --size 256 --gray --out deb256
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/fld_speed.py deb256 [--train 200] [--test 100]
"""

import argparse
import time

import numpy as np
from sealwatch.ensemble_classifier import FldEnsembleTrainer

from advstego.data.corpus import Corpus
from advstego.embedding import simulate
from advstego.images import read_image
from advstego.steganalysis.features import srm_features
from advstego.steganalysis.fld import FastFldTrainer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--train", type=int, default=200)
    ap.add_argument("--test", type=int, default=100)
    a = ap.parse_args()
    c = Corpus(a.corpus)

    def features(split, n, offset):
        covers = [read_image(f"{a.corpus}/{f}", "gray") for f in c.files(split)[:n]]
        stegos = [simulate(x, "suniward", 0.4, seed=offset + i) for i, x in enumerate(covers)]
        return (srm_features(covers).astype(np.float64),
                srm_features(stegos).astype(np.float64))

    (Xc, Xs), (Tc, Ts) = features("train", a.train, 0), features("test", a.test, 10 ** 6)
    T = np.concatenate([Tc, Ts])
    labels = np.r_[-np.ones(len(Tc)), np.ones(len(Ts))]
    print(f"SRM 34,671-D, S-UNIWARD 0.4 bpp: {len(Xc)} training pairs, {len(Tc)} test pairs, "
          "automatic d_sub and L, seed 1")
    out = {}
    for name, cls, kw in (("sealwatch", FldEnsembleTrainer, {"verbose": 0}),
                          ("advstego", FastFldTrainer, {})):
        t = time.perf_counter()
        ens, rec = cls(Xc, Xs, seed=1, **kw).train()
        secs = time.perf_counter() - t
        dec = ens.predict(T)
        out[name] = (secs, rec, dec)
        print(f"{name:9s}: {secs:6.1f} s   d_sub {ens.d_sub}, L {len(ens.base_learners)}, "
              f"tries {len(rec)}, test PE {np.mean(dec != labels):.4f}")
    (s1, r1, d1), (s2, r2, d2) = out["sealwatch"], out["advstego"]
    print(f"speed-up : {s1 / s2:6.2f}x   same search path: {r1 == r2}   "
          f"same test decisions: {np.mean(d1 == d2):.4f}")


if __name__ == "__main__":
    main()
