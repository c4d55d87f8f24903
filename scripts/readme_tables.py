"""Write the result tables of README.md and results/README.md from the results' JSON files
(no figure typed by hand).

Each table sits between `<!-- table:NAME -->` and `<!-- /table:NAME -->` in one of FILES and
is rebuilt from the JSON named in TABLES. `--check` exits 1 when a file is out of date.

    .venv/bin/python scripts/readme_tables.py [--check]
"""

import argparse
import csv
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))  # games_report beside this file


def _f(x, digits=2):
    return "–" if x is None else f"{x:.{digits}f}"


def _pe(sec, name):
    r = sec.get(name)
    return "–" if r is None else f"{r['PE']:.3f}"


def hiders_table(results: list[dict]) -> str:
    head = ("| covers | method | pairs | stego PSNR | secret PSNR | secret median / p10 | "
            "stego / secret SSIM | float stego / secret PSNR | grid peak | SRM+FLD PE | "
            "Xu-Net PE |\n|---|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for res in results:
        mode = "gray 256²" if res["mode"] == "gray" else "RGB 256²"
        for spec, r in res["hiders"].items():
            fl = (f"{_f(r['stego_psnr_float'])} / {_f(r['secret_psnr_float'])}"
                  if "stego_psnr_float" in r else "(integer)")
            rows.append(
                f"| {mode} | {spec} ({r['hider'].get('arch', r['hider'].get('method'))}) | "
                f"{r['pairs']} | {_f(r['stego_psnr'])} | {_f(r['secret_psnr'])} | "
                f"{_f(r['secret_psnr_median'])} / {_f(r['secret_psnr_p10'])} | "
                f"{_f(r['stego_ssim'], 3)} / {_f(r['secret_ssim'], 3)} | {fl} | "
                f"{_f(r['grid_peak_ratio'], 1)} | {_pe(r['security'], 'srm_fld')} | "
                f"{_pe(r['security'], 'xunet')} |")
        c = res["control"]
        rows.append(f"| {mode} | control: covers vs covers | {res['test_pairs'] // 2} | | | | | | | "
                    f"{_pe(c, 'srm_fld')} | {_pe(c, 'xunet')} |")
    sizes = "; ".join(f"{r['mode']}: {r['train_pairs']} training pairs, {r['test_pairs']} test "
                      f"pairs, Xu-Net {r['cnn_epochs']} epochs" for r in results)
    note = (f"\nWardens trained on stegos of training photos, tested on test photos (split by "
            f"photo) — {sizes}. PSNR in dB of the mean MSE over the pairs, stegos saved as "
            "8-bit PNG; 'float' = before rounding.")
    return head + "\n" + "\n".join(rows) + "\n" + note


def hider_targets(results: list[dict]) -> str:
    """The fidelity targets of v2 against its measured figures (held-out 256² photos, PNG
    stegos)."""
    by_mode = {r["mode"]: r for r in results}
    rows = []

    def row(what, value, goal, ok):
        rows.append(f"| {what} | {value} | {goal} | {'met' if ok else '**not met**'} |")

    for mode, stego_goal, secret_goal in (("gray", 38, 35), ("rgb", 36, 33)):
        r = by_mode.get(mode, {}).get("hiders", {}).get("v2")
        if r is None:
            continue
        m = "gray" if mode == "gray" else "RGB"
        row(f"{m} v2 stego PSNR", _f(r["stego_psnr"]), f"≥ {stego_goal} dB", r["stego_psnr"] >= stego_goal)
        row(f"{m} v2 secret PSNR", _f(r["secret_psnr"]), f"≥ {secret_goal} dB",
            r["secret_psnr"] >= secret_goal)
        row(f"{m} v2 10th-percentile secret", _f(r["secret_psnr_p10"]), "≥ 28 dB",
            r["secret_psnr_p10"] >= 28)
        row(f"{m} v2 grid-peak ratio", _f(r["grid_peak_ratio"], 1), "≤ 5", r["grid_peak_ratio"] <= 5)
    gray = by_mode.get("gray", {})
    if "v1" in gray.get("hiders", {}) and "v2" in gray["hiders"]:
        a, b = (gray["hiders"][k]["security"]["srm_fld"]["PE"] for k in ("v1", "v2"))
        # one standard error of a PE measured on n covers + n stegos, at p = 0.25
        se = (0.25 * 0.75 / (2 * gray["test_pairs"])) ** 0.5
        row("gray SRM+FLD PE, v2 above v1 (by more than 2 standard errors)",
            f"{b:.3f} vs {a:.3f} (±{se:.3f})", "v2 > v1", b - a > 2 * se)
    return ("| target | measured | goal | |\n|---|---|---|---|\n" + "\n".join(rows))


def _load(*names):
    return [json.loads((ROOT / n).read_text()) for n in names if (ROOT / n).exists()]


def verbatim(name: str) -> str:
    """A benchmark's saved output, as it printed it."""
    path = ROOT / name
    return "```\n" + (path.read_text().rstrip() if path.exists() else "(not measured)") + "\n```"


def _markdown(name: str) -> str:
    """A script's saved markdown tables, as written."""
    path = ROOT / name
    return path.read_text().rstrip() if path.exists() else "(not run)"


def experiment_tables(name: str, only: tuple = ()) -> str:
    """The tables of an experiment's results.json (as in its report.md); only: those of
    these names (experiments/report.Table.name)."""
    path = ROOT / name
    if not path.exists():
        return "(not run)"
    from advstego.experiments.report import stage_table, tables

    r = json.loads(path.read_text())
    md = []
    for t in tables(r) + stage_table(r):
        if only and t.name not in only:
            continue
        md += [f"*{t.title}*", "", "| " + " | ".join(t.head) + " |", "|" + "---|" * len(t.head)]
        md += ["| " + " | ".join(row) + " |" for row in t.rows] + [""]
    return "\n".join(md).rstrip()


def jpeg_tables(name: str = "results/jpeg/results.json") -> str:
    """The jpeg preset's tables (Table 2 (JPEG) and its paired ΔPE) and the sentences of its
    ordering against the literature's, from its results.json (experiments/jpeg_report.py):
    TABLES' "jpeg" once a file has its marker."""
    path = ROOT / name
    if not path.exists():
        return "(not run)"
    from advstego.experiments.jpeg_report import jpeg_tables as made, ordering_statement
    from advstego.experiments.report import tables

    r = json.loads(path.read_text())
    md = []
    for t in tables(r, made(r)):
        md += [f"*{t.title}*", "", "| " + " | ".join(t.head) + " |", "|" + "---|" * len(t.head)]
        md += ["| " + " | ".join(row) + " |" for row in t.rows] + [""]
    md += [f"- {x}" for x in ordering_statement(r["jpeg_experiment"].get("ordering") or {})]
    return "\n".join(md).rstrip()


def harden_targets(name: str = "results/offline/results.json") -> str:
    """The hardening game's targets against the rounds of the offline experiment."""
    path = ROOT / name
    r = json.loads(path.read_text()) if path.exists() else {}
    h = r.get("hardening")
    if not h:
        return "(not run)"
    from advstego.game.rows import RoundRow
    from advstego.game.rules import pe_fresh

    wardens = h["config"]["wardens"]
    arch = "/".join(wardens)
    rounds = [RoundRow.from_dict(x) for x in h["rounds"]]
    kept = [x for x in rounds if x.round > 0 and x.secret_psnr >= 30]
    best = max(kept, key=lambda x: pe_fresh(x, wardens), default=None)
    start = rounds[0]
    got = (f"round {best.round}: {pe_fresh(best, wardens):.3f} at {best.secret_psnr:.2f} dB"
           if best else "no round keeps the secret at 30 dB")
    pe = pe_fresh(best, wardens) if best else 0.0
    rows = [f"| fresh {arch} PE after hardening, secret ≥ 30 dB (start: {pe_fresh(start, wardens):.3f} "
            f"at {start.secret_psnr:.2f} dB) | {got} | ≥ 0.10 | {'met' if pe >= 0.10 else '**not met**'} |",
            f"| moonshot | {got} | ≥ 0.20 | {'met' if pe >= 0.20 else '**not met**'} |"]
    return "| target | measured (best round) | goal | |\n|---|---|---|---|\n" + "\n".join(rows)


def harden_csv(name: str) -> str:
    """A harden run's harden.csv as a table."""
    path = ROOT / name
    if not path.exists():
        return "(not run)"
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    head = list(rows[0])
    return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                     + ["| " + " | ".join(r[h] or "–" for h in head) + " |" for r in rows])


