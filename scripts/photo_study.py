"""The cross-fitted study on trace-free photos (issue 41), resumable; its plan is PLAN below.

    .venv/bin/python scripts/photo_study.py --out runs/photo-study            # the gate
    .venv/bin/python scripts/photo_study.py --out runs/photo-study --report results/photo-study
    .venv/bin/python scripts/photo_study.py --out results/photo-study --report results/photo-study  # from the committed fits

The plan (arms, reported rounds, judges, seeds, folds, split seed, comparisons, gate) is fixed
in this file and was committed before any of its runs; every run record names the commit it
ran from. Stage 1, the gate, runs the plain arms (P0, C0, C1) and both judges. Stage 2, the
strategy arms, runs only where the gate passed; a failed gate is reported and the study stops:
the design cannot answer its question.

Cross-fitting: the photos fall into FOLDS folds (advstego/folds.py, SPLIT_SEED); in fold i the
judges train on the other folds' photos (ROLES: train, and val where a CNN selects its epoch)
and call the images of fold i's photos, so every image is called exactly once by a judge that
never saw its photo. An arm's figure is over all the photos of the corpus.

Before this plan was committed, one timing pilot ran on this corpus (400 of its tiles, one
300/100 split, not the folds): S-UNIWARD 0.4 bpp embedding 0.03 s a tile, SRM features 0.04 s
a tile, an SRM+FLD fit with the automatic search 28 s (its PE on that split: 0.21), Xu-Net
6.8 s an epoch (PE 0.35 after 2 epochs). The folds (3) and Xu-Net's epochs (20) were sized
from those timings so that the gate ends within one session on two cores.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PLAN = {
    "corpus": ["--source", "photos", "--size", "128", "--gray", "--max-tiles", "16",
               "--seed", "0"],  # downsampled before tiling where the photo was a JPEG
    "folds": 3,
    "split_seed": 0,
    "roles": {"train": 0.8, "val": 0.2},  # of the other folds' photos, in each fold
    "hider": {"cost": "suniward", "codec": "jpeg"},  # harden --method stc's hider
    # arm -> settings of the STC hider (its message: the cover's partner tile, compressed)
    "arms": {"P0": {"payload": 0.4}, "C0": {"payload": 0.4, "key": "another key"},
             "C1": {"payload": 0.3}},
    "baseline": ["P0", "C0"],  # pooled: both are the plain hider
    "judges": {"srm-fld": {"seeds": 5, "L": "automatic", "d_sub": "automatic"},
               "xunet": {"seeds": 3, "epochs": 20}},  # the epoch of least val PE is kept
    "gate": "C1 minus the pooled baseline resolved above 0 for both judges; C0 minus P0 "
            "covers 0 for both judges",
    # stage 2 (only after a passed gate): each strategy minus the pooled baseline, paired by
    # image, Holm over the 3 strategies x 2 judges; Alice's wardens train on the fold's train
    # photos (as many pairs as the judges); each image's stego comes from its own fold's game
    "strategies": {"A1": "ADV-EMB as published, round 1", "M1": "min-max with A1, round 4",
                   "B1": "min-max with Backpack, round 2"},
    "comparisons": "each arm minus the pooled P0+C0 baseline (C0: minus P0), paired by image; "
                   "95% intervals resample photos and seeds; Holm over strategy x judge",
}
# the literature's PE for S-UNIWARD 0.4 bpp, beside ours (other covers: BOSSbase)
LITERATURE = {"srm-fld": "0.27 (the paper's Table 2, BOSSbase); about 0.20 (Holub, Fridrich "
                         "& Denemark 2014, BOSSbase 512²)",
              "xunet": "0.18 (the paper's Table 2 CNN, BOSSbase); about 0.20 (Xu, Wu & Shi "
                       "2016, BOSSbase 512²)"}
NAMES = {"srm-fld": "SRM+FLD", "xunet": "Xu-Net"}
PLAN_COMMIT = "e5e3bed"  # where PLAN was first committed (2026-12-08 ~03:24 UTC), unchanged since
ADVSTEGO = [sys.executable, "-m", "advstego"]


def commit() -> str:
    r = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                       text=True)
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--",
                            "scripts/photo_study.py"], capture_output=True, text=True).stdout
    return r.stdout.strip() + ("+modified" if dirty.strip() else "")


def write_json(path: Path, obj):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj) + "\n")
    os.replace(tmp, path)


def corpus(out: Path):
    from advstego.data.corpus import Corpus

    folder = out / "corpus"
    if not (folder / "manifest.json").exists():
        subprocess.run(ADVSTEGO + ["data", "prepare", *PLAN["corpus"], "--out", folder],
                       check=True)
    c = Corpus(folder)
    files = sorted(f for s in ("train", "val", "test") for f in c.files(s))
    return c, files, c.photo


def fold_roles(files, photo) -> list[dict]:
    """fold -> {role: files}: the folds of advstego/folds.py, by photo."""
    from advstego.folds import folds

    out = []
    for fold in folds([photo[f] for f in files], PLAN["folds"], PLAN["split_seed"],
                      PLAN["roles"]):
        where = {p: role for role, ps in fold.items() for p in ps}
        out.append({role: [f for f in files if where[photo[f]] == role] for role in fold})
    return out


def embed(out: Path, c, files, name: str) -> dict:
    """file -> stego of the arm, made once (arms/NAME.npz)."""
    from advstego.game.embed import hide_all

    path = out / "arms" / f"{name}.npz"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        covers = [c.read(f) for f in files]
        secrets = [c.read(c.partner[f]) for f in files]
        t0 = time.time()
        stegos, info = hide_all({**PLAN["hider"], **PLAN["arms"][name]}, [], covers, secrets,
                                workers=1)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, files=np.array(files), stegos=np.stack(stegos),
                 seconds=np.array([time.time() - t0]))
        os.replace(tmp, path)
    z = np.load(path, allow_pickle=False)
    return dict(zip(z["files"].tolist(), z["stegos"]))


def judge(out: Path, c, covers, stegos, name, k, roles, judge_name, seed) -> dict:
    """One judge of one arm in one fold: trained on the other folds, its calls on fold k."""
    from advstego.steganalysis.detector import build_detector, fit_and_measure

    path = out / "judged" / name / f"{judge_name}-fold{k}-seed{seed}.json"
    if path.exists():
        return json.loads(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # another process of this run fits it (--workers): leave it to that one
        os.close(os.open(path.with_suffix(".running"), os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return None
    spec = {x: v for x, v in PLAN["judges"][judge_name].items() if x != "seeds"}
    det = build_detector(judge_name, seed=seed, **spec)
    part = {r: ([covers[f] for f in fs], [stegos[f] for f in fs]) for r, fs in roles.items()}
    if judge_name == "srm-fld":  # nothing to select: it trains on train and val
        train = tuple(part["train"][i] + part["val"][i] for i in (0, 1))
        val = None
    else:
        train, val = part["train"], part["val"]
    test = roles["test"]
    photos = [c.photo[f] for f in test] * 2
    t0 = time.time()
    r = fit_and_measure(det, train, part["test"], val=val, photos=photos)
    r.pop("interval", None)
    r.update(seconds=time.time() - t0, fold=k, seed=seed, files=test, commit=commit())
    write_json(path, r)
    path.with_suffix(".running").unlink()
    return r


def merged(runs: list[dict]) -> dict:
    """One seed's calls over every fold (covers of all folds, then their stegos)."""
    rs = sorted(runs, key=lambda r: r["fold"])
    names = sorted({n for r in rs for n in r["calls"]["photo_names"]})
    at = {n: i for i, n in enumerate(names)}
    half = [len(r["files"]) for r in rs]
    out = {"labels": "", "decisions": "", "scores": [], "photos": [], "photo_names": names}
    for part in (0, 1):  # covers, then stegos
        for r, n in zip(rs, half):
            cl, sl = r["calls"], slice(part * n, (part + 1) * n)
            out["labels"] += cl["labels"][sl]
            out["decisions"] += cl["decisions"][sl]
            out["scores"] += cl["scores"][sl]
            out["photos"] += [at[cl["photo_names"][i]] for i in cl["photos"][sl]]
    return out


