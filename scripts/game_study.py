"""The adversarial-embedding study with its controls, on one four-part corpus, resumable.

    .venv/bin/python scripts/game_study.py --out runs/study [--tiles 30] [--seeds 2]
        [--minmax-rounds 4] [--backpack-rounds 2] [--backpack-steps 10]
    .venv/bin/python scripts/game_study.py --out runs/study --report results/study

1. corpus: debian-photos as 128² gray tiles (at most --tiles a photo), split by photo into
   alice (the wardens the costs attack), train (the judging wardens), val (every choice),
   test (the reported figures).
2. `advstego harden --method stc` games on it (each resumes where it stopped; the
   adversarial ones share the plain game's round 0, --round0):
   plain: S-UNIWARD 0.4 bpp (P0), then --rounds of the joint ADV-EMB variant (A2);
   published: one round of ADV-EMB as published against Alice's round-0 warden (A1);
   minmax: min-max with ADV-EMB as published (Bernard 2021), --minmax-rounds (M1);
   backpack: min-max with Backpack, --backpack-rounds (B1);
   aa: P0 with another key (C0, A/A null: its ΔPE must cover 0);
   positive: S-UNIWARD 0.3 bpp (C1, positive control: its ΔPE must be resolved).
3. --report DIR: study.md and study.json: each arm's PE with its 95% interval by photo
   (judging wardens: --seeds Xu-Nets and SRM+FLDs, each trained from scratch on that arm's
   stegos), the paired ΔPE of each arm against P0 on the same test photos, the frozen
   warden's PE, stego PSNR, embed seconds, and the photos a target ΔPE would need.

Registered in 3bc5631, after P0, A2, C0 and C1 had run (8e11f7a); A1, M1, B1 ran after it: the arms and their reported rounds are ARMS below
(M1 round 4, B1 round 2; a game stopped earlier reports its last round and says so); the
judges are SRM+FLD (primary) and Xu-Net; each comparison is b − P0, paired by test image;
the answer per arm and judge is a gain (interval above 0), a loss (below 0) or "no
difference larger than X" (X: the interval's larger end in size).
"""

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from advstego.game.tables import load_game  # noqa: E402
from advstego.stats import paired  # noqa: E402
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


# label, game, the round reported, role: the plan of 3bc5631 (P0, A2, C0, C1 had run before it)
ARMS = [("P0: S-UNIWARD 0.4 bpp", "plain", 0, "baseline"),
        ("A1: ADV-EMB as published", "published", 1, "strategy"),
        ("A2: ADV-EMB, joint variant", "plain", 1, "strategy"),
        ("M1: min-max with A1", "minmax", 4, "strategy"),
        ("B1: min-max with Backpack", "backpack", 2, "strategy"),
        ("C1: S-UNIWARD 0.3 bpp (positive control)", "positive", 0, "positive control"),
        ("C0: P0 with another key (A/A null)", "aa", 0, "A/A null")]


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


def answer(d: dict) -> str:
    """A gain, a loss, or no difference larger than the interval allows."""
    if d["low"] > 0:
        return f"gain ({d['diff']:+.3f})"
    if d["high"] < 0:
        return f"loss ({d['diff']:+.3f})"
    return f"no difference larger than {max(abs(d['low']), abs(d['high'])):.3f}"


def _arms(gs: dict) -> list:
    """(label, round metrics, note) of each arm whose game has run."""
    out = []
    for label, game, k, role in ARMS:
        rounds = gs.get(game, {}).get("rounds") or []
        if len(rounds) < (2 if k else 1):  # not played yet
            continue
        got = min(k, len(rounds) - 1)
        note = "" if got == k else f" (round {got}; {k} pre-registered, the run stopped earlier)"
        out.append((label + (f", round {got}" if game in ("minmax", "backpack") else ""),
                    rounds[got], role, note))
    return out


