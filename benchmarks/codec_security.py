"""Does the secret's codec change what a warden sees? STC stegos of the same covers and secrets
with the secret as JPEG and as `auto` (the best decoding within the bytes), SRM+FLD trained on
each from scratch, tested on held-out photos: each PE with its 95% interval by photo and the
paired ΔPE (auto − JPEG) on the same test covers. Also the revealed secret's PSNR.

    .venv/bin/advstego data prepare --source debian-photos --size 256 --gray --out deb256
    .venv/bin/python benchmarks/codec_security.py deb256 [--payload 0.4] [--train 300] [--test 200]
"""

import argparse

import numpy as np

from advstego import stats
from advstego.data.corpus import Corpus
from advstego.hiding.classical import StcHider
from advstego.metrics import mse, psnr_from_mse
from advstego.progress import progress
from advstego.steganalysis.detector import arm, calls, evaluate_detector
from advstego.steganalysis.ensemble import SrmFld


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--payload", type=float, default=0.4)
    ap.add_argument("--codecs", default="jpeg,auto")
    ap.add_argument("--train", type=int, default=300)
    ap.add_argument("--test", type=int, default=200)
    a = ap.parse_args()
    corpus, rng = Corpus(a.corpus), np.random.default_rng(0)

    def pick(split, n):
        files = corpus.files(split)
        return [files[i] for i in sorted(rng.permutation(len(files))[:n])]

    files = {"train": pick("train", a.train), "test": pick("test", a.test)}
    covers = {s: [corpus.read(f) for f in fs] for s, fs in files.items()}
    secrets = {s: [corpus.read(corpus.partner[f]) for f in fs] for s, fs in files.items()}
    photos = [corpus.photo[f] for f in files["test"]] * 2
    arms = {}
    for codec in a.codecs.split(","):
        hider = StcHider("suniward", codec, a.payload)
        stegos, err = {}, []
        for s in ("train", "test"):
            stegos[s] = [hider.hide(c, x) for c, x in progress(
                list(zip(covers[s], secrets[s])), desc=f"{codec} {s}", unit="img")]
        err = [mse(x, hider.reveal(st)) for x, st in zip(secrets["test"], stegos["test"])]
        e = evaluate_detector(SrmFld().fit(covers["train"], stegos["train"]), covers["test"],
                              stegos["test"])
        arms[codec] = arm(calls(e, photos))
        iv = stats.interval(arms[codec])
        print(f"{codec:5s}: secret PSNR {psnr_from_mse(np.mean(err)):.2f} dB (of mean MSE); "
              f"SRM+FLD PE {stats.fmt(iv['PE'])} on {iv['n_photos']} photos / "
              f"{iv['n_images']} images", flush=True)
    names = list(arms)
    for b in names[1:]:
        d = stats.paired(arms[names[0]], arms[b])
        print(f"ΔPE {b} − {names[0]}: {d['diff']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}], "
              f"p {d['p']:.3f}, {'resolved' if d['resolved'] else 'not resolved'}; smallest "
              f"resolvable at 80% power {d['min_detectable']:.3f}")


if __name__ == "__main__":
    main()
