"""Rounding-aware FGSM on real GAN stegos: success and secret cost against the L-inf budget.

Reads an `advstego evaluate --out DIR` folder (stegos/ + pairs.csv) and its corpus, attacks
the stegos a trained CNN calls stego, and prints for each budget of k grey levels: the
attack's success, the ceiling of simply moving each stego back toward its own cover by at
most k (k = 255 gives the cover itself: a stego whose cover the CNN calls stego cannot be
made to look like its cover), the revealed-secret PSNR change and the speed.

    advstego evaluate --data deb256 --split test --out ev --bf16
    advstego detect train --detector xunet --covers deb256 --stegos STEGOS --split train -o x.safetensors
    .venv/bin/python benchmarks/attack_levels.py --data deb256 --eval ev --detector x.safetensors
"""

import argparse
import csv
import time
from pathlib import Path

import numpy as np

from advstego.attacks.fgsm import fgsm_uint8
from advstego.hiding.registry import load_hider
from advstego.images import read_image
from advstego.metrics import mse, psnr_from_mse
from advstego.steganalysis.detector import load_detector


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="the corpus the evaluate run used")
    ap.add_argument("--eval", required=True, help="an `advstego evaluate --out` folder")
    ap.add_argument("--detector", required=True)
    ap.add_argument("--model", default="builtin", help="the hiding model that made the stegos")
    ap.add_argument("--levels", default="1,2,4")
    a = ap.parse_args()
    det, hider = load_detector(a.detector), load_hider(a.model)
    rows = list(csv.DictReader(open(Path(a.eval) / "pairs.csv")))
    stegos = [read_image(Path(a.eval) / "stegos" / Path(r["cover"]).name, "gray") for r in rows]
    covers = [read_image(Path(a.data) / r["cover"], "gray") for r in rows]
    secrets = [read_image(Path(a.data) / r["secret"], "gray") for r in rows]
    seen = det.prob_stego(stegos) >= 0.5
    print(f"{det.name}: {seen.sum()} of {len(rows)} stegos called stego; covers called stego "
          f"{np.mean(det.prob_stego(covers) >= 0.5):.3f}")
    pick = lambda xs: [x for x, k in zip(xs, seen) if k]  # noqa: E731
    stegos, covers, secrets = pick(stegos), pick(covers), pick(secrets)

    def secret_psnr(imgs):
        rev = hider.reveal(np.stack(imgs))
        return psnr_from_mse(np.mean([mse(s, r) for s, r in zip(secrets, rev)]))

    base = secret_psnr(stegos)
    print(f"revealed-secret PSNR before {base:.2f} dB")
    for k in (int(v) for v in a.levels.split(",")):
        t = time.perf_counter()
        adv, rounds = fgsm_uint8(det, stegos, levels=k)
        dt = time.perf_counter() - t
        ok = np.mean(det.prob_stego(list(adv)) < 0.5)
        back = [np.clip(s.astype(int) + np.clip(c.astype(int) - s, -k, k), 0, 255).astype(np.uint8)
                for s, c in zip(stegos, covers)]
        ceiling = np.mean(det.prob_stego(back) < 0.5)
        print(f"L-inf <= {k}: success {ok:.3f} (toward the cover: {ceiling:.3f}), secret "
              f"{secret_psnr(list(adv)) - base:+.2f} dB, mean steps {rounds.mean():.1f}, "
              f"{len(stegos) / dt:.2f} images/s", flush=True)
    cover_ok = np.mean(det.prob_stego(covers) < 0.5)
    print(f"the covers themselves: {cover_ok:.3f} called cover")


if __name__ == "__main__":
    main()
