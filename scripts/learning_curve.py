"""Plot validation PSNR (8-bit stegos) against training images seen, from training logs.

    .venv/bin/python scripts/learning_curve.py RUN_DIR[=LABEL] ... -o curve.png

RUN_DIR is a training run folder (config.json + log.csv), or a copy of its two files
named NAME.config.json and NAME.log.csv (give NAME).
"""

import argparse
import csv
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(spec):
    path, _, label = spec.partition("=")
    p = Path(path)
    cfg_f, log_f = ((p / "config.json", p / "log.csv") if p.is_dir()
                    else (Path(f"{p}.config.json"), Path(f"{p}.log.csv")))
    cfg = json.loads(cfg_f.read_text())
    batch = cfg["train"]["batch"] * cfg.get("world", 1)
    rows = list(csv.DictReader(open(log_f)))
    seen = [int(r["step"]) * batch for r in rows]
    return (label or p.name, seen, [float(r["stego_psnr_uint8"]) for r in rows],
            [float(r["secret_psnr_uint8"]) for r in rows])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="+")
    ap.add_argument("-o", "--out", required=True)
    a = ap.parse_args()
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, spec in enumerate(a.runs):
        label, seen, stego, secret = load(spec)
        ax.plot(seen, secret, "-", color=f"C{i}", label=f"{label}: revealed secret")
        ax.plot(seen, stego, "--", color=f"C{i}", label=f"{label}: stego")
    ax.set_xlabel("training images seen (cover/secret pairs of 64² crops)")
    ax.set_ylabel("validation PSNR, 8-bit stegos (dB)")
    ax.set_xscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(a.out, dpi=110)
    print(f"{a.out} written")


if __name__ == "__main__":
    main()