def exact_share(run: Path, base: Path, key: str = "") -> float | None:
    """The share of a round's test stegos whose revealed secret equals, bit for bit, the one
    P0's stego of the same cover carries (None: the stegos are not on disk)."""
    from advstego.hiding.classical import StcHider
    from advstego.images import read_image

    files = sorted((run / "test").glob("*.png"))
    if not files or not (base / "test").is_dir():
        return None
    ours, p0 = StcHider(**({"key": key} if key else {})), StcHider()
    same = [np.array_equal(ours.reveal(read_image(f, "gray")),
                           p0.reveal(read_image(base / "test" / f.name, "gray"))) for f in files]
    return float(np.mean(same))


def _f(v, fmt=".3f"):
    return "–" if v is None else format(v, fmt)


def figure(comparisons: list, path: Path):
    """ΔPE of each arm against P0 with its 95% interval, one panel per judge."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    judges = list(dict.fromkeys(c["warden"] for c in comparisons))
    arms = list(dict.fromkeys(c["b"] for c in comparisons))
    fig, axes = plt.subplots(1, len(judges), figsize=(4.2 * len(judges), 0.5 * len(arms) + 1.4),
                             sharey=True, squeeze=False)
    for ax, judge in zip(axes[0], judges):
        for i, arm_ in enumerate(arms):
            c = next(x for x in comparisons if x["b"] == arm_ and x["warden"] == judge)
            color = "tab:green" if c["low"] > 0 else "tab:red" if c["high"] < 0 else "tab:gray"
            ax.errorbar(c["diff"], i, xerr=[[c["diff"] - c["low"]], [c["high"] - c["diff"]]],
                        fmt="o", color=color, capsize=3)
        ax.axvline(0, color="k", lw=0.6)
        ax.set_title(f"retrained {judge}")
        ax.set_xlabel("ΔPE against P0 (95% interval by photo)")
    axes[0][0].set_yticks(range(len(arms)))
    axes[0][0].set_yticklabels([x.split(":")[0] for x in arms])
    axes[0][0].invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def report(a):
    gs = {n: load_game(a.out / n) for n in ("plain", "aa", "positive", "published", "minmax",
                                             "backpack") if (a.out / n).exists()}
    arms = _arms(gs)
    base = arms[0][1]
    n = base["judged"]["srm"]["interval"]
    out = {"photos": n["n_photos"], "images": n["n_images"], "seeds": n.get("seeds", 1),
           "arms": {}, "comparisons": [], "rounds": {}}
    md = [f"Test: {n['n_photos']} photos / {n['n_images']} images (covers + stegos); judging "
          f"wardens: {out['seeds']} seed(s) each, trained from scratch on each arm's stegos; "
          "95% intervals resample photos (and seeds). Arms and reported rounds committed in "
          "3bc5631 (scripts/game_study.py), after P0, A2, C0 and C1 had run (8e11f7a): only A1, "
          "M1 and B1 ran after the plan.", "",
          "| arm | PE SRM+FLD | PE Xu-Net | PE frozen warden attacked | stego PSNR | embed s/img "
          "| secret as P0's, bit for bit | PE SRM+FLD on val | PE Xu-Net on val |",
          "|---|---|---|---|---|---|---|---|---|"]
    base_dir = a.out / "plain" / "round-0"
    for label, x, role, note in arms:
        game = next(g for lb, g, _, _ in ARMS if label.startswith(lb.split(":")[0] + ":"))
        key = gs[game]["config"]["hider"]["settings"].get("key") or ""
        same = (exact_share(a.out / game / f"round-{x['round']}", base_dir, key)
                if game != "positive" else None)  # C1 carries fewer bytes: another secret
        out["arms"][label] = {**{w: x["judged"][kk].get("interval") for kk, w in WARDENS.items()},
                              "secret_exact": same}
        frozen = min(x["pe_earlier"]) if x.get("pe_earlier") else None
        md.append(f"| {label}{note} | {_pe(x['judged']['srm'])} | "
                  f"{_pe(x['judged']['fresh_xunet'])} | {_f(frozen)} | {x['stego_psnr']:.2f} | "
                  f"{_f(x.get('embed_seconds'))} | {_f(same)} | {x['val']['pe_srm']:.3f} | "
                  f"{x['val']['pe_fresh_xunet']:.3f} |")
    md += ["", "| comparison (b − P0) | warden | ΔPE [95%] | p | | answer | smallest resolvable "
               "ΔPE (80% power) | photos for ΔPE 0.03 / 0.05 |", "|---|---|---|---|---|---|---|---|"]
    for label, x, role, _ in arms[1:]:
        for k, w in (("srm", "SRM+FLD"), ("fresh_xunet", "Xu-Net")):
            d = paired(arm(base["judged"][k]["calls"]), arm(x["judged"][k]["calls"]))
            # the photos that bring the smallest resolvable ΔPE to a target (photo part only;
            # the seed part shrinks with more seeds)
            need = [int(n["n_photos"] * (d["min_detectable"] / t) ** 2) + 1 for t in (0.03, 0.05)]
            out["comparisons"].append({"b": label, "a": arms[0][0], "warden": w, "role": role,
                                       **d, "answer": answer(d), "photos_needed": need})
            md.append(f"| {label} | {w} | {d['diff']:+.3f} [{d['low']:+.3f}, "
                      f"{d['high']:+.3f}] | {d['p']:.3f} | "
                      f"{'resolved' if d['resolved'] else 'not resolved'} | {answer(d)} | "
                      f"{d['min_detectable']:.3f} | {need[0]} / {need[1]} |")
    md += ["", caption(out["comparisons"])]
    out["chosen_on_val"] = {n: g["final"] for n, g in gs.items()}
    md += ["", "Chosen on the validation photos (the round whose worst fresh warden errs most; "
               "not a pre-registered comparison): " + ", ".join(
                   f"{n} game round {g['final']}" for n, g in gs.items()
                   if len(g["rounds"]) > 1) + "."]
    # every round of the min-max games (exploratory: not among the pre-registered tests)
    for game in ("minmax", "backpack"):
        rs = (gs.get(game) or {}).get("rounds") or []
        if len(rs) < 2:
            continue
        md += ["", f"Every round of the {game} game (exploratory; round 0 is P0): PE with "
                   "its interval, the share of test stegos kept from each round.", "",
               "| round | PE SRM+FLD | PE Xu-Net | PE frozen (latest warden) | stego PSNR | "
               "test stegos from rounds 0..k | PE worst fresh on val |", "|---|---|---|---|---|---|---|"]
        out["rounds"][game] = []
        for x in rs:
            kept = (x.get("chosen") or {}).get("rounds")
            frozen = x["pe_earlier"][-1] if x.get("pe_earlier") else None
            worst = min(x["val"]["pe_srm"], x["val"]["pe_fresh_xunet"])
            out["rounds"][game].append({"round": x["round"], "kept": kept,
                                        "pe_srm": x["pe_srm"], "pe_xunet": x["pe_fresh_xunet"]})
            md.append(f"| {x['round']} | {_pe(x['judged']['srm'])} | "
                      f"{_pe(x['judged']['fresh_xunet'])} | {_f(frozen)} | "
                      f"{x['stego_psnr']:.2f} | {' / '.join(map(str, kept)) if kept else '–'} | "
                      f"{worst:.3f} |")
    a.report.mkdir(parents=True, exist_ok=True)
    if a.report.resolve() != a.out.resolve():  # the games' records beside the tables
        for name in gs:
            for f in sorted((a.out / name).glob("round-*/metrics.json")) + [
                    a.out / name / "config.json", a.out / name / "harden.csv"]:
                dst = a.report / name / f.relative_to(a.out / name)
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f, dst)
    figure(out["comparisons"], a.report / "study.png")
    (a.report / "study.json").write_text(json.dumps(out, indent=1) + "\n")
    (a.report / "study.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--tiles", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=1, help="rounds of the joint variant (A2)")
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
