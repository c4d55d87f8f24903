"""The adversarial-costs study with its controls, on one four-part corpus, resumable.

    .venv/bin/python scripts/game_study.py --out runs/study [--tiles 30] [--rounds 1] [--seeds 2]
    .venv/bin/python scripts/game_study.py --out runs/study --report results/study

1. corpus: debian-photos as 128² gray tiles (at most --tiles a photo), split by photo into
   alice (the wardens the costs attack), train (the judging wardens), val (every choice),
   test (the reported figures).
2. three `advstego harden --method stc` games on it (each resumes where it stopped):
   plain: S-UNIWARD 0.4 bpp, then --rounds of adversarial costs (ADV-EMB, min-max);
   aa: the same plain costs with another key (A/A null: its ΔPE must cover 0);
   positive: plain costs at 0.3 bpp (positive control: its ΔPE must be resolved).
3. --report DIR: study.md and study.json: each strategy's PE with its 95% interval by photo
   (judging wardens: --seeds Xu-Nets and SRM+FLDs, each trained from scratch), the paired
   ΔPE of each comparison on the same test photos, and the photos a target ΔPE would need.
"""

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from advstego.game.tables import load_game, strategy_name  # noqa: E402
from advstego.stats import min_detectable, paired  # noqa: E402
from advstego.steganalysis.detector import arm  # noqa: E402

ADVSTEGO = [sys.executable, "-m", "advstego"]
SPLIT = "0.2,0.3,0.1,0.4"  # alice, train, val, test
WARDENS = {"fresh_xunet": "Xu-Net", "srm": "SRM+FLD"}


def games(a) -> dict:
    """name -> harden arguments; the adversarial games share the plain game's round 0."""
    common = ["--method", "stc", "--preset", "offline-stc", "--codec", "jpeg",
              "--warden-epochs", str(a.epochs), "--seeds", str(a.seeds)]
    shared = ["--round0", str(a.out / "plain")]
    return {"plain": common + ["--rounds", str(a.rounds), "--scheme", "joint"],
            "aa": common + ["--rounds", "0", "--key", "another key"],
            "positive": common + ["--rounds", "0", "--payload", "0.3"],
            "published": common + ["--rounds", "1", "--scheme", "published", *shared],
            "minmax": common + ["--rounds", str(a.minmax_rounds), "--play", "minmax",
                                "--scheme", "published", *shared],
            "backpack": common + ["--rounds", str(a.backpack_rounds), "--play", "minmax",
                                  "--scheme", "backpack", "--backpack-steps",
                                  str(a.backpack_steps), *shared]}


def _rounds(args) -> int:
    return int(args[args.index("--rounds") + 1])


def run(a):
    corpus = a.out / "corpus"
    if not (corpus / "manifest.json").exists():
        subprocess.run(ADVSTEGO + ["data", "prepare", "--source", "debian-photos", "--size",
                                   "128", "--gray", "--max-tiles", str(a.tiles), "--split",
                                   SPLIT, "--out", corpus], check=True)
    for name, args in games(a).items():
        if (a.out / name / f"round-{_rounds(args)}" / "metrics.json").exists():
            continue  # finished: its records stay as they are
        print(f"[study] {name}", flush=True)
        subprocess.run(ADVSTEGO + ["harden", "--data", corpus, "--out", a.out / name, *args],
                       check=True)


def _pe(judged: dict) -> str:
    iv = judged.get("interval")
    return f"{iv['PE'][0]:.3f} [{iv['PE'][1]:.3f}, {iv['PE'][2]:.3f}]" if iv else "–"


def caption(comparisons: list) -> str:
    """What the controls say of the design, warden by warden, and how many tests were made."""
    out = []
    for w in WARDENS.values():
        pos = [c for c in comparisons if c["warden"] == w and c["role"] == "positive control"]
        null = [c for c in comparisons if c["warden"] == w and c["role"] == "A/A null"]
        if pos:
            out.append(f"{w}: the positive control is " + (
                "resolved" if pos[0]["resolved"] else
                "not resolved: this design cannot answer a question of that size for it"))
        if null:
            out.append(f"{w}: the A/A null {'is resolved (the intervals are too narrow)' if null[0]['resolved'] else 'covers 0'}")
    out.append(f"{len(comparisons)} paired tests at α = 0.05 each: about one in twenty "
               "resolves by chance where nothing differs")
    return "*" + "; ".join(out) + ".*"


