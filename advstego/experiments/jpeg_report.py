"""The JPEG experiment's tables and findings (experiments/jpeg.py): Table 2 (JPEG), the
literature's ordering of the JPEG simulators tested by paired ΔPE, the JPEG hiders against
the simulator of their costs, the cover-vs-cover control.

The literature (DCTR, GFR and CNN wardens alike; e.g. Guo et al. 2015 for UERD, Holub and
Fridrich 2015 for DCTR) finds nsF5 far easier to detect than UERD, and UERD a little easier
than J-UNIWARD: PE(nsF5) < PE(UERD) < PE(J-UNIWARD) at each payload. Each step of that chain
(UERD − nsF5, J-UNIWARD − UERD) is a paired ΔPE on the same test photos (stats.paired,
resampling photos), its p adjusted by Holm over every step of the run; a hider row is paired
with the simulator of its costs at its payload (the JPEG hider's security target: within 0.03).
"""

from __future__ import annotations

from ..stats import holm, paired
from .report import Table, _fmt, _n, _pe, _reading, tables
from .report import write_documents as report_documents

LITERATURE = ("nsf5", "uerd", "juniward")  # PE ascending in the literature
NAMES = {"nsf5": "nsF5", "uerd": "UERD", "juniward": "J-UNIWARD"}
CLOSE = 0.03  # a hider within this PE of its simulator (paired interval): the target


def _paired(table2: dict, a: str, b: str, w: str) -> dict:
    """b's PE minus a's for warden w (same test photos); {"blind": rows} where the warden
    learned nothing on a row (one answer for every image: it tests nothing), {} without
    calls."""
    from ..steganalysis.detector import arm

    blind = [x for x in (a, b) if _reading((table2.get(x) or {}).get(w) or {})[0] == "nothing"]
    if blind:
        return {"blind": blind}
    ca, cb = ((table2.get(x) or {}).get(w, {}).get("calls") for x in (a, b))
    if not (ca and cb):
        return {}
    arms = [arm(ca), arm(cb)]
    return paired(*arms) if len(arms[0].photos) > 1 else {}


def _adjust(steps: list[dict]):
    """Holm over the steps with a paired test (p_holm, resolved_holm)."""
    tested = [s for s in steps if "p" in s]
    for s, ph in zip(tested, holm([s["p"] for s in tested]) if tested else []):
        s["p_holm"], s["resolved_holm"] = float(ph), bool(ph < 0.05)


def ordering(table2: dict, rows: dict, wardens: list) -> dict:
    """The literature's ordering at each payload where every simulator of it has a row:
    cells (payload, warden) with the three PEs and whether they are in its order, the
    steps' paired ΔPE (Holm over all steps), and each hider row against its simulator
    (Holm over those)."""
    sims = {(m["method"], m["bpnzac"]): k for k, m in rows.items() if m["kind"] == "simulator"}
    payloads = sorted({p for _, p in sims if all((x, p) in sims for x in LITERATURE)})
    cells, steps = [], []
    for p in payloads:
        labels = [sims[(x, p)] for x in LITERATURE]
        for w in wardens:
            pe = [table2[k][w]["PE"] for k in labels]
            cell = {"bpnzac": p, "warden": w, "rows": labels, "PE": pe,
                    "holds": all(x < y for x, y in zip(pe, pe[1:])),
                    "learned_nothing": [k for k in labels
                                        if _reading(table2[k][w])[0] == "nothing"]}
            cell["steps"] = []
            for a, b in zip(labels, labels[1:]):
                d = _paired(table2, a, b, w)
                step = {"a": a, "b": b, "warden": w, "bpnzac": p, **d}
                steps.append(step)
                cell["steps"].append(step)
            cells.append(cell)
    _adjust(steps)
    hiders = []
    for k, m in rows.items():
        sim = sims.get((m["method"], m["bpnzac"])) if m["kind"] == "hider" else None
        for w in (wardens if sim else []):
            d = _paired(table2, sim, k, w)
            h = {"a": sim, "b": k, "warden": w, "bpnzac": m["bpnzac"], **d}
            if "diff" in d:
                h["within"] = bool(-CLOSE <= d["low"] and d["high"] <= CLOSE)
            hiders.append(h)
    _adjust(hiders)
    return {"literature": list(LITERATURE), "cells": cells, "hiders": hiders}


