"""Keep harden --method stc runs under results/games/ and draw Table 6 and Figure 5 from them.

    .venv/bin/python scripts/games_report.py [--add RUN NAME ...]

--add copies a run's record (config.json, harden.csv, report.md, round-K/metrics.json,
strategy/strategy.json; not its PNG stegos or warden files) to results/games/NAME.
Then results/games/table6.md and figure5_rounds.png are written from every game there,
in the order of results/games/order.txt (one NAME a line).
"""

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GAMES = ROOT / "results" / "games"
sys.path.insert(0, str(ROOT))

from advstego.game.tables import figure_rounds, load_game, table6  # noqa: E402


def add(run: Path, name: str):
    dst = GAMES / name
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    for f in ("config.json", "harden.csv", "report.md"):
        shutil.copyfile(run / f, dst / f)
    for m in sorted(run.glob("round-*/metrics.json")):
        (dst / m.parent.name).mkdir()
        shutil.copyfile(m, dst / m.parent.name / "metrics.json")
    if (run / "strategy" / "strategy.json").exists():
        (dst / "strategy").mkdir()
        shutil.copyfile(run / "strategy" / "strategy.json", dst / "strategy" / "strategy.json")
    order = GAMES / "order.txt"
    names = order.read_text().split() if order.exists() else []
    order.write_text("\n".join(dict.fromkeys([*names, name])) + "\n")


def games() -> list[dict]:
    order = GAMES / "order.txt"
    names = order.read_text().split() if order.exists() else []
    return [{"name": n, **load_game(GAMES / n)} for n in names]


def table6_md() -> str:
    gs = games()
    if not gs:
        return "(not run)"
    title, head, rows = table6(gs)
    return "\n".join([f"*{title}*", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                     + ["| " + " | ".join(r) + " |" for r in rows])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--add", nargs=2, action="append", metavar=("RUN", "NAME"), default=[])
    a = ap.parse_args()
    for run, name in a.add:
        add(Path(run), name)
    (GAMES / "table6.md").write_text(table6_md() + "\n")
    figure_rounds(games(), GAMES / "figure5_rounds.png")
    print(f"{GAMES}: table6.md, figure5_rounds.png from {len(games())} games")


if __name__ == "__main__":
    main()