def gpu_runs() -> str:
    """The GPU runs of scripts/gpu_train.sh: the card, and each run's last validation row."""
    folder = ROOT / "results/gpu"
    if not (folder / "device.txt").exists():
        return "(not run)"
    md = [(folder / "device.txt").read_text().strip(), "",
          "| run | steps | pairs seen | images/s | val stego PSNR | val secret PSNR |",
          "|---|---|---|---|---|---|"]
    for log in sorted(folder.glob("*-log.csv")):
        with open(log, newline="") as fh:
            rows = list(csv.DictReader(fh))
        last = rows[-1]
        cfg = json.loads((folder / log.name.replace("-log.csv", "-config.json")).read_text())
        md.append(f"| {log.name[:-8]} | {last['step']} | {int(last['step']) * cfg['train']['batch']} | "
                  f"{float(last['images_per_s']):.0f} | {float(last['stego_psnr_uint8']):.2f} | "
                  f"{float(last['secret_psnr_uint8']):.2f} |")
    return "\n".join(md)


def warden_curve() -> str:
    """PE of both wardens against the number of training pairs (benchmarks/warden_curve.py)."""
    path = ROOT / "results/offline/warden_curve.json"
    if not path.exists():
        return "(not run)"
    r = json.loads(path.read_text())
    md = [f"*{r['method']} stegos; test pairs {r['rows'][0]['test_pairs']}; Xu-Net "
          f"{r['epochs']} epochs, validation-selected*", "",
          "| training pairs | SRM+FLD PE | P_FA | P_MD | CNN PE | P_FA | P_MD |",
          "|---|---|---|---|---|---|---|"]
    for row in r["rows"]:
        cells = [str(row["pairs"])]
        for tag in ("SRM", "CNN"):
            cells += [f"{row[tag]['PE']:.3f}", f"{row[tag]['P_FA']:.3f}", f"{row[tag]['P_MD']:.3f}"]
        md.append("| " + " | ".join(cells) + " |")
    return "\n".join(md)


