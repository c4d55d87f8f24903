"""Real STC stegos against conseal's simulator at the same payload, on real photos.

Covers of the training / test split (split by photo) hide the secrets they are paired with,
compressed by the codec to fit the payload; the simulator embeds, in the same cover, as many
random bits as the STC stego really carries. SRM+FLD (and, with --cnn EPOCHS, an
Xu-Net-style CNN) trained on each kind of stego is tested on held-out photos: the two PEs
should agree within noise. Also: stego and revealed-secret PSNR, embed/extract time.

    .venv/bin/advstego data prepare --source debian-photos --size 256 --gray --out deb256
    .venv/bin/python benchmarks/stc_security.py deb256 --payload 0.4 [--train 300 --test 200]
"""

import argparse
import time

import numpy as np

from advstego.data.corpus import Corpus
from advstego.embedding import simulate
from advstego.hiding.classical import StcHider
from advstego.images import read_image
from advstego.metrics import mse, psnr_from_mse
from advstego.progress import progress
from advstego.steganalysis.cnn import CnnDetector
from advstego.steganalysis.detector import evaluate_detector
from advstego.steganalysis.ensemble import SrmFld


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--payload", type=float, default=0.4)
    ap.add_argument("--codec", default="jpeg")
    ap.add_argument("--cost", default="suniward")
    ap.add_argument("--train", type=int, default=300)
    ap.add_argument("--test", type=int, default=200)
    ap.add_argument("--cnn", type=int, default=0, help="also train an Xu-Net for N epochs")
    a = ap.parse_args()
    corpus = Corpus(a.corpus)
    rng = np.random.default_rng(0)
    partner = {f: p for s in ("train", "val", "test") for c_, s_ in corpus.pairs(s)
               for f, p in ((c_, s_), (s_, c_))}

    def pick(split, n):
        files = [f for f in corpus.files(split) if f in partner]
        return [files[i] for i in sorted(rng.permutation(len(files))[:n])]

    def read(f):
        return read_image(f"{a.corpus}/{f}", "gray")

    hider = StcHider(a.cost, a.codec, a.payload)
    out = {}
    for split, n in (("train", a.train), ("test", a.test)):
        files = pick(split, n)
        covers, real, sim, c_mse, s_mse, t_hide, t_rev, bits = [], [], [], [], [], 0.0, 0.0, []
        for i, f in enumerate(progress(files, desc=f"stc {split}", unit="img")):
            cover, secret = read(f), read(partner[f])
            t = time.perf_counter()
            stego, got = hider.hide_info(cover, secret)
            t_hide += time.perf_counter() - t
            t = time.perf_counter()
            rev = hider.reveal(stego)
            t_rev += time.perf_counter() - t
            b = got["message_bits"]
            covers.append(cover), real.append(stego), bits.append(b)
            sim.append(simulate(cover, a.cost, b / cover.size, seed=i + (10 ** 6 if split == "test" else 0)))
            c_mse.append(mse(cover, stego)), s_mse.append(mse(secret, rev))
        out[split] = covers, real, sim
        print(f"{split}: {len(files)} covers; payload carried {np.mean(bits) / cover.size:.3f} bpp; "
              f"stego PSNR {psnr_from_mse(np.mean(c_mse)):.2f} dB, revealed secret "
              f"{psnr_from_mse(np.mean(s_mse)):.2f} dB (of mean MSE; median per pair "
              f"{np.median([psnr_from_mse(x) for x in s_mse]):.2f}); hide {t_hide / len(files):.2f} s, "
              f"reveal {t_rev / len(files) * 1000:.0f} ms per image", flush=True)
    (c_tr, r_tr, s_tr), (c_te, r_te, s_te) = out["train"], out["test"]
    for kind, tr, te in (("real STC", r_tr, r_te), ("simulated", s_tr, s_te)):
        t = time.perf_counter()
        r = evaluate_detector(SrmFld().fit(c_tr, tr), c_te, te)
        print(f"SRM+FLD vs {kind} {a.cost} {a.payload} bpp: P_FA {r['P_FA']:.3f} P_MD "
              f"{r['P_MD']:.3f} PE {r['PE']:.3f} PE_min {r['PE_min']:.3f} "
              f"({time.perf_counter() - t:.0f} s)", flush=True)
        if a.cnn:
            det = CnnDetector("xunet", epochs=a.cnn, seed=0)
            det.fit(c_tr, tr, quiet=True)
            r = evaluate_detector(det, c_te, te)
            print(f"Xu-Net ({a.cnn} epochs) vs {kind}: P_FA {r['P_FA']:.3f} P_MD {r['P_MD']:.3f} "
                  f"PE {r['PE']:.3f}", flush=True)


if __name__ == "__main__":
    main()
