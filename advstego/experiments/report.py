"""Tables, figures and the report (results.json, report.md, self-contained report.html)."""

from __future__ import annotations

import base64
import html
import json
import math
import os
import platform
import re
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import InputError
from ..files import write_text_atomic
from ..images import read_image
from ..game.config import HardenConfig
from ..game.rows import RoundRow
from ..game.rules import pe_fresh
from ..stats import fmt
from ..game.tables import round_pe

# The paper's published figures (its Table 1), labelled as the paper's.
PAPER = {"BOSSbase": {"stego_psnr": 19.8, "secret_psnr": 21.8},
         "LFW": {"stego_psnr": 25.7, "secret_psnr": 26.4}}


def _versions():
    import importlib.metadata as md
    out = {"python": platform.python_version(), "advstego": __version__}
    commit = _commit()
    if commit:
        out["advstego_commit"] = commit
    for p in ("torch", "numpy", "scipy", "scikit-image", "conseal", "sealwatch"):
        try:
            out[p] = md.version(p)
        except md.PackageNotFoundError:
            pass
    return out


def _commit() -> str | None:
    """The git commit of the checkout advstego runs from (with '+changes' where its tracked
    files differ from it), or None outside a checkout."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(root), "--no-optional-locks", "status",
                                "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode:
        return None
    return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def _machine() -> dict:
    """Where the run ran: the platform and its CPU count."""
    return {"platform": platform.platform(), "cpus": os.cpu_count()}


def _fmt(v, digits=4):
    if v is None:
        return "–"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def _pe(v: dict, digits=4, key="PE") -> str:
    """A warden's PE with its 95% interval by photo where the run has one, marked where the
    warden learned nothing: one answer for every image."""
    if not v:
        return "–"
    iv = (v.get("interval") or {}).get(key)
    text = fmt(iv) if iv else _fmt(v.get(key), digits)
    if key != "PE":
        return text
    fa, md = v.get("P_FA"), v.get("P_MD")
    if fa == 0 and md == 1:
        return text + " (learned nothing: all cover)"
    if fa == 1 and md == 0:
        return text + " (learned nothing: all stego)"
    return text


def learned_nothing(r) -> list[str]:
    """Rows of Tables 0 and 2 where a warden gave one answer for every image."""
    out = []
    for m, v in (r.get("table2") or {}).items():
        for w in ("SRM", "CNN"):
            if "learned nothing" in _pe(v.get(w) or {}):
                out.append(f"{m} ({w})")
    return out


def _per_image(v: dict) -> str:
    """The attack's own seconds per attacked image (its wardens' training not counted)."""
    secs = v.get("attack_seconds")
    return "–" if secs is None else f"{secs / max(1, v['images_attacked']):.3f}"


def _transfer(v: dict):
    """The first transfer warden's summary of an attack row."""
    t = v.get("PE_transfer") or {}
    return next(iter(t.values()), None) if t else None


@dataclass(frozen=True)
class Table:
    """One table of the report, named by what it holds (readme_tables picks tables by name)."""
    name: str
    title: str
    head: list
    rows: list
    by_photo: bool = False  # its PEs' intervals resample the test photos (few: said so)