def summary(name: str = "results/offline/results.json") -> str:
    """The front door's few lines: the classical rival against the deep hiders, on the
    offline experiment's held-out photos (Table 4's figures)."""
    path = ROOT / name
    if not path.exists():
        return "(not run)"
    from advstego.experiments.report import frontier_points

    r = json.loads(path.read_text())
    pts = {p[0]: p for p in frontier_points(r)}
    rows = [n for n in pts if n.startswith("STC-") and "secret" not in n]
    rows += [n for n in ("GAN", "v1", "LSB-4") if n in pts]
    rounds = [n for n in pts if n.startswith("hardened") and not n.endswith("round 0")]
    rows += sorted(rounds, key=lambda n: -pts[n][4])[:1]  # the round its fresh warden errs most on
    names = {"GAN": "deep hider v2 (shipped default)", "v1": "deep hider v1"}
    md = ["| hider (256² gray, held-out photos) | secret PSNR | stego PSNR | PE SRM+FLD | PE CNN |",
          "|---|---|---|---|---|"]
    from advstego.experiments.report import _pe

    t2 = r["table2"]
    srm = []
    for n in rows:
        _, sec, st, pe_s, pe_c = pts[n]
        cells = [t2[n][w] if n in t2 else _hardened(r, n, w, x)
                 for w, x in (("SRM", pe_s), ("CNN", pe_c))]
        srm.append(cells[0])
        md.append(f"| {names.get(n, n)} | {_f(sec)} | {_f(st)} | {_pe(cells[0], 3)} | "
                  f"{_pe(cells[1], 3)} |")
    if not all(c.get("interval") for c in srm):
        md += ["", NO_INTERVAL]
    return "\n".join(md)


def _hardened(r: dict, name: str, warden: str, pe: float) -> dict:
    """A hardening round's PE on the frontier ("hardened MODEL, round K"), with the interval
    by photo of the warden that measured it where the round recorded one (its fresh
    SRM+FLD, or its fresh CNN where the game has one)."""
    from advstego.game.rows import RoundRow

    h = r.get("hardening") or {}
    wardens = h.get("config", {}).get("wardens") or []
    try:
        row = RoundRow.from_dict(h["rounds"][int(name.rsplit(" ", 1)[1])])
    except (KeyError, IndexError, ValueError):
        return {"PE": pe}
    tag = "srm" if warden == "SRM" else f"fresh_{wardens[0]}" if len(wardens) == 1 else None
    iv = ((row.judged or {}).get(tag) or {}).get("interval")
    return {"PE": pe, "interval": iv} if iv else {"PE": pe}