def run(a):
    import torch

    torch.set_num_threads(a.threads)
    c, files, photo = corpus(a.out)
    roles = fold_roles(files, photo)
    covers = {f: c.read(f) for f in files}
    (a.out / "plan.json").write_text(json.dumps({**PLAN, "commit": commit()}, indent=1))
    if a.fresh:  # claims of killed processes
        for p in (a.out / "judged").rglob("*.running"):
            p.unlink()
    for name in PLAN["arms"]:
        print(f"[study] embed {name}", flush=True)
        embed(a.out, c, files, name)
    todo = [(jname, name, seed, k) for jname, spec in PLAN["judges"].items()
            if not a.judge or jname == a.judge
            for name in PLAN["arms"] for seed in range(spec["seeds"]) for k in range(len(roles))]
    stegos = {name: embed(a.out, c, files, name) for name in PLAN["arms"]}
    for jname, name, seed, k in (todo[::-1] if a.reverse else todo):
        print(f"[study] {name} {jname} seed {seed} fold {k}", flush=True)
        judge(a.out, c, covers, stegos[name], name, k, roles[k], jname, seed)


def arms_calls(out: Path) -> dict:
    """arm -> judge -> the calls of each seed (every fold merged), where all folds ran."""
    got = {}
    for name in PLAN["arms"]:
        for jname, spec in PLAN["judges"].items():
            seeds = []
            for seed in range(spec["seeds"]):
                runs = [out / "judged" / name / f"{jname}-fold{k}-seed{seed}.json"
                        for k in range(PLAN["folds"])]
                if all(p.exists() for p in runs):
                    seeds.append(merged([json.loads(p.read_text()) for p in runs]))
            if len(seeds) == spec["seeds"]:
                got.setdefault(name, {})[jname] = seeds
    return got