def _tables(r) -> list[Table]:
    attacked = r["attacked"]
    fidelity = [[m, str(v["pairs"]), f"{v['cover_mse']:.2e}", f"{v['secret_mse']:.2e}",
                 f"{v['stego_psnr']:.2f}", f"{v['secret_psnr']:.2f}", f"{v['stego_ssim']:.4f}",
                 f"{v['secret_ssim']:.4f}"] for m, v in r["table1"].items()]
    for name, p in PAPER.items():
        fidelity.append([f"paper, GAN on {name}", "", "", "", f"{p['stego_psnr']}",
                         f"{p['secret_psnr']}", "", ""])
    detection = [[m, _pe(v["SRM"]), _pe(v["SRM"], key="PE_min"), _pe(v["CNN"]),
                  _pe(v["CNN"], key="PE_min"), _fmt(v["CNN"]["w_vn"]), _n(v["SRM"])]
                 for m, v in r["table2"].items()]
    for label, v in r["table3"].items():
        detection.append([f"{attacked} + {label}", _pe(v["PE_srm"]),
                          _pe(v["PE_srm"], key="PE_min"), _pe(v["PE_cnn"]),
                          _pe(v["PE_cnn"], key="PE_min"), _fmt(v["PE_cnn"]["w_vn"]),
                          _n(v["PE_srm"])])
    adapting = [[label, _fmt(v["flip_rate"], 3), _fmt(v["missed_after"], 3),
                 _pe(v.get("PE_cnn_retrained") or {}), _pe(_transfer(v) or {}),
                 _pe(v["PE_srm"])] for label, v in r["table3"].items()]
    attacked_fidelity = [
        [label, str(v["images"]), f"{v['cover_mse']:.2e}", f"{v['cover_psnr']:.2f}",
         f"{v['secret_mse']:.2e}", f"{v['secret_psnr']:.2f}",
         f"{v['secret_psnr'] - v['secret_psnr_before']:+.2f}", _fmt(v["linf"], 2),
         _fmt(v["queries"], 1), _per_image(v)] for label, v in r["table3"].items()]
    measured = r["table2"]  # a frontier point's PEs with their intervals, where Table 2 has them
    frontier = [[m, _fmt(x, 2), _fmt(y, 2),
                 _pe(measured[m]["SRM"]) if m in measured else _fmt(pe_s),
                 _pe(measured[m]["CNN"]) if m in measured else _fmt(pe_c)]
                for m, x, y, pe_s, pe_c in frontier_points(r)]
    return calibration_table(r) + [
        Table("fidelity", "Table 1 - fidelity on held-out pairs (8-bit PNG stegos)",
              ["method", "pairs", "cover MSE", "secret MSE", "stego PSNR", "secret PSNR",
               "stego SSIM", "secret SSIM"], fidelity),
        Table("detection", "Table 2 - detection error PE on held-out covers + stegos (0.5 = "
              "undetectable; [95% interval resampling photos])",
              ["stegos", "SRM+FLD PE", "SRM+FLD PE_min", "CNN PE", "CNN PE_min", "CNN w/Vn",
               "test photos / images"], detection, by_photo=True),
        Table("adapting_warden", "Table 2b - attacks against a warden who adapts",
              [f"attack on {attacked} stegos", "flipped (of those the fixed CNN called stego)",
               "called cover after (all)", "PE retrained CNN",
               "PE other CNN (transfer)", "PE SRM+FLD (transfer)"], adapting),
        Table("attacked_fidelity", "Table 3 - after the attacks: cover and revealed-secret "
              "fidelity",
              ["attack", "images", "cover MSE", "cover PSNR", "secret MSE", "secret PSNR",
               "secret PSNR change", "L-inf (grey levels)", "queries", "attack s/image"],
              attacked_fidelity),
        Table("frontier", "Table 4 - security-capacity frontier: what each way of hiding an "
              "image costs (simulated = conseal's simulator at the STC row's payload, carrying "
              "no secret; hardening rounds: their own fresh wardens, Table 5)",
              ["system", "revealed-secret PSNR", "stego PSNR", "PE SRM+FLD", "PE CNN"],
              frontier),
    ] + comparison_table(r) + hardening_table(r) + games_table(r)


def tables(r, made: list | None = None) -> list[Table]:
    """Every table (or those made, of another kind of run); a title says where its PEs are
    points without an interval."""
    out = []
    few = _few_photos(r)
    for t in _tables(r) if made is None else made:
        title = t.title
        if t.by_photo and few is not None and few < FEW_PHOTOS:
            title += (f" - only {few} test photos: intervals from so few photos are rough "
                      "(they undercover)")
        cols = [i for i, h in enumerate(t.head)
                if "PE" in h and "Δ" not in h and "resolvable" not in h]
        cells = [row[i] for row in t.rows for i in cols
                 if i < len(row) and row[i] not in ("–", "")]
        if cells and not all("[" in c for c in cells):
            title += (" - no interval" if not any("[" in c for c in cells) else
                      " - PEs without [interval] are single points")
        out.append(replace(t, title=title))
    return out


FEW_PHOTOS = 20  # below this a bootstrap over photos is too coarse to trust


def _n(v: dict) -> str:
    iv = v.get("interval")
    return f"{iv['n_photos']} / {iv['n_images']}" if iv else "no interval"


