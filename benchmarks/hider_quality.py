"""Fidelity and security of hiding methods on held-out photos: the README's hider table.

For each hider: `advstego evaluate` on the corpus's test pairs (stegos saved as 8-bit PNG
and read back; float stegos too for a network; per-pair median and 10th percentile; the
grid-peak ratio of the residual), then the wardens: SRM+FLD (per channel, side by side, for
RGB) and an Xu-Net-style CNN, each trained on covers and stegos of training pairs and tested
on test pairs (the corpus splits by photo). A cover-vs-cover control (test covers against
other test covers) is measured once per corpus.

    .venv/bin/advstego data prepare --source debian-photos --size 256 --gray --out deb256
    .venv/bin/python benchmarks/hider_quality.py deb256 --hiders v1,v2,lsb-4 \\
        --out results/hiders/gray.json [--train 200 --test 150 --cnn 10]

The JSON holds every figure; scripts/readme_tables.py turns it into the README's table.
"""

import argparse
import json
import time
from pathlib import Path


from advstego.data.corpus import Corpus
from advstego.files import write_text_atomic
from advstego.hiding.evaluate import evaluate
from advstego.hiding.registry import load_hider
from advstego.images import read_image
from advstego.progress import progress
from advstego.steganalysis.cnn import CnnDetector
from advstego.steganalysis.detector import control_halves, evaluate_detector
from advstego.steganalysis.ensemble import SrmFld

KEEP = ("pairs", "stego_psnr", "secret_psnr", "stego_psnr_median", "secret_psnr_median",
        "stego_psnr_p10", "secret_psnr_p10", "stego_ssim", "secret_ssim", "grid_peak_ratio")


def pairs_of(corpus, split, n):
    return Corpus(corpus).pairs(split)[:n]


def read_pairs(corpus, pairs, mode):
    return ([read_image(Path(corpus) / c, mode) for c, _ in pairs],
            [read_image(Path(corpus) / s, mode) for _, s in pairs])


def wardens(train_c, train_s, test_c, test_s, epochs, seed=0) -> dict:
    out = {}
    t = time.perf_counter()
    r = evaluate_detector(SrmFld(seed=seed).fit(train_c, train_s), test_c, test_s)
    out["srm_fld"] = {k: r[k] for k in ("P_FA", "P_MD", "PE", "PE_min")}
    out["srm_fld"]["seconds"] = time.perf_counter() - t
    if epochs:
        t = time.perf_counter()
        det = CnnDetector("xunet", epochs=epochs, seed=seed).fit(train_c, train_s, quiet=True)
        r = evaluate_detector(det, test_c, test_s)
        out["xunet"] = {k: r[k] for k in ("P_FA", "P_MD", "PE", "PE_min")}
        out["xunet"]["seconds"] = time.perf_counter() - t
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--hiders", default="v1,v2,lsb-4", help="comma-separated: lsb-K, v1, v2, a model file")
    ap.add_argument("--out", required=True, help="JSON file to write")
    ap.add_argument("--train", type=int, default=200, help="training pairs for the wardens")
    ap.add_argument("--test", type=int, default=150, help="test pairs (fidelity and wardens)")
    ap.add_argument("--cnn", type=int, default=10, help="Xu-Net epochs (0: SRM+FLD only)")
    ap.add_argument("--append", action="store_true",
                    help="add the hiders to an existing --out (same corpus and sizes)")
    a = ap.parse_args()
    mode = Corpus(a.corpus).mode
    channels = 3 if mode == "rgb" else 1
    train_pairs, test_pairs = pairs_of(a.corpus, "train", a.train), pairs_of(a.corpus, "test", a.test)
    train_c, train_sec = read_pairs(a.corpus, train_pairs, mode)
    test_c, test_sec = read_pairs(a.corpus, test_pairs, mode)
    result = {"corpus": str(a.corpus), "mode": mode, "train_pairs": len(train_pairs),
              "test_pairs": len(test_pairs), "cnn_epochs": a.cnn, "hiders": {}}
    if a.append and Path(a.out).exists():
        old = json.loads(Path(a.out).read_text())
        same = all(old[k] == result[k] for k in ("corpus", "mode", "train_pairs", "test_pairs",
                                                   "cnn_epochs"))
        if not same:
            raise SystemExit(f"{a.out}: made with another corpus or other sizes")
        result = old
    if "control" not in result:
        # the wardens on covers against other covers (two random halves each side)
        result["control"] = wardens(*control_halves(train_c, 0), *control_halves(test_c, 1),
                                    a.cnn)
        print(f"control (covers vs covers): {json.dumps(result['control'])}", flush=True)
    for spec in a.hiders.split(","):
        hider = load_hider(spec, channels=channels)
        t0 = time.perf_counter()
        s = evaluate(hider, a.corpus, "test", limit=a.test)
        row = {"hider": hider.describe(), **{k: s[k] for k in KEEP}}
        row.update({k: v for k, v in s.items() if k.endswith("_float")})
        row["evaluate_seconds"] = time.perf_counter() - t0
        train_s = [hider.hide(c, x) for c, x in progress(list(zip(train_c, train_sec)),
                                                          desc=f"{spec} stegos", unit="img")]
        test_s = [hider.hide(c, x) for c, x in zip(test_c, test_sec)]
        row["security"] = wardens(train_c, train_s, test_c, test_s, a.cnn)
        result["hiders"][spec] = row
        print(f"{spec}: {json.dumps(row)}", flush=True)
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(a.out, json.dumps(result, indent=1))
    print(f"{a.out} written")


if __name__ == "__main__":
    main()
