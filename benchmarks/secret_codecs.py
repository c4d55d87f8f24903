"""The secret's codec at the STC hider's byte budget: JPEG, WebP, AVIF, JPEG XL and `auto`
(every codec at several sizes, the best decoding kept) on held-out cover/secret pairs.

    python benchmarks/secret_codecs.py CORPUS [--payload 0.4] [--pairs 0] [--split test]

CORPUS: a gray corpus made by `advstego data prepare` (e.g. debian-photos at 256², as the
offline experiment). For each pair, the budget is what StcHider carries in that cover at the
payload; each codec's secret is decoded and compared with the original. A few pairs go
through the whole hide and reveal with `auto` to show the stego carries exactly that.
Prints the PSNR of the mean MSE (dB), the median per-pair PSNR, the share of pairs that fit, and
seconds per secret.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from advstego.data.corpus import Corpus
from advstego.hiding import codec
from advstego.hiding.classical import StcHider
from advstego.images import read_image


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--payload", type=float, default=0.4)
    ap.add_argument("--pairs", type=int, default=0, help="0: every pair of the split")
    ap.add_argument("--split", default="test", help="train | val | test | all")
    ap.add_argument("--full", type=int, default=5, help="pairs hidden and revealed end to end")
    a = ap.parse_args()
    corpus = Corpus(a.corpus)
    pairs = [q for sp in ("train", "val", "test") for q in corpus.pairs(sp)] \
        if a.split == "all" else corpus.pairs(a.split)
    if a.pairs:
        pairs = pairs[:a.pairs]
    names = [*codec.CODECS, codec.AUTO]
    psnrs = {c: [] for c in names}
    mses = {c: [] for c in names}
    secs = {c: 0.0 for c in names}
    chosen = {}
    hider = StcHider(payload=a.payload)
    for i, (cf, sf) in enumerate(pairs):
        cover = read_image(corpus.folder / cf, "gray")
        secret = read_image(corpus.folder / sf, "gray")
        budget = hider.budget(cover.size)
        for c in names:
            t = time.perf_counter()
            try:
                if c == codec.AUTO:
                    data, info = codec.best(secret, budget)
                    chosen[info["codec"]] = chosen.get(info["codec"], 0) + 1
                else:
                    data, _, _ = codec.compress(secret, c, budget)
            except Exception:  # noqa: BLE001 - does not fit at all
                secs[c] += time.perf_counter() - t
                continue
            secs[c] += time.perf_counter() - t
            back = codec.decompress(data, "L", secret.shape)
            mses[c].append(np.mean((back.astype(float) - secret) ** 2))
            psnrs[c].append(codec.psnr(secret, back))
        if i < a.full:
            stego = hider.hide(cover, secret)
            assert np.array_equal(StcHider().reveal(stego),
                                  codec.decompress(codec.best(secret, budget)[0], "L",
                                                   secret.shape))
    n = len(pairs)
    print(f"{a.corpus} {a.split}: {n} pairs, {cover.shape[1]}x{cover.shape[0]} gray, payload "
          f"{a.payload:g} bpp = {hider.budget(cover.size)} bytes of secret data per cover")
    print(f"{'codec':6s} {'fits':>5s} {'PSNR(mean MSE)':>15s} {'median PSNR':>12s} "
          f"{'s/secret':>9s}")
    for c in names:
        p = np.array(psnrs[c])
        if not len(p):
            print(f"{c:6s} {0:5d}")
            continue
        pm = 10 * np.log10(255 ** 2 / np.mean(mses[c]))
        print(f"{c:6s} {len(p):5d} {pm:15.2f} {np.median(p):12.2f} {secs[c] / n:9.3f}")
    print("auto chose: " + ", ".join(f"{k} {v}" for k, v in sorted(chosen.items())))
    print(f"end to end (hide, save-free reveal) on {min(a.full, n)} pairs: the revealed secret "
          "is exactly auto's decoding")


if __name__ == "__main__":
    main()