def comparison_caption(r) -> str:
    """What the controls say of the design: can it see a difference, and does it invent one?"""
    rows = [c for c in r.get("comparisons", []) if "diff" in c]
    pos = [c for c in rows if c["role"] == "positive control"]
    null = [c for c in rows if c["role"] == "A/A null"]
    out = []
    if pos and not all(c["resolved"] for c in pos):
        miss = ", ".join(c["warden"] for c in pos if not c["resolved"])
        out.append(f"the positive control is not resolved for {miss}: with these photos and "
                   "seeds the design cannot answer its question there")
    elif pos:
        out.append("the positive control is resolved for every warden")
    if null and any(c["resolved"] for c in null):
        out.append("the A/A null is resolved (an interval excluding 0 where nothing differs): "
                   "the intervals are too narrow")
    elif null:
        out.append("the A/A null's intervals cover 0")
    return "; ".join(out)


WARDENS = {"SRM": "SRM+FLD", "CNN": "the CNN"}


def _few_photos(r):
    """The fewest test photos behind any interval of Table 2, or None without intervals."""
    return min((d["interval"]["n_photos"] for v in (r.get("table2") or {}).values()
                for d in v.values() if isinstance(d, dict) and d.get("interval")), default=None)


def _reading(v: dict) -> tuple[str, str]:
    """(kind, PE text) of a warden's PE on a row, read from its 95% interval: 'seen' (the
    interval lies below 0.5), 'unseen' (it reaches 0.5), 'above' (it lies above 0.5),
    'nothing' (the warden learned nothing), 'point' (no interval) or 'none' (not measured)."""
    if not v:
        return "none", "–"
    text = _pe(v, 3)
    iv = (v.get("interval") or {}).get("PE")
    if "learned nothing" in text:
        return "nothing", text.split(" (")[0]
    if not iv:
        return "point", text
    return ("seen" if iv[2] < 0.5 else "above" if iv[1] > 0.5 else "unseen"), text


def verdict(v: dict, who: str) -> str:
    """What a warden's PE on a row says, in words (see _reading)."""
    kind, pe = _reading(v)
    return {"seen": f"seen by {who} (PE {pe})",
            "unseen": f"not shown to be seen by {who} (PE {pe}: the interval reaches 0.5)",
            "above": f"{who} errs more often than chance (PE {pe}: the interval lies above 0.5)",
            "nothing": f"{who} learned nothing (one answer for every image: PE {pe} says nothing)",
            "point": f"{who}: PE {pe} (no interval)",
            "none": f"{who}: not measured"}[kind]


def _row_sentence(name: str, v: dict) -> str:
    """A row of Table 2 by its two wardens, one clause when both read the same."""
    (ks, ps), (kc, pc) = _reading(v.get("SRM") or {}), _reading(v.get("CNN") or {})
    if ks == kc == "seen":
        return f"{name}: seen by both wardens (SRM+FLD PE {ps}, CNN PE {pc})."
    if ks == kc == "point":
        return f"{name}: SRM+FLD PE {ps}, CNN PE {pc} (no intervals)."
    if ks == kc == "unseen":
        return (f"{name}: not shown to be seen by either warden (SRM+FLD PE {ps}, CNN PE "
                f"{pc}: both intervals reach 0.5).")
    return (f"{name}: {verdict(v.get('SRM') or {}, WARDENS['SRM'])}; "
            f"{verdict(v.get('CNN') or {}, WARDENS['CNN'])}.")


def findings(r) -> list[str]:
    """What the run found, in sentences written from its intervals and paired tests: each
    row of Table 2 by warden, the control, the paired comparisons, the attacks."""
    out = ["A warden sees a hider when the 95% interval of its PE (resampling test photos) "
           "lies below 0.5; a difference between two rows is resolved when its paired "
           "interval excludes 0."]
    few = _few_photos(r)
    if few is None:
        out.append("This run has no intervals: its PEs are single points (one warden seed "
                   "each), and no difference between rows is resolved by it.")
    elif few < FEW_PHOTOS:
        out.append(f"Only {few} test photos: intervals from so few photos are rough (they "
                   "undercover).")
    out += [_row_sentence(m, v) for m, v in (r.get("table2") or {}).items()]
    c = r.get("control")
    if c:
        wrong = [WARDENS[w] for w in ("SRM", "CNN") if (iv := ((c.get(w) or {}).get("interval")
                                                               or {}).get("PE"))
                 and not iv[1] <= 0.5 <= iv[2]]
        out.append(f"Control, covers against covers (0.5 expected): SRM+FLD PE "
                   f"{_pe(c.get('SRM') or {}, 3)}, CNN PE {_pe(c.get('CNN') or {}, 3)}"
                   + (f"; the interval of {' and '.join(wrong)} excludes 0.5: it finds a "
                      "difference where there is none." if wrong else "."))
    for x in r.get("comparisons", []):
        who = WARDENS.get(x["warden"], x["warden"])
        if "diff" not in x:
            out.append(f"{x['b']} against {x['a']} ({x['role']}), {who}: no interval.")
            continue
        out.append(f"{x['b']} against {x['a']} ({x['role']}), {who}: ΔPE {x['diff']:+.3f} "
                   f"[{x['low']:+.3f}, {x['high']:+.3f}], "
                   + ("resolved." if x["resolved"] else "not resolved."))
    cap = comparison_caption(r)
    if cap:
        out.append(cap[0].upper() + cap[1:] + ".")
    for label, v in (r.get("table3") or {}).items():
        text = (f"{r['attacked']} + {label}: the fixed CNN calls {v['missed_after']:.0%} of "
                "the attacked stegos cover")
        if v.get("PE_cnn_retrained"):
            text += f"; retrained on them, {verdict(v['PE_cnn_retrained'], 'a CNN')}"
        out.append(text + ".")
    return out


