"""Package the pool of wardens of an STC game as the shipped adversarial strategy.

    .venv/bin/python scripts/ship_strategy.py RUN OUT [ROUND]

RUN is an `advstego harden --method stc` folder; OUT a folder (advstego/models/stc-adversarial
ships as `advstego hide --method stc --adversarial`). ROUND k ships the wardens of rounds
0 .. k-1 that round k's costs were made against. Without ROUND: the game's final strategy
(games.load_game), or, when that is round 0 (plain costs measured best: no wardens), the last
round's pool, and strategy.json says so. strategy.json carries the game's settings and the
measured rows of the shipped round and of round 0.
"""

import json
import shutil
import sys
from pathlib import Path

from advstego.game.tables import load_game
from advstego.game.play import copy_pool


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    run, out = Path(sys.argv[1]), Path(sys.argv[2])
    game = load_game(run)
    cfg = game["config"]  # game/config.HardenConfig.to_dict
    rounds, final = game["rounds"], game["final"]
    k = int(sys.argv[3]) if len(sys.argv) > 3 else (final or len(rounds) - 1)
    if not 0 < k < len(rounds):
        sys.exit(f"{run}: round {k} has no pool of wardens (rounds 1..{len(rounds) - 1} do)")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    copy_pool(run, k, game["config"]["wardens"], out)
    keep = ("pe_fresh_xunet", "pe_srm", "pe_earlier", "fooled", "secret_psnr", "stego_psnr",
            "embed_seconds")
    info = {"round": k, "final_round": final,
            "note": ("the game's final strategy" if k == final else
                     f"round {k}; the game's final strategy is round {final}"
                     + (" (plain costs, no wardens)" if final == 0 else "")),
            "game": {**{x: cfg["hider"]["settings"][x] for x in ("cost", "payload")},
                     "scheme": cfg["adversary"]["name"], **cfg["adversary"]["settings"],
                     **{x: cfg[x] for x in ("wardens", "warden_epochs", "srm", "seed")}},
            "measured": {r: {x: rounds[r].get(x) for x in keep} for r in (0, k)}}
    (out / "strategy.json").write_text(json.dumps(info, indent=1) + "\n")
    print(out, info["note"])


if __name__ == "__main__":
    main()
