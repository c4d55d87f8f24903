"""How much of a game round's PE is the warden's training seed? Retrain the round's fresh
Xu-Net with other seeds on the same stegos.

    .venv/bin/python benchmarks/game_noise.py RUN CORPUS ROUND [ROUND ...] [--seeds 3]

RUN is an `advstego harden --method stc` folder played on CORPUS. The round's stegos are made
again (the same settings and pool of wardens: the same stegos, embedding is deterministic);
one Xu-Net per seed is trained as the game trains its fresh warden and tested on the test
photos. Prints the PE of each seed, their mean and spread, beside the game's own.
"""

import argparse
import json
from pathlib import Path

import numpy as np

from advstego.game.config import HardenConfig
from advstego.game.embed import hide_all
from advstego.data.corpus import Corpus
from advstego.steganalysis.detector import build_detector, detection_summary


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("corpus")
    ap.add_argument("rounds", type=int, nargs="+")
    ap.add_argument("--seeds", type=int, default=3)
    a = ap.parse_args()
    run = Path(a.run)
    cfg = json.loads((run / "config.json").read_text())
    hc = HardenConfig.from_dict(cfg)  # any schema
    c = Corpus(a.corpus)
    files = {s: c.files(s) for s in ("train", "val", "test")}
    cov = {s: c.read_all(c.folder, f) for s, f in files.items()}
    sec = {s: [c.read(c.partner[x]) for x in f] for s, f in files.items()}
    for k in a.rounds:
        pool = [str(run / f"round-{j}" / f"warden-{w}.safetensors") for j in range(k)
                for w in cfg["wardens"]]
        st = {s: hide_all({x: hc.hider.settings[x] for x in ("cost", "payload")}, pool,
                          cov[s], sec[s], quiet=True, scheme=hc.adversary.name,
                          **hc.adversary.settings)[0] for s in cov}
        game = json.loads((run / f"round-{k}" / "metrics.json").read_text())["pe_fresh_xunet"]
        pes = []
        for i in range(a.seeds):
            w = build_detector("xunet", epochs=cfg["warden_epochs"], seed=cfg["seed"] + 1000 * k + 7 * (i + 1))
            w.fit(cov["train"], st["train"], quiet=True, val=(cov["val"], st["val"]))
            pes.append(detection_summary(w, cov["test"], st["test"])["PE"])
        print(f"{run.name} round {k}: fresh Xu-Net PE in the game {game:.4f}; other seeds "
              f"{', '.join(f'{p:.4f}' for p in pes)} (mean {np.mean(pes):.4f}, "
              f"sd {np.std(pes, ddof=1):.4f})", flush=True)


if __name__ == "__main__":
    main()