def report(a):
    gs = {n: load_game(a.out / n) for n in ("plain", "aa", "positive") if (a.out / n).exists()}
    base = gs["plain"]["rounds"][0]
    n = base["judged"]["srm"]["interval"]
    rows = [(strategy_name(gs["plain"]["config"], x["round"]), x) for x in gs["plain"]["rounds"]]
    for name, label in (("aa", "S-UNIWARD 0.4 bpp, another key (A/A null)"),
                        ("positive", "S-UNIWARD 0.3 bpp (positive control)")):
        if name in gs and gs[name]["rounds"]:
            rows.append((label, gs[name]["rounds"][0]))
    out = {"photos": n["n_photos"], "images": n["n_images"], "seeds": n.get("seeds", 1),
           "strategies": {}, "comparisons": []}
    md = [f"Test: {n['n_photos']} photos / {n['n_images']} images (covers + stegos); judging "
          f"wardens: {out['seeds']} seed(s) each, trained from scratch; 95% intervals resample "
          "photos (and seeds).", "",
          "| strategy | PE Xu-Net | PE SRM+FLD | PE Xu-Net on val | PE SRM+FLD on val |",
          "|---|---|---|---|---|"]
    for label, x in rows:
        out["strategies"][label] = {w: x["judged"][k].get("interval") for k, w in WARDENS.items()}
        md.append(f"| {label} | {_pe(x['judged']['fresh_xunet'])} | {_pe(x['judged']['srm'])} | "
                  f"{x['val']['pe_fresh_xunet']:.3f} | {x['val']['pe_srm']:.3f} |")
    final = gs["plain"]["final"]
    md += ["", f"Final strategy (chosen on the validation photos): "
               f"{strategy_name(gs['plain']['config'], final)}.", "",
           "| comparison (b − a) | warden | ΔPE [95%] | p | | smallest resolvable ΔPE "
           "(80% power) | photos for ΔPE 0.03 / 0.05 |", "|---|---|---|---|---|---|---|"]
    for label, x in rows[1:]:
        role = ("A/A null" if "A/A" in label else "positive control" if "positive" in label
                else "strategy")
        for k, w in WARDENS.items():
            d = paired(arm(base["judged"][k]["calls"]), arm(x["judged"][k]["calls"]))
            # the photos that bring the smallest resolvable ΔPE to a target (photo part only;
            # the seed part shrinks with more seeds)
            need = [int(n["n_photos"] * (d["min_detectable"] / t) ** 2) + 1 for t in (0.03, 0.05)]
            out["comparisons"].append({"b": label, "a": rows[0][0], "warden": w, "role": role,
                                       **d, "photos_needed": need})
            md.append(f"| {label} − {rows[0][0]} | {w} | {d['diff']:+.3f} [{d['low']:+.3f}, "
                      f"{d['high']:+.3f}] | {d['p']:.3f} | "
                      f"{'resolved' if d['resolved'] else 'not resolved'} | "
                      f"{d['min_detectable']:.3f} | {need[0]} / {need[1]} |")
    md += ["", caption(out["comparisons"])]
    a.report.mkdir(parents=True, exist_ok=True)
    if a.report.resolve() != a.out.resolve():  # the games' records beside the tables
        for name in gs:
            for f in sorted((a.out / name).glob("round-*/metrics.json")) + [
                    a.out / name / "config.json", a.out / name / "harden.csv"]:
                dst = a.report / name / f.relative_to(a.out / name)
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f, dst)
    (a.report / "study.json").write_text(json.dumps(out, indent=1) + "\n")
    (a.report / "study.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--tiles", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--minmax-rounds", type=int, default=4)
    ap.add_argument("--backpack-rounds", type=int, default=2)
    ap.add_argument("--backpack-steps", type=int, default=10)
    ap.add_argument("--report", type=Path)
    a = ap.parse_args()
    if a.report:
        report(a)
    else:
        run(a)


if __name__ == "__main__":
    main()