NO_INTERVAL = ("*No interval: these PEs are single points (one warden seed each); the run "
               "predates intervals by photo. Differences between rows of a few hundredths "
               "are not resolved by it (results/game_noise.txt).*")


def _number_after(name: str, pattern: str):
    """The first number a benchmark's saved output prints after `pattern`, or None."""
    path = ROOT / name
    m = re.search(pattern + r"\s*([0-9.]+)", path.read_text()) if path.exists() else None
    return float(m.group(1)) if m else None


def speed_targets(name: str = "results/offline/results.json") -> str:
    """The speed targets against the offline run's stage times and the saved benchmarks."""
    path = ROOT / name
    if not path.exists():
        return "(not run)"
    r = json.loads(path.read_text())
    st = r.get("stages", {})
    wall = r.get("wall_seconds_total")  # absent: a run from before invocations were summed
    detect = sorted(v["seconds"] for n, v in st.items()
                    if n.startswith("detect-") or n == "control")
    fgsm = [v["attack_seconds"] / v["images_attacked"] for k, v in r.get("table3", {}).items()
            if k.startswith("FGSM") and v.get("attack_seconds") is not None]
    stc = [v["seconds_per_image"] * (v.get("ranks") or 1) for n, v in st.items()
           if n.startswith("stegos-STC") and v.get("seconds_per_image")]
    srm = _number_after("results/srm_speed.txt", "speed-up :")
    ref = _number_after("results/stc_reference.txt", "distortion ratio")
    ref_t = _number_after("results/stc_reference.txt", r"s \(")
    demo = _number_after("results/demo_time.txt", "make demo after install:")
    stc_bench = [_number_after("results/stc_speed.txt", f"secret {n}x{n}: whole stego")
                 for n in (256, 128)]
    fgsm_bench = _number_after("results/fgsm_speed.txt", "s/image, ours")

    def row(what, value, goal, ok):
        return f"| {what} | {value} | {goal} | {'met' if ok else '**not met**'} |"
    md = ["| measure | measured | target | |", "|---|---|---|---|"]
    if wall is None:
        md.append("| offline experiment wall (all invocations) | not recorded by this run | "
                  "≤ 3,600 s | **not measured** |")
    else:
        md.append(row(f"offline experiment wall, {r.get('ranks')} ranks (all invocations)",
                      f"{wall:,.0f} s", "≤ 3,600 s", wall <= 3600))
    if detect:
        md.append(row("detect stage (1,532 images, features cached): median / longest",
                      f"{detect[len(detect) // 2]:.0f} / {detect[-1]:.0f} s", "≤ 60 s each",
                      detect[-1] <= 60))
    if fgsm:
        md.append(row("FGSM attack per image (the attack alone; offline run)",
                      f"{min(fgsm):.3f}–{max(fgsm):.3f} s", "≤ 0.3 s", max(fgsm) <= 0.3))
    if fgsm_bench:
        md.append(row("fgsm-uint8 per image, one thread, the offline settings "
                      "(results/fgsm_speed.txt)", f"{fgsm_bench:.3f} s", "≤ 0.3 s",
                      fgsm_bench <= 0.3))
    if stc:
        md.append(row("STC stego at 0.4 bpp, 256² (one rank's time per image; offline run)",
                      f"{min(stc):.2f}–{max(stc):.2f} s", "≤ 0.15 s", max(stc) <= 0.15))
    if all(stc_bench):
        md.append(row("STC stego at 0.4 bpp, 256², one thread, 256² / 128² secret "
                      "(results/stc_speed.txt)", " / ".join(f"{t:.3f} s" for t in stc_bench),
                      "≤ 0.15 s", max(stc_bench) <= 0.15))
    if srm:
        md.append(row("SRM extraction vs sealwatch (results/srm_speed.txt)", f"{srm:.1f}x",
                      "≥ 20x, identical", srm >= 20))
    if ref:
        md.append(row("STC distortion vs the reference coder", f"{ref:.3f}x", "≤ 1.02x",
                      ref <= 1.02))
    if ref_t:
        md.append(row("STC time vs the reference coder", f"{ref_t:.1f}x", "≤ 1.5x",
                      ref_t <= 1.5))
    if demo:
        md.append(row("make demo after install (results/demo_time.txt)", f"{demo:.0f} s",
                      "≤ 180 s", demo <= 180))
    return "\n".join(md)


