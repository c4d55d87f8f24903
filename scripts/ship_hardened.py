"""Package a round of a min-max hardening run as a model file (public API only).

    .venv/bin/python scripts/ship_hardened.py RUN OUT [ROUND]

RUN is an `advstego harden` folder (or an experiment's out/harden/<settings>); OUT is where
the model goes (advstego/models/gray-hardened.safetensors ships it as `hardened`). Without
ROUND the round chosen is the one whose fresh warden errs most (game/rules.pe_fresh) among the
rounds whose revealed secret keeps at least 30 dB; the last round if none does. The model
carries the game's settings and the round's measurements.
"""

import json
import sys
from pathlib import Path

from advstego.game.config import HardenConfig
from advstego.hiding.model import HidingModel
from advstego.game.rows import RoundRow
from advstego.game.rules import pe_fresh


def choose(rows: list[dict], wardens) -> dict:
    good = [r for r in rows if r["round"] > 0 and r["secret_psnr"] >= 30]
    return max(good, key=lambda r: pe_fresh(RoundRow.from_dict(r), wardens)) if good else rows[-1]


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    run, out = Path(sys.argv[1]), Path(sys.argv[2])
    cfg = HardenConfig.from_dict(json.loads((run / "config.json").read_text())).to_dict()
    rows = [json.loads(p.read_text()) for p in sorted(run.glob("round-*/metrics.json"),
                                                      key=lambda p: int(p.parent.name[6:]))]
    row = rows[int(sys.argv[3])] if len(sys.argv) > 3 else choose(rows, cfg["wardens"])
    model = HidingModel.load(run / f"round-{row['round']}" / "model.safetensors")
    model.config = {**model.config, "name": "hardened-gray",
                    "hardened": {"from": cfg["hider"]["settings"]["model"], "round": row["round"], "game": cfg,
                                 "measured": {k: v for k, v in row.items() if k != "finetune"}}}
    model.save(out)
    print(out, f"round {row['round']}", {k: row[k] for k in ("stego_psnr", "secret_psnr")})


if __name__ == "__main__":
    main()
