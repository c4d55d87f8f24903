"""Ship a round of a min-max hardening run as the package's `hardened` gray model.

    .venv/bin/python scripts/ship_hardened.py RUN [ROUND]

RUN is an `advstego harden` folder (or an experiment's out/harden/<settings>). Without ROUND
the round chosen is the one whose fresh warden errs most (highest PE) among the rounds whose
revealed secret keeps at least 30 dB; the last round if none does. The model carries the
game's settings and the round's measurements.
"""

import json
import sys
from pathlib import Path

from advstego.hiding.model import HidingModel

OUT = Path(__file__).resolve().parents[1] / "advstego" / "models" / "gray-hardened.safetensors"


def choose(rows: list[dict], arch: str) -> dict:
    good = [r for r in rows if r["round"] > 0 and r["secret_psnr"] >= 30]
    return max(good, key=lambda r: r[f"pe_fresh_{arch}"]) if good else rows[-1]


def main():
    run = Path(sys.argv[1])
    cfg = json.loads((run / "config.json").read_text())
    rows = [json.loads(p.read_text()) for p in sorted(run.glob("round-*/metrics.json"),
                                                      key=lambda p: int(p.parent.name[6:]))]
    row = rows[int(sys.argv[2])] if len(sys.argv) > 2 else choose(rows, cfg["wardens"][0])
    model = HidingModel.load(run / f"round-{row['round']}" / "model.safetensors")
    model.config = {**model.config, "name": "hardened-gray",
                    "hardened": {"from": cfg["model"], "round": row["round"], "game": cfg,
                                 "measured": {k: v for k, v in row.items() if k != "finetune"}}}
    model.save(OUT)
    print(OUT, f"round {row['round']}", {k: row[k] for k in ("stego_psnr", "secret_psnr")})


if __name__ == "__main__":
    main()