def fresh_clone() -> dict | None:
    """The figures of benchmarks/fresh_clone.py's last run: the clone's commit and cores,
    `make setup` and `make test` seconds and the tests passed (results/fresh_clone.txt), and
    `make demo`'s seconds, from results/demo_time.txt only (the one source every table
    quotes)."""
    path = ROOT / "results" / "fresh_clone.txt"
    text = path.read_text() if path.exists() else ""
    m = re.search(r"fresh clone of (\w+), .*?(\d+) cores", text)
    got = {"setup": _number_after("results/fresh_clone.txt", "make setup:"),
           "test": _number_after("results/fresh_clone.txt", "make test:"),
           "passed": _number_after("results/fresh_clone.txt", r"s wall,"),
           "demo": _number_after("results/demo_time.txt", "make demo after install:")}
    if m is None or None in got.values():
        return None
    return {"commit": m.group(1), "cores": int(m.group(2)), **got}


def durations() -> str:
    """The front door's sentence on how long `make demo` and `make test` take."""
    f = fresh_clone()
    if f is None:
        return "(not measured)"
    return (f"Timed on a fresh clone with {f['cores']} idle cores (results/fresh_clone.txt): "
            f"`make demo` {f['demo']:.0f} s, `make test` {f['test']:.0f} s ({f['passed']:.0f} "
            f"tests), and {f['setup']:.0f} s more for the install the first of them makes. "
            f"On a shared or loaded {f['cores']}-core machine they take several times longer.")


def demo_time() -> str:
    """The quick experiment's sentence on how long `make demo` took."""
    f = fresh_clone()
    if f is None:
        return "(not measured)"
    return (f"`make demo` took {f['demo']:.0f} s after the install, from a fresh clone of "
            f"{f['commit']} with an empty feature cache on {f['cores']} idle cores "
            "(results/demo_time.txt, benchmarks/fresh_clone.py).")


def experiment_findings(name: str) -> str:
    """What an experiment found, as its report opens: sentences from its intervals."""
    path = ROOT / name
    if not path.exists():
        return "(not run)"
    from advstego.experiments.report import findings

    found = findings(json.loads(path.read_text()))
    return found[0] + "\n\n" + "\n".join(f"- {x}" for x in found[1:])


HIDER_RESULTS = ("results/hiders/gray.json", "results/hiders/rgb.json")


def games_table() -> str:
    """Table 6 from the games kept under results/games (scripts/games_report.py)."""
    from games_report import table6_md

    return table6_md()


def games_targets(payload: float = 0.4) -> str:
    """The adversarial-embedding targets against the S-UNIWARD game at this payload."""
    from games_report import games

    from advstego.game.rules import pe_worst_fresh
    from advstego.game.tables import rows_of

    gs = [g for g in games() if g["config"]["hider"]["settings"]["cost"] == "suniward"
          and g["config"]["hider"]["settings"]["payload"] == payload and len(g["rounds"]) > 1]
    if not gs:
        return "(not run)"
    g = gs[0]
    rs, w = rows_of(g), g["config"]["wardens"]
    plain, final = rs[0], rs[g["final"]]
    adv = max(rs[1:], key=lambda x: pe_worst_fresh(x, w))  # the best adversarial round
    rows = []

    def row(what, value, goal, ok):
        rows.append(f"| {what} | {value} | {goal} | {'met' if ok else '**not met**'} |")

    for name, x in ((f"final strategy (round {g['final']})", final),
                    (f"best adversarial round ({adv.round})", adv)):
        d_cnn = x.pe_fresh["xunet"] - plain.pe_fresh["xunet"]
        d_srm = x.pe_srm - plain.pe_srm
        row(f"{name}: retrained Xu-Net PE − S-UNIWARD's (one training seed each)", f"{d_cnn:+.3f}",
            "≥ +0.05", d_cnn >= 0.05)
        row(f"{name}: retrained SRM+FLD PE − S-UNIWARD's", f"{d_srm:+.3f}", "≥ −0.01", d_srm >= -0.01)
    frozen = min(rs[1].pe_earlier)
    row("frozen warden's PE after adversarial costs (round 1, against D0)", f"{frozen:.3f}",
        "≥ 0.45", frozen >= 0.45)
    same = len({round(x.secret_psnr, 6) for x in rs}) == 1
    row("secret PSNR equal in every round (the secret extracted bit-exact)",
        f"{rs[0].secret_psnr:.2f} dB in all {len(rs)} rounds" if same else "differs",
        "equal", same)
    speed = ROOT / "results" / "adversarial_speed.json"
    if speed.exists():
        sp = json.loads(speed.read_text())
        row("embed time per image / plain STC's (benchmarks/adversarial_speed.py, shipped "
            f"pool, {sp['size']}, one thread)", f"{sp['ratio']:.1f}× ({sp['adversarial_s']:.2f} "
            f"vs {sp['plain_s']:.2f} s)", "≤ 3×", sp["ratio"] <= 3)
    return (f"| target ({payload:g} bpp) | measured | goal | |\n|---|---|---|---|\n"
            + "\n".join(rows))