def pairs(table2: dict, compare: list, wardens: list) -> list[dict]:
    """The config's `compare` pairs as paired ΔPE (b minus a) for each warden."""
    out = []
    for a, b in compare:
        for w in wardens:
            out.append({"a": a, "b": b, "warden": w, "role": "compare",
                        **_paired(table2, a, b, w)})
    return out


# ---- tables --------------------------------------------------------------------------------

def _delta(s: dict) -> list[str]:
    if "blind" in s:
        return ["not tested: the warden learned nothing on " + ", ".join(s["blind"]), "", "", ""]
    if "diff" not in s:
        return ["no interval", "", "", ""]
    return [f"{s['diff']:+.3f} [{s['low']:+.3f}, {s['high']:+.3f}]", f"{s['p']:.3f}",
            f"{s['p_holm']:.3f}", "resolved" if s["resolved_holm"] else "not resolved"]


def _method(m: dict) -> str:
    name = NAMES.get(m["method"], m["method"])
    return f"{name} simulator (conseal)" if m["kind"] == "simulator" else f"hider, {name} costs"


def jpeg_tables(r) -> list[Table]:
    """Table 0 (the control), Table 2 (JPEG), Table 2c (JPEG): its ordering and the hiders
    against their simulators, and the config's compare pairs."""
    j = r["jpeg_experiment"]
    wardens, rows = j["wardens"], j["rows"]
    q = j["quality"]
    control = [["control: covers vs covers", *[_pe(r["control"].get(w) or {}, 3)
                                               for w in wardens]]]
    head = ["stegos", "embedding", "bpnzac (measured)", *[f"{w} PE" for w in wardens],
            "test photos / images"]
    body = []
    for k, v in r["table2"].items():
        m = rows[k]
        first = next((v[w] for w in wardens if v.get(w)), {})
        body.append([k, _method(m), f"{m['bpnzac']:g} ({m['bpnzac_measured']:.3f})",
                     *[_pe(v.get(w) or {}, 3) for w in wardens], _n(first)])
    order = j.get("ordering") or {}
    steps = [[f"{s['b']} − {s['a']}", s["warden"], "literature's order: > 0", *_delta(s)]
             for c in order.get("cells", []) for s in c["steps"]]
    steps += [[f"{s['b']} − {s['a']}", s["warden"], f"hider vs its simulator: within "
               f"±{CLOSE:g}" + (f" ({'yes' if s['within'] else 'no'})" if "within" in s else ""),
               *_delta(s)] for s in order.get("hiders", [])]
    steps += [[f"{c['b']} − {c['a']}", c["warden"], "compare",
               *(_delta({**c, "p_holm": c["p"], "resolved_holm": c["resolved"]})
                 if "diff" in c else _delta(c))] for c in r.get("comparisons", [])]
    out = [Table("calibration_jpeg", "Table 0 (JPEG) - the wardens on covers against covers "
                 "(0.5 expected)", ["stegos", *[f"{w} PE" for w in wardens]], control),
           Table("detection_jpeg", f"Table 2 (JPEG) - detection error PE on held-out JPEG "
                 f"covers (QF {q}) + their stegos (0.5 = undetectable; [95% interval "
                 "resampling photos])", head, body, by_photo=True)]
    if steps:
        out.append(Table("ordering_jpeg", "Table 2c (JPEG) - paired ΔPE on the same test photos "
                         "(95% interval; p two-sided; Holm over the literature's steps, and "
                         "over the hiders' rows, each family on its own; a warden that "
                         "learned nothing on a row tests nothing there)",
                         ["b − a", "warden", "question", "ΔPE [95%]", "p", "p Holm", ""],
                         steps, by_photo=True))
    return out


# ---- findings -------------------------------------------------------------------------------