def comparison_table(r) -> list:
    """Table 2c: paired ΔPE between rows of Table 2 on the same test photos."""
    rows = []
    for c in r.get("comparisons", []):
        if "diff" not in c:
            rows.append([f"{c['b']} − {c['a']}", c["warden"], c["role"], "no interval", "", "",
                         ""])
            continue
        rows.append([f"{c['b']} − {c['a']}", c["warden"], c["role"],
                     f"{c['diff']:+.3f} [{c['low']:+.3f}, {c['high']:+.3f}]", f"{c['p']:.3f}",
                     "resolved" if c["resolved"] else "not resolved",
                     f"{c['min_detectable']:.3f}" if c["se"] > 0 else "– (identical calls)"])
    if not rows:
        return []
    cap = comparison_caption(r)
    return [Table("comparisons", "Table 2c - paired differences of PE (same test photos, same "
                  "photo draws; 95% interval, two-sided p" + (f"; {cap}" if cap else "") + ")",
                  ["b − a", "warden", "role", "ΔPE [95%]", "p", "", "smallest resolvable ΔPE "
                   "(80% power)"], rows, by_photo=True)]


def games_table(r) -> list:
    """Table 6: the STC strategies (plain, ADV-EMB, min-max) against retrained wardens."""
    from ..game.tables import table6

    games = list((r.get("games") or {}).values())
    return [Table("games", *table6(games))] if games else []


def hardening_table(r) -> list:
    """Table 5: the min-max game round by round (game/play.py)."""
    h = r.get("hardening")
    if not h:
        return []
    c = HardenConfig.from_dict(h["config"])
    arch = "/".join(c.wardens)
    rows = []
    for x in map(RoundRow.from_dict, h["rounds"]):
        ft = x.finetune or {}
        best = min(c.wardens, key=lambda a: x.pe_fresh[a])  # = pe_fresh
        rows.append([str(x.round), str(x.wardens_in_loss), _fmt(ft.get("adv")),
                     _fmt(x.stego_psnr, 2), _fmt(x.secret_psnr, 2),
                     round_pe(x, x.pe_fresh[best], f"fresh_{best}"),
                     _fmt(min(x.pe_earlier)) if x.pe_earlier else "–",
                     round_pe(x, x.pe_srm, "srm"), _fmt(x.pe_control), _fmt(x.seconds, 1)])
    ft, model = c.finetune, c.hider.settings["model"]
    return [Table("hardening",
                  f"Table 5 - min-max hardening of {model}: {c.rounds} rounds of {ft.steps} "
                  f"steps against every earlier {arch} (smooth max, tau {ft.tau:g}, weight "
                  f"{ft.l_adv:g}); each round a fresh {arch} ({c.warden_epochs} epochs) and "
                  "SRM+FLD trained from scratch on its stegos (Kerckhoffs)",
                  ["round", "wardens in the loss", "smooth-max CE", "stego PSNR",
                   "secret PSNR", "PE fresh CNN", "PE best earlier CNN",
                   "PE SRM+FLD (not in the loss)", "PE control (covers vs covers)", "seconds"],
                  rows)]