def _iv(d, key="PE"):
    v = d[key] if isinstance(d[key], (list, tuple)) else (d[key], d["low"], d["high"])
    return f"{v[0]:.3f} [{v[1]:.3f}, {v[2]:.3f}]"


def report(a):
    from advstego import stats
    from advstego.steganalysis.detector import arm

    got = arms_calls(a.out)
    plan = json.loads((a.out / "plan.json").read_text())
    judged = sorted((a.out / "judged").rglob("*.json"))
    commits = sorted({json.loads(p.read_text())["commit"]
                      for p in (a.out / "judged").rglob("*.json")})
    res = {"plan_commit": PLAN_COMMIT, "launched_from": plan["commit"], "run_commits": commits, "arms": {}, "gate": {},
           "comparisons": [], "judge_runs": len(judged)}
    dirty = [x for x in commits if x.endswith("+modified")]
    md = [f"Plan: PLAN in scripts/photo_study.py, committed in {PLAN_COMMIT} before any of its "
          f"runs and unchanged since; {len(judged)} judge fits, each recording the commit it ran "
          f"from ({len(commits)} commits while other work landed beside it"
          f"{'; ' + str(len(dirty)) + ' with the script modified' if dirty else ''}). "
          f"{PLAN['folds']} folds by photo (split seed {PLAN['split_seed']}): every photo is "
          "called once by judges that never saw it; 95% intervals resample photos and seeds.",
          "", "| arm | judge | PE [95%] | photos | images | seeds' PE | literature, "
          "S-UNIWARD 0.4 bpp |", "|---|---|---|---|---|---|---|"]
    arms = {n: {j: arm(s) for j, s in js.items()} for n, js in got.items()}
    for n, js in got.items():
        for j, seeds in js.items():
            iv = stats.interval(arms[n][j])
            res["arms"].setdefault(n, {})[j] = {"interval": iv,
                                                "seeds": [float(np.mean(
                                                    [x != y for x, y in zip(s["labels"],
                                                                            s["decisions"])]))
                                                          for s in seeds]}
            md.append(f"| {n} | {NAMES[j]} | {_iv(iv)} | {iv['n_photos']} | {iv['n_images']} "
                      f"| {', '.join(f'{x:.3f}' for x in res['arms'][n][j]['seeds'])} | "
                      f"{LITERATURE[j] if n == 'P0' else ''} |")
    md += ["", "Per photo (P0, each judge's mean over seeds): the photos at PE 0 and at PE ≥ 0.5; "
               "Xu-Net's epoch of least validation PE (of " f"{PLAN['judges']['xunet']['epochs']}).", ""]
    for j in PLAN["judges"]:
        if j not in arms.get("P0", {}):
            continue
        a0 = arms["P0"][j]
        c = a0.per_photo()  # PE by photo: half its false-alarm rate plus half its miss rate
        pe = 0.5 * (c["fa"] / c["covers"] + c["md"] / c["stegos"]).mean(0)
        per = dict(zip(a0.photos.tolist(), pe.tolist()))
        zero, half = sorted(p for p, v in per.items() if v == 0), sorted(p for p, v in per.items() if v >= 0.5)
        res["arms"]["P0"][j]["photos_at_0"], res["arms"]["P0"][j]["photos_at_half"] = zero, half
        md.append(f"- {NAMES[j]}: {len(zero)} of {len(per)} photos at PE 0, {len(half)} at PE ≥ 0.5"
                  + (f" ({', '.join(half)})" if half else "") + ".")
    epochs = [json.loads(p.read_text()).get("selected", {}).get("epoch")
              for p in (a.out / "judged").rglob("xunet-*.json")]
    epochs = [e for e in epochs if e]
    if epochs:
        last = sum(e == PLAN["judges"]["xunet"]["epochs"] for e in epochs)
        res["xunet_selected_epochs"] = epochs
        md.append(f"- Xu-Net: selected epoch median {int(np.median(epochs))} (range {min(epochs)}"
                  f"–{max(epochs)}) over {len(epochs)} fits; {last} chose the last epoch "
                  "(still improving there: not converged).")
    md += ["", "| comparison | judge | ΔPE [95%] | p | p (Holm) | resolved | smallest "
               "resolvable ΔPE (80% power) |", "|---|---|---|---|---|---|---|"]
    passed = True
    for j in PLAN["judges"]:
        if not all(j in arms.get(n, {}) for n in PLAN["arms"]):
            passed = None
            continue
        base = stats.pooled(*(arms[n][j] for n in PLAN["baseline"]))
        cmp = {"C1 − pooled (P0, C0)": stats.paired(base, arms["C1"][j]),
               "C0 − P0 (A/A null)": stats.paired(arms["P0"][j], arms["C0"][j])}
        pos, null = cmp["C1 − pooled (P0, C0)"], cmp["C0 − P0 (A/A null)"]
        ok = pos["low"] > 0 and null["low"] <= 0 <= null["high"]
        res["gate"][j] = {"positive_resolved": bool(pos["low"] > 0),
                          "null_covers_0": bool(null["low"] <= 0 <= null["high"]),
                          "passed": bool(ok)}
        passed = passed and ok if passed is not None else None
        for label, d in cmp.items():
            res["comparisons"].append({"comparison": label, "judge": j, **d})
            md.append(f"| {label} | {NAMES[j]} | {d['diff']:+.3f} [{d['low']:+.3f}, "
                      f"{d['high']:+.3f}] | {d['p']:.3f} | – (a control) | "
                      f"{'yes' if d['resolved'] else 'no'} | {d['min_detectable']:.3f} |")
    res["gate_passed"] = passed
    word = {True: "passed: the strategy arms may run", None: "not yet complete",
            False: "failed: the design cannot answer its question on these photos, and the "
                   "study stops here (the strategy arms are not run)"}[passed]
    md += ["", f"**Gate** ({PLAN['gate']}): {word}."]
    for j, g in res["gate"].items():
        md.append(f"- {NAMES[j]}: positive control {'resolved' if g['positive_resolved'] else 'NOT resolved'}; "
                  f"A/A null {'covers 0' if g['null_covers_0'] else 'does NOT cover 0'}.")
    a.report.mkdir(parents=True, exist_ok=True)
    write_json(a.report / "study.json", res)
    (a.report / "study.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--report", type=Path)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reverse", action="store_true",
                    help="take the fits last first (a second process beside a first)")
    ap.add_argument("--fresh", action="store_true",
                    help="drop the claims of killed processes first (start one process so)")
    ap.add_argument("--judge", choices=list(PLAN["judges"]),
                    help="run this judge only (two processes: one judge each)")
    a = ap.parse_args()
    report(a) if a.report else run(a)


if __name__ == "__main__":
    main()
