"""How the wardens' PE falls with training pairs: SRM+FLD and the Xu-Net-style CNN (selected
on the validation photos) trained on the first n training covers and their stegos of one
method, from an experiment's run folder, tested on all its test photos.

    .venv/bin/python benchmarks/warden_curve.py runs/offline --method S-UNIWARD \
        --pairs 100,200,400 --epochs 6 --out results/offline/warden_curve.json
"""

import argparse
import json
import time
from pathlib import Path

from advstego.data.corpus import Corpus
from advstego.experiments.pipeline import slug
from advstego.steganalysis.cnn import CnnDetector
from advstego.steganalysis.detector import evaluate_detector
from advstego.steganalysis.ensemble import SrmFld


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run", type=Path, help="an experiment's --out folder")
    ap.add_argument("--method", default="S-UNIWARD", help="a Table 2 row, e.g. S-UNIWARD, GAN")
    ap.add_argument("--pairs", default="100,200,400")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    c = Corpus(a.run / "stages" / "corpus" / "corpus")
    stegos = a.run / "stages" / f"stegos-{slug(a.method)}"
    train, val, test = c.files("train"), c.files("val"), c.files("test")
    cov = {s: c.read_all(c.folder, f) for s, f in (("train", train), ("val", val), ("test", test))}
    stg = {s: c.read_all(stegos, f) for s, f in (("train", train), ("val", val), ("test", test))}
    rows = []
    for n in [int(x) for x in a.pairs.split(",") if int(x) <= len(train)]:
        t = time.perf_counter()
        srm = SrmFld().fit(cov["train"][:n], stg["train"][:n])
        cnn = CnnDetector("xunet", epochs=a.epochs).fit(
            cov["train"][:n], stg["train"][:n], quiet=True, val=(cov["val"], stg["val"]))
        row = {"pairs": n, "test_pairs": len(test)}
        for tag, det in (("SRM", srm), ("CNN", cnn)):
            r = evaluate_detector(det, cov["test"], stg["test"])
            row[tag] = {k: float(r[k]) for k in ("PE", "P_FA", "P_MD", "PE_min")}
        row["CNN"]["selected"] = cnn.selected
        row["seconds"] = round(time.perf_counter() - t, 1)
        rows.append(row)
        print(json.dumps(row), flush=True)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps({"run": str(a.run), "method": a.method, "epochs": a.epochs,
                                 "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