def calibration_table(r) -> list:
    """The wardens on the classical baselines and on covers vs covers (the control)."""
    if "control" not in r:
        return []
    rows = [("control: covers vs covers", r["control"])]
    rows += [(f"{m} {b['payload']:g} bpp", r["table2"][m]) for m, b in r["baselines"].items()
             if m in r["table2"]]

    out = []
    for label, v in rows:
        cnn = v["CNN"]
        sel = cnn.get("selected")
        srm = v["SRM"]
        out.append([label, _pe(srm), _fmt(srm["P_FA"], 3), _fmt(srm["P_MD"], 3),
                    _pe(cnn), _fmt(cnn["P_FA"], 3), _fmt(cnn["P_MD"], 3),
                    f"{sel['epoch']} ({sel['val_pe']:.3f})" if sel else "–"])
    return [Table("calibration", "Table 0 - warden calibration: PE on held-out photos "
                  "(control: 0.5 expected)",
                  ["stegos", "SRM+FLD PE", "P_FA", "P_MD", "CNN PE", "P_FA", "P_MD",
                   "CNN epoch chosen (val PE)"], out)]


def stage_table(r) -> list:
    """Each stage's time in the invocation that made it, on how many ranks; the wall time of
    this invocation and of the whole run (every invocation of the folder)."""
    st = r.get("stages")
    if not st:
        return []
    if "invocations" not in r:  # a results.json from before invocations were recorded
        rows = [[n, _fmt(v["seconds"], 1), _fmt(v["images"]), _fmt(v["seconds_per_image"], 3)]
                for n, v in st.items()]
        rows.append(["whole run (this invocation)", _fmt(r.get("wall_seconds"), 1), "", ""])
        return [Table("stages", f"Stage times on {r.get('ranks', 1)} rank(s) (wall seconds; a "
                      "reused stage shows the time it took when it ran)",
                      ["stage", "seconds", "images", "seconds per image (wall / images)"],
                      rows)]
    rows = [[n, _fmt(v["seconds"], 1), _fmt(v["images"]), _fmt(v["seconds_per_image"], 3),
             _fmt(v["ranks"]), "reused" if v["reused"] else f"ran (rank {v['rank']})",
             _fmt(v["invocation"])] for n, v in st.items()]
    runs = r["invocations"]
    rows.append([f"this invocation ({r['ranks']} rank(s); busy seconds per rank: "
                 f"{', '.join(_fmt(b, 1) for b in r.get('busy_seconds', []))})",
                 _fmt(r["wall_seconds"], 1), "", "", "", "", _fmt(runs[-1]["invocation"])])
    cut = sum(1 for x in runs if x.get("interrupted"))
    rows.append([f"whole run: {len(runs)} invocation(s)" + (
        f", {cut} interrupted (counted up to its last finished stage)" if cut else ""),
        _fmt(r["wall_seconds_total"], 1), "", "", "", "", ""])
    return [Table("stages", "Stage times (wall seconds in the invocation that made each stage)",
                  ["stage", "seconds", "images", "seconds per image", "ranks",
                   "this invocation", "made in invocation"], rows)]


def frontier_points(r):
    """(system, secret PSNR, stego PSNR, PE SRM+FLD, PE CNN) of every hider with a Table 1
    row, each simulated embedding placed at the secret PSNR of the STC row with its cost and
    payload, and each hardening round (its own fresh wardens)."""
    pts = [(m, v["secret_psnr"], v["stego_psnr"], r["table2"][m]["SRM"]["PE"],
            r["table2"][m]["CNN"]["PE"]) for m, v in r["table1"].items() if m in r["table2"]]
    for name, row in r["simulated"].items():
        if name in r["table2"] and row in r["table1"]:
            payload = r["baselines"][name]["payload"]
            pts.append((f"{name} {payload:g} bpp (simulated)", r["table1"][row]["secret_psnr"],
                        None, r["table2"][name]["SRM"]["PE"], r["table2"][name]["CNN"]["PE"]))
    from ..game.tables import frontier_points as game_points

    return pts + hardening_points(r) + game_points(list((r.get("games") or {}).values()))


def hardening_points(r):
    """Frontier points of the hardening rounds, each measured by its own fresh wardens."""
    h = r.get("hardening")
    if not h:
        return []
    c = HardenConfig.from_dict(h["config"])
    return [(f"hardened {c.hider.settings['model']}, round {x.round}", x.secret_psnr,
             x.stego_psnr, x.pe_srm, pe_fresh(x, c.wardens))
            for x in map(RoundRow.from_dict, h["rounds"])]