def study_summary() -> str:
    """The front door's answer: each adversarial arm of the pre-registered study against
    plain costs, paired on the same test photos, by judge (results/study/study.json)."""
    path = ROOT / "results" / "study" / "study.json"
    if not path.exists():
        return "(not run)"
    s = json.loads(path.read_text())
    rows = {}
    for c in s["comparisons"]:
        rows.setdefault(c["b"], {})[c["warden"]] = c
    md = [f"| arm − P0 (S-UNIWARD 0.4 bpp), {s['photos']} test photos, judges retrained | "
          "ΔPE SRM+FLD [95%] | ΔPE Xu-Net [95%] |", "|---|---|---|"]
    for arm, by in rows.items():
        cells = [f"{c['diff']:+.3f} [{c['low']:+.3f}, {c['high']:+.3f}]: {c['answer']}"
                 for c in (by["SRM+FLD"], by["Xu-Net"])]
        md.append(f"| {arm} | {cells[0]} | {cells[1]} |")
    return "\n".join(md)


def study_targets() -> str:
    """The targets of the adversarial-embedding study, from results/study/study.json and the
    speed benchmarks' JSON."""
    path = ROOT / "results" / "study" / "study.json"
    if not path.exists():
        return "(not run)"
    s = json.loads(path.read_text())
    comps = [c for c in s["comparisons"] if c["role"] == "strategy"]
    rows = []

    def row(what, value, goal, ok):
        rows.append(f"| {what} | {value} | {goal} | {'met' if ok else '**not met**'} |")

    row("test photos / test tiles (split by photo)", f"{s['photos']} / {s['images'] // 2}",
        "≥ 150 / ≥ 2,000", s["photos"] >= 150 and s["images"] // 2 >= 2000)
    for judge, goal in (("SRM+FLD", 0.03), ("Xu-Net", 0.05)):
        md = {c["b"].split(":")[0]: c["min_detectable"] for c in comps if c["warden"] == judge}
        worst = max(md.values())
        row(f"smallest resolvable ΔPE, {judge} (80% power; per arm)",
            ", ".join(f"{k} {v:.3f}" for k, v in md.items()), f"≤ {goal}", worst <= goal)
    for role, want in (("A/A null", False), ("positive control", True)):
        for c in (c for c in s["comparisons"] if c["role"] == role):
            row(f"{role}, {c['warden']}: ΔPE [95%]", f"{c['diff']:+.3f} [{c['low']:+.3f}, "
                f"{c['high']:+.3f}]", "resolved" if want else "covers 0", c["resolved"] == want)
    best = max((c for c in comps if c["warden"] == "Xu-Net"), key=lambda c: c["diff"])
    srm = next(c for c in comps if c["warden"] == "SRM+FLD" and c["b"] == best["b"])
    row(f"moonshot: best arm ({best['b'].split(':')[0]}) − P0, retrained Xu-Net",
        f"{best['diff']:+.3f} [{best['low']:+.3f}, {best['high']:+.3f}]",
        "≥ +0.10, interval above 0", best["diff"] >= 0.10 and best["low"] > 0)
    row("moonshot: the same arm, retrained SRM+FLD", f"{srm['diff']:+.3f} [{srm['low']:+.3f}, "
        f"{srm['high']:+.3f}]", "interval above −0.01", srm["low"] > -0.01)
    exact = {k.split(":")[0]: v.get("secret_exact") for k, v in s["arms"].items()
             if v.get("secret_exact") is not None}
    row("test stegos whose secret is P0's bit for bit",
        ", ".join(f"{k} {v:.3f}" for k, v in exact.items()), "1.000 in every arm",
        all(v == 1 for v in exact.values()))
    for name, goal, limit, key in (("adversarial_speed_published", "≤ 3× plain STC", 3, "ratio"),
                                   ("backpack_speed", "≤ 5 s a tile", 5, "adversarial_s")):
        f = ROOT / "results" / f"{name}.json"
        if f.exists():
            b = json.loads(f.read_text())
            row(f"{b['scheme']} embed time, 128² tile, one thread "
                f"(benchmarks/adversarial_speed.py)", f"{b['adversarial_s']:.2f} s "
                f"({b['ratio']:.1f}× plain)", goal, b[key] <= limit)
    return "\n".join(["| target | measured | goal | |", "|---|---|---|---|", *rows])


TABLES = {
    "summary": summary,
    "durations": durations,
    "demo-time": demo_time,
    "quick-findings": lambda: experiment_findings("results/quick/results.json"),
    "study-targets": study_targets,
    "study-summary": study_summary,
    "speed-targets": speed_targets,
    "hiding-speed": lambda: verbatim("results/hiders/speed.txt"),
    "cli-speed": lambda: verbatim("results/cli_speed.txt"),
    "srm-speed": lambda: verbatim("results/srm_speed.txt"),
    "stc-speed": lambda: verbatim("results/stc_speed.txt"),
    "fld-speed": lambda: verbatim("results/fld_speed.txt"),
    "fgsm-speed": lambda: verbatim("results/fgsm_speed.txt"),
    "stc-reference": lambda: verbatim("results/stc_reference.txt"),
    "stc-reference-saturated": lambda: verbatim("results/stc_reference_saturated.txt"),
    "warden-speed": lambda: verbatim("results/warden_speed.txt"),
    "detect-cache": lambda: verbatim("results/detect_cache.txt"),
    "quick": lambda: experiment_tables("results/quick/results.json"),
    "offline": lambda: experiment_tables("results/offline/results.json"),
    "frontier": lambda: experiment_tables("results/offline/results.json", ("frontier", "hardening")),
    "harden-targets": harden_targets,
    "harden-ladv": lambda: harden_csv("results/offline/harden-ladv0.001.csv"),
    "gpu": gpu_runs,
    "warden-curve": warden_curve,
    "hiders": lambda: hiders_table(_load(*HIDER_RESULTS)),
    "games": games_table,
    "games-targets": games_targets,
    "games-targets-0.2": lambda: games_targets(0.2),
    "adversarial-speed": lambda: verbatim("results/adversarial_speed.txt"),
    "game-noise": lambda: verbatim("results/game_noise.txt"),
    "codec-security": lambda: verbatim("results/codec_security.txt"),
    "study": lambda: _markdown("results/study/study.md"),
    "photo-study": lambda: _markdown("results/photo-study/study.md"),
    "games-curriculum": lambda: harden_csv("results/games/variants/curriculum-0.2.csv"),
    "warden-curriculum": lambda: verbatim("results/warden_curriculum.txt"),
    "games-single-gradient": lambda: harden_csv("results/games/variants/single-gradient-0.4.csv"),
    "hider-targets": lambda: hider_targets(_load(*HIDER_RESULTS)),
}


SHORT_NO_INTERVAL = "*PE without an interval: single points of a run that predates them.*"


def _mark_points(body: str) -> str:
    """A table with PE columns but no [interval] in it says so under it."""
    lines = body.splitlines()
    head = next((x for x in lines if x.startswith("|")), "")
    if "PE" not in head or "no interval" in body.lower() or " [" in body:
        return body
    return body + "\n\n" + SHORT_NO_INTERVAL


def render(readme: str) -> str:
    for name, make in TABLES.items():
        pat = re.compile(rf"(<!-- table:{name} -->\n).*?(<!-- /table:{name} -->)", re.S)
        if not pat.search(readme):
            continue
        body = _mark_points(make())
        readme = pat.sub(lambda m: m.group(1) + body + "\n" + m.group(2), readme)
    return readme


FILES = ("README.md", "results/README.md")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true", help="fail if a file is out of date")
    a = ap.parse_args()
    stale = []
    for name in FILES:
        path = ROOT / name
        old = path.read_text()
        new = render(old)
        if new != old:
            stale.append(name)
            if not a.check:
                path.write_text(new)
    if a.check and stale:
        print(f"{', '.join(stale)}: tables out of date: run scripts/readme_tables.py",
              file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