def _cell_sentence(c: dict) -> str:
    names = [NAMES[x] for x in LITERATURE]
    pes = " < ".join(f"{n} {pe:.3f}" for n, pe in zip(names, c["PE"])) if c["holds"] else \
        ", ".join(f"{n} {pe:.3f}" for n, pe in zip(names, c["PE"]))
    parts = []
    for s, (lo, hi) in zip(c["steps"], zip(names, names[1:])):
        if "blind" in s:
            parts.append(f"{hi} − {lo}: not tested")
            continue
        if "diff" not in s:
            parts.append(f"{hi} − {lo}: no interval")
            continue
        parts.append(f"{hi} − {lo} ΔPE {s['diff']:+.3f} [{s['low']:+.3f}, {s['high']:+.3f}], "
                     + (f"resolved (Holm p {s['p_holm']:.3f})" if s["resolved_holm"] else
                        f"not resolved (Holm p {s['p_holm']:.3f})"))
    where = (f"{c['warden']} learned nothing on {', '.join(c['learned_nothing'])}: it says "
             "nothing of the order" if c["learned_nothing"] else
             f"{'in' if c['holds'] else 'not in'} the literature's order")
    return f"{c['bpnzac']:g} bpnzac, {c['warden']}: {pes} ({where}); " + "; ".join(parts) + "."


def ordering_statement(order: dict) -> list[str]:
    """The measured ordering against the literature's, in sentences from the numbers."""
    cells = order.get("cells") or []
    if not cells:
        return ["The literature's ordering (PE(nsF5) < PE(UERD) < PE(J-UNIWARD)) is not "
                "tested by this run: no payload has a row of each of the three simulators."]
    judged = [c for c in cells if not c["learned_nothing"]]
    holds = [c for c in judged if c["holds"]]
    steps = [s for c in cells for s in c["steps"]]
    tested = [s for s in steps if "diff" in s]
    right = [s for s in tested if s["resolved_holm"] and s["diff"] > 0]
    wrong = [s for s in tested if s["resolved_holm"] and s["diff"] < 0]
    far = [c for c in judged if c["PE"][1] - c["PE"][0] > c["PE"][2] - c["PE"][1]]
    verdict = ("cannot be read: a warden learned nothing in every cell" if not judged else
               "holds in every cell" if len(holds) == len(judged) else
               "holds in no cell" if not holds else
               f"holds in {len(holds)} of {len(judged)} cells")
    if judged and len(judged) < len(cells):
        verdict += (f" where the warden learned something ({len(cells) - len(judged)} of "
                    f"{len(cells)} left out)")
    out = [f"The literature orders the JPEG simulators PE(nsF5) < PE(UERD) < PE(J-UNIWARD), "
           f"nsF5 far below UERD. Measured by point estimates (payload × warden), the ordering "
           f"{verdict}; the step nsF5 → UERD is the larger of the two in {len(far)} of "
           f"{len(judged)}. Of its {len(steps)} steps, {len(tested)} are tested (paired ΔPE "
           f"by photo; not where a warden learned nothing), and {len(right)} of them "
           f"{'is' if len(right) == 1 else 'are'} resolved in its direction after Holm's "
           "adjustment, " + (f"{len(wrong)} against it" if wrong else "none against it")
           + ("; the others cannot be told apart with these photos and seeds."
              if len(right) + len(wrong) < len(tested) else ".")]
    out += [_cell_sentence(c) for c in cells]
    for h in order.get("hiders") or []:
        if "blind" in h:
            out.append(f"{h['b']} against {h['a']}, {h['warden']}: not tested (it learned "
                       f"nothing on {', '.join(h['blind'])}).")
            continue
        if "diff" not in h:
            out.append(f"{h['b']} against {h['a']}, {h['warden']}: no interval.")
            continue
        out.append(f"{h['b']} against {h['a']}, {h['warden']}: ΔPE {h['diff']:+.3f} "
                   f"[{h['low']:+.3f}, {h['high']:+.3f}] (Holm p {h['p_holm']:.3f}); "
                   + (f"within ±{CLOSE:g} of the simulator (target met)" if h["within"] else
                      f"not shown to be within ±{CLOSE:g} of the simulator") + ".")
    return out