PSNR_CAP = 60.0  # Figure 4's axis ends here: a secret PSNR above it (inf: exact) is drawn at it


def frontier_caption(r) -> str:
    """Figure 4's caption, saying which points are drawn at the axis's end (PSNR_CAP) and
    not where they are."""
    pts = frontier_points(r)
    exact = [n for n, x, *_ in pts if math.isinf(x)]
    high = [f"{n} ({x:.1f} dB)" for n, x, *_ in pts if not math.isinf(x) and x > PSNR_CAP]
    cap = "Figure 4 - security-capacity frontier (Table 4)"
    notes = []
    if exact:
        notes.append(f"the secret PSNR of {', '.join(exact)} is infinite (the secret comes back "
                     f"bit for bit): drawn at {PSNR_CAP:g} dB, not a measured {PSNR_CAP:g} dB")
    if high:
        notes.append(f"drawn at {PSNR_CAP:g} dB, the axis's end: {', '.join(high)}")
    return cap + (" - " + "; ".join(notes) if notes else "")


def figure_frontier(r, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = frontier_points(r)
    cap = PSNR_CAP
    fig, ax = plt.subplots(figsize=(8, 4.6))
    colors = plt.get_cmap("tab20").colors
    for i, (name, x, _, pe_s, pe_c) in enumerate(pts):
        color = colors[i % len(colors)]
        label = name + (" (exact secret, drawn at 60 dB)" if math.isinf(x) else
                        " (drawn at 60 dB)" if x > cap else "")
        x = min(x, cap)
        ax.scatter([x], [pe_s], marker="o", color=color, label=label)
        ax.scatter([x], [pe_c], marker="^", color=color)
    rounds = [(min(x, cap), pe_c) for _, x, _, _, pe_c in hardening_points(r)]
    if len(rounds) > 1:
        ax.plot(*zip(*rounds), color="0.5", lw=0.8, ls="--", zorder=0)
    ax.axhline(0.5, color="k", lw=0.6, ls=":")
    ax.set_xlabel("revealed-secret PSNR after PNG save (dB)")
    ax.set_ylabel("PE (o SRM+FLD, ^ CNN); 0.5 = undetectable")
    ax.set_ylim(-0.02, 0.55)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def tables_text(r) -> str:
    """All tables as plain text, for the terminal."""
    blind = learned_nothing(r)
    out = [f"note: a warden learned nothing on {', '.join(blind)} (one answer for every image): "
           "its PE there says nothing about security"] if blind else []
    for t in tables(r):
        out += ["", t.title, "  ".join(t.head)] + ["  ".join(row) for row in t.rows]
    return "\n".join(out)


def figure_confidence(r, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    items = list(r["table3"].items())
    cols = min(4, len(items))
    rows = -(-len(items) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    bins = np.linspace(0, 1, 21)
    for ax in axes.flat[len(items):]:
        ax.axis("off")
    for ax, (label, v) in zip(axes.flat, items):
        ax.hist(v["prob_before"], bins, alpha=0.6, label="stego")
        ax.hist(v["prob_after"], bins, alpha=0.6, label="attacked")
        ax.axvline(0.5, color="k", lw=0.8)
        ax.set_title(label, fontsize=8)
        ax.set_xlabel("CNN P(stego)", fontsize=8)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def figure_grid(corpus, label, stego_dir, hider, attack_dirs, r, path, n=3):
    """Cover, stego, residual, secret, revealed, residual: the attacked row's stegos and
    those of the attack that flipped most of the attacked CNN's decisions."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    test = corpus.files("test")
    files = test[:: max(1, len(test) // n)][:n]  # spread over the test photos
    flips = {k: v["flip_rate"] or 0 for k, v in r["table3"].items()}
    best = max(flips, key=flips.get, default=None)
    rows = [(label, stego_dir)] + ([(best, attack_dirs[best])] if best else [])
    cols = ["cover", "stego", "|stego-cover| x10", "secret", "revealed", "|revealed-secret| x10"]
    fig, axes = plt.subplots(len(files) * len(rows), 6, figsize=(11, 1.9 * len(files) * len(rows)),
                             squeeze=False)
    i = 0
    for tag, folder in rows:
        for f in files:
            if not (Path(folder) / f).exists():
                continue
            cover = corpus.read(f).astype(int)
            secret = corpus.read(corpus.partner[f]).astype(int)
            stego = read_image(Path(folder) / f, corpus.mode).astype(int)
            rev = hider.reveal(stego.astype(np.uint8)).astype(int)
            ims = [cover, stego, np.clip(np.abs(stego - cover) * 10, 0, 255), secret, rev,
                   np.clip(np.abs(rev - secret) * 10, 0, 255)]
            for j, im in enumerate(ims):
                ax = axes[i][j]
                ax.imshow(np.clip(im, 0, 255).astype(np.uint8), cmap="gray", vmin=0, vmax=255)
                ax.set_xticks([]), ax.set_yticks([])
                if i == 0:
                    ax.set_title(cols[j], fontsize=8)
            axes[i][0].set_ylabel(tag, fontsize=7)
            i += 1
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _md_table(t: Table) -> str:
    return f"### {t.title}\n\n" + _md_table_body(t.head, t.rows)


def _wardens_text(cfg: dict) -> str:
    def one(row):
        settings = ", ".join(f"{k} {v}" for k, v in row.items() if k != "detector")
        return row["detector"] + (f" ({settings})" if settings else "")
    w = cfg["wardens"]
    return f"{one(w['SRM'])} (the SRM+FLD columns) and {one(w['CNN'])} (the CNN columns)"


def run_table(r) -> tuple[list[str], list[str]]:
    """The report's header: when the run started, on what machine, its wall time."""
    runs = r.get("invocations") or []
    date = runs[0]["started"].replace("T", " ")[:16] if runs else "not recorded"
    if len(runs) > 1:
        date += f" (last of {len(runs)} invocations: {runs[-1]['started'].replace('T', ' ')[:16]})"
    m = r.get("machine")
    machine = (f"{m['platform']}, {m['cpus']} CPUs" if m else
               "not recorded (a run from before machines were recorded)")
    wall = r.get("wall_seconds_total", r.get("wall_seconds"))
    wall_text = "not recorded" if wall is None else (
        f"{wall:,.1f} s ({wall / 60:.1f} min) on {r.get('ranks', 1)} rank(s)"
        + (f", {len(runs)} invocations" if len(runs) > 1 else ""))
    return (["experiment", "started", "machine", "wall time of the run"],
            [f"{r['config'].get('preset', 'custom')}", date, machine, wall_text])


def versions_rows(r) -> list[list[str]]:
    """The versions the run recorded, a row a package (advstego with its commit, if any)."""
    v = dict(r.get("versions") or {})
    commit = v.pop("advstego_commit", None)
    rows = []
    for k, x in v.items():
        rows.append([k, f"{x} (commit {commit})" if k == "advstego" and commit else str(x)])
    return rows


def figures_of(out: Path, r) -> list[tuple[str, str]]:
    """(caption, file) of the figures the run folder holds."""
    figs = [("Figure 2 - CNN confidence before and after each attack", "figure2_confidence.png"),
            ("Figure 3 - cover, stego, residual, secret, revealed, residual", "figure3_grid.png"),
            (frontier_caption(r), "figure4_frontier.png"),
            ("Figure 5 - PE per round of the STC games (Table 6): fresh wardens against frozen "
             "earlier ones", "figure5_rounds.png")]
    return [(c, f) for c, f in figs if (out / f).exists()]


def write_report(out: Path, r: dict, corpus, stego_dir, hider, attack_dirs):
    """results.json first, then the figures and the report: a finished run is never lost to
    a failing report (its stages stay cached; rerun to retry the report)."""
    r = {**r, "versions": _versions(), "machine": _machine()}
    write_text_atomic(out / "results.json", json.dumps(r, indent=1, default=str))
    try:
        _write_report(out, r, corpus, stego_dir, hider, attack_dirs)
    except Exception as exc:  # noqa: BLE001 - any failure here: the results are safe
        raise InputError(f"{out}/results.json is written, but the report failed "
                         f"({type(exc).__name__}: {str(exc)[:100]})") from None


def _write_report(out: Path, r: dict, corpus, stego_dir, hider, attack_dirs):
    figure_confidence(r, out / "figure2_confidence.png")
    figure_grid(corpus, r["attacked"], stego_dir, hider, attack_dirs, r,
                out / "figure3_grid.png")
    figure_frontier(r, out / "figure4_frontier.png")
    if r.get("games"):
        from ..game.tables import figure_rounds

        figure_rounds(list(r["games"].values()), out / "figure5_rounds.png")
    write_documents(out, r)


def _intro(r) -> str:
    cfg = r["config"]
    intro = (f"advstego experiment `{cfg.get('preset', 'custom')}`: corpus "
             f"{cfg['data']['source']} {cfg['data']['size']}x{cfg['data']['size']} "
             f"{cfg['data'].get('mode', 'gray')}, {r['corpus']['images']} images "
             f"(split by photo: {r['corpus']['by_split']}). Every number below is measured "
             f"on 8-bit PNG files. Wardens, trained from scratch for every method: "
             f"{_wardens_text(cfg)}. Attacks on the {r['attacked']} row's stegos. Rows "
             "labelled 'paper' are the paper's published figures, not ours.")
    blind = learned_nothing(r)
    if blind:
        intro += (f" **A warden learned nothing on {len(blind)} row(s)** ({', '.join(blind)}): "
                  "it gave one answer for every image, so its PE of about 0.5 there says "
                  "nothing about security (too few images or epochs; see Table 0).")
    return intro


def write_documents(out: Path, r: dict, html_too: bool = True, made=None):
    """report.md (and report.html) of a run's results, with the figures its folder holds:
    what the run found first, then when and where it ran, the tables, the figures and the
    versions it recorded. made: (tables, findings, intro) of another kind of run, which has
    no figures (experiments/jpeg_report.py)."""
    tbls, found, intro = made or (tables(r), findings(r), _intro(r))
    tbls = tbls + stage_table(r)
    figures = figures_of(out, r) if made is None else []
    head, cells = run_table(r)
    md = ["# advstego report\n", _md_table_body(head, [cells]), "## What this run found\n",
          found[0] + "\n", "\n".join(f"- {x}" for x in found[1:]) + "\n",
          "## The run\n", f"{intro}\n"]
    md += [_md_table(t) for t in tbls]
    for title, file in figures:
        md += [f"### {title}\n", f"![{file}]({file})\n"]
    md += ["## Versions\n", _md_table_body(["package", "version"], versions_rows(r))]
    write_text_atomic(out / "report.md", "\n".join(md))
    if html_too:
        write_text_atomic(out / "report.html", _html(out, r, tbls, figures, found, intro))


def _md_table_body(head, rows):
    return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                     + ["| " + " | ".join(x) + " |" for x in rows]) + "\n"


INTERVAL = re.compile(r"\[[-+]?\d")  # a cell holding an interval: '0.214 [0.180, 0.250]'


def _html(out: Path, r, tbls, figures, found, intro) -> str:
    def img(p):
        return base64.b64encode((out / p).read_bytes()).decode()

    def table(head, rows):
        t = ["<table><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in head) + "</tr>"]
        t += ["<tr>" + "".join(("<td class='iv'>" if INTERVAL.search(c) else "<td>")
                               + f"{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows]
        return "".join(t) + "</table>"

    head, cells = run_table(r)
    h = ["<!doctype html><meta charset='utf-8'><title>advstego report</title>",
         "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
         "table{border-collapse:collapse;margin-bottom:1.5em;font-size:13px}"
         "td,th{border:1px solid #bbb;padding:3px 8px;text-align:right}"
         "td:first-child,th:first-child{text-align:left}"
         "td.iv{white-space:nowrap}</style>",
         "<h1>advstego report</h1>", table(head, [cells]),
         f"<h2>What this run found</h2><p>{html.escape(found[0])}</p><ul>"
         + "".join(f"<li>{html.escape(x)}</li>" for x in found[1:]) + "</ul>",
         f"<h2>The run</h2><p>{html.escape(intro)}</p>"]
    for t in tbls:
        h.append(f"<h3>{html.escape(t.title)}</h3>" + table(t.head, t.rows))
    for title, file in figures:
        h.append(f"<h3>{html.escape(title)}</h3>"
                 f"<img style='max-width:100%' src='data:image/png;base64,{img(file)}'>")
    h.append("<h2>Versions</h2>" + table(["package", "version"], versions_rows(r)))
    return "\n".join(h)


def main(argv=None):
    """Write a run folder's report.md again from its results.json and figures (report.html
    too where the folder has one): `python -m advstego.experiments.report FOLDER...`."""
    import sys

    for folder in map(Path, argv if argv is not None else sys.argv[1:]):
        r = json.loads((folder / "results.json").read_text())
        write_documents(folder, r, html_too=(folder / "report.html").exists())
        print(f"{folder}/report.md written")


if __name__ == "__main__":
    main()