def jpeg_findings(r) -> list[str]:
    """What a JPEG run found: the covers kept, the ordering, the hiders, the control."""
    j = r["jpeg_experiment"]
    cov = j["covers"]
    kept = sum(len(v) for v in cov["files"].values())
    left = sum(cov["left_out"].values())
    out = ["A warden sees a hider when the 95% interval of its PE (resampling test photos) "
           "lies below 0.5; a difference between two rows is resolved when its paired "
           "interval excludes 0 (here: its Holm-adjusted p below 0.05)."]
    out.append(f"Covers: {kept} JPEG covers at QF {j['quality']}"
               + (f"; {left} left out of every row, too small for a hider row's message "
                  "header" if left else "") + f"; {cov['files']['test'].__len__()} test covers "
               f"from {cov['photos']['test']} photos.")
    out += ordering_statement(j.get("ordering") or {})
    blind = [f"{k} ({w})" for k, v in r["table2"].items() for w in j["wardens"]
             if _reading(v.get(w) or {})[0] == "nothing"]
    if blind:
        out.append(f"A warden learned nothing (one answer for every image) on {len(blind)} "
                   f"row(s): {', '.join(blind)}; its PE there says nothing about security.")
    c = r.get("control") or {}
    wrong = [w for w in j["wardens"] if (iv := ((c.get(w) or {}).get("interval") or {})
                                          .get("PE")) and not iv[1] <= 0.5 <= iv[2]]
    out.append("Control, covers against covers (0.5 expected): "
               + ", ".join(f"{w} PE {_pe(c.get(w) or {}, 3)}" for w in j["wardens"])
               + (f"; the interval of {' and '.join(wrong)} excludes 0.5: it finds a "
                  "difference where there is none." if wrong else "."))
    return out


def jpeg_intro(r) -> str:
    cfg, j = r["config"], r["jpeg_experiment"]
    d = cfg["data"]
    wardens = "; ".join(f"{k}: {v['detector']}" + "".join(
        f", {a} {b}" for a, b in v.items() if a != "detector") for k, v in cfg["wardens"].items())
    return (f"advstego experiment `{cfg.get('preset', 'custom')}` (JPEG): corpus {d['source']} "
            f"{d['size']}x{d['size']} {d.get('mode', 'gray')}, each tile compressed once at "
            f"QF {j['quality']} ({r['corpus']['images']} images, split by photo). Stegos are "
            "JPEG files with their cover's tables: the simulators' rows by conseal, the "
            "hiders' rows carrying random bytes that fill their payload (a sealed message's "
            "length). Wardens, trained from scratch for every row with "
            f"{_fmt(cfg.get('seeds', 1))} seed(s): {wardens}. Not in a JPEG run: the "
            "fidelity of a secret image (Table 1), the attacks (Tables 2b, 3), the frontier, "
            "GAN training and the games.")


# ---- documents -------------------------------------------------------------------------------

def made(r) -> tuple:
    """(tables, findings, intro) of a JPEG run, for report.write_documents."""
    return tables(r, jpeg_tables(r)), jpeg_findings(r), jpeg_intro(r)


def write_documents(out, r: dict, html_too: bool = True):
    """report.md and report.html of a JPEG run's results."""
    report_documents(out, r, html_too, made(r))


def tables_text(r) -> str:
    """A JPEG run's tables as plain text, for the terminal."""
    out = []
    for t in tables(r, jpeg_tables(r)):
        out += ["", t.title, "  ".join(t.head)] + ["  ".join(row) for row in t.rows]
    return "\n".join(out)


def main(argv=None):
    """Write a JPEG run folder's report.md (and report.html) again from its results.json:
    `python -m advstego.experiments.jpeg_report FOLDER...`."""
    import json
    import sys
    from pathlib import Path

    for folder in map(Path, argv if argv is not None else sys.argv[1:]):
        r = json.loads((folder / "results.json").read_text())
        write_documents(folder, r, html_too=(folder / "report.html").exists())
        print(f"{folder}/report.md written")


if __name__ == "__main__":
    main()
