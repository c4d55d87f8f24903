"""The JPEG experiment: a config whose covers are JPEGs (data.jpeg: `data prepare --jpeg QF`,
each tile compressed once from a trace-free one).

corpus -> covers (those every hider row can carry) -> stegos of every row, JPEG files with
their cover's tables (hiders rows: the hiders of JPEG files, carrying random bytes that fill
their payload, what a sealed message looks like; baselines rows: the JPEG simulators of
embedding/jpeg.py, payload in bpnzac) -> every warden row (each reads JPEG files: features of
the coefficients + FLD, a CNN on the decompressed pixels) trained from scratch with the run's
seeds, PE with a 95% interval by photo -> the cover-vs-cover control -> Table 2 (JPEG) and
its ordering against the literature's (jpeg_report.py).

What the pixel experiment does and this one does not (config.PIXEL_ONLY refuses them): Table 1
(the fidelity of a secret image), the attacks on the stegos and their transfer wardens
(Tables 2b, 3), the frontier (Table 4), GAN training, hardening and the games (the game in
JPEG is `harden --method jpeg`).

Covers: a hider row needs room for its sealed message's header (43 bytes, so 3,520 non-zero
AC coefficients at 0.1 bpnzac); a cover where some hider row has none is left out of every
row, so that every row is judged on the same covers (paired), and the report says how many.
"""

from __future__ import annotations

import json
import time
import zlib
from pathlib import Path

import numpy as np

from ..data import jpeg_io
from ..data.jpeg import JpegImage
from ..data.prepare import jpeg_quality
from ..embedding.jpeg import embed_jpeg
from ..files import write_text_atomic
from ..progress import progress
from ..hiding.registry import load_hider
from ..steganalysis.detector import control_halves, fit_and_measure
from .cache import Stages
from .pipeline import (SPLITS, Done, Experiment, _finished, _row, accounting, judge,
                       make_corpus, slug, warden)
from .provenance import busy_seconds, past_invocations


def rows_of(ex: Experiment, channels: int = 1) -> dict:
    """label -> {"settings" (its stegos' key), "hider" (a Hider) or "baseline" (a simulator's
    row), "meta" (kind, method, bpnzac: what the report compares)}."""
    out = {}
    for label, row in ex.cfg.get("hiders", {}).items():
        name, settings = _row(row, "hider")
        hider = load_hider(name, channels, **settings)
        d = hider.describe()
        out[label] = {"settings": {"hider": name, **settings}, "hider": hider,
                      "meta": {"kind": "hider", "method": d.get("cost"),
                               "bpnzac": d.get("bpnzac")}}
    for label, row in ex.cfg.get("baselines", {}).items():
        out[label] = {"settings": dict(row), "baseline": row,
                      "meta": {"kind": "simulator", "method": row["method"],
                               "bpnzac": row["payload"]}}
    return out


def carriers(ex: Experiment, corpus, corpus_done: Done, rows: dict) -> Done:
    """The covers of each split that every hider row can carry a message in (and every
    simulator: any cover), by split; how many were left out."""
    hiders = {k: r["hider"] for k, r in rows.items() if "hider" in r}

    def build(tmp):
        keep, left = {}, {}
        for s in SPLITS:
            files = corpus.files(s)
            ok = [f for f in files if _room(corpus.folder / f, hiders.values())]
            keep[s], left[s] = ok, len(files) - len(ok)
        return {"files": keep, "left_out": left,
                "photos": {s: len({corpus.photo[f] for f in keep[s]}) for s in SPLITS}}
    return ex.stage("covers", "carriers", {k: rows[k]["settings"] for k in hiders},
                    [corpus_done], build)


def _room(path, hiders) -> bool:
    """Whether every hider can carry at least a byte in the JPEG at path."""
    cover = jpeg_io.read(path)
    return all(h.capacity(cover)["bytes"] >= 1 for h in hiders)


def _seed(ex: Experiment, f: str, key: int = 0) -> int:
    return ex.seed + zlib.crc32(f.encode()) + 7919 * key


def make_stegos(ex: Experiment, corpus, covers: Done, rows: dict) -> dict:
    """Each row's stego of every cover, a JPEG file of the cover's name; label -> Done."""
    files = [f for s in SPLITS for f in covers.result["files"][s]]
    out = {}
    for label, row in rows.items():
        def build(tmp, row=row, label=label):
            payloads = []
            for f in progress(ex.ranks.mine(files), desc=f"stegos {label}", unit="img",
                              disable=True if ex.ranks.rank else None):
                (tmp / f).parent.mkdir(parents=True, exist_ok=True)
                if "hider" in row:  # random bytes filling the payload (as a sealed message)
                    h, cover = row["hider"], jpeg_io.read(corpus.folder / f)
                    room = h.capacity(cover)["bytes"]
                    data = np.random.default_rng(_seed(ex, f)).bytes(room)
                    stego, info = h.hide_file(cover, data, "")
                    jpeg_io.write(stego, tmp / f)
                    payloads.append(info["bpnzac"])
                else:
                    b = row["baseline"]
                    embed_jpeg(corpus.folder / f, tmp / f, b["method"], b["payload"],
                               seed=_seed(ex, f, b.get("key", 0)))
            every = [p for part in ex.ranks.gather(payloads) for p in part]
            return {"stegos": len(files),
                    "bpnzac": float(np.mean(every)) if every else row["meta"]["bpnzac"]}
        out[label] = ex.stage(f"stegos-{slug(label)}", "jpeg-stegos", row["settings"],
                              [covers], build, mode="all")
    return out


def _read(folder, files) -> list:
    return [JpegImage.read(Path(folder) / f) for f in files]


def train_wardens(ex: Experiment, corpus, covers: Done, stegos: dict) -> dict:
    """Table 2 (JPEG): every warden row trained from scratch (the run's seeds) on each row's
    training stegos, selected on the validation photos', tested on the test photos';
    and the cover-vs-cover control. label -> Done."""
    files = covers.result["files"]
    photos = [corpus.photo[f] for f in files["test"]] * 2  # covers, then stegos
    names = [f"detect-{slug(k)}" for k in stegos] + ["control"]
    owners = ex.stages.owners(names)
    seeds = {"seeds": ex.cfg["seeds"]} if ex.cfg.get("seeds", 1) > 1 else {}
    read_covers = {}

    def cover_split(s):
        if s not in read_covers:
            read_covers[s] = _read(corpus.folder, files[s])
        return read_covers[s]

    out = {}
    for label, st in stegos.items():
        def build(tmp, st=st):
            c = {s: cover_split(s) for s in SPLITS}
            s = {x: _read(st.folder, files[x]) for x in SPLITS}
            return {tag: judge(ex, row, tmp / slug(tag), (c["train"], s["train"]),
                               (c["test"], s["test"]), (c["val"], s["val"]), photos)
                    for tag, row in ex.cfg["wardens"].items()}
        out[label] = ex.stage(f"detect-{slug(label)}", "detect",
                              {"wardens": ex.cfg["wardens"], **seeds}, [st], build,
                              mode="async", owner=owners[f"detect-{slug(label)}"])

    def control(tmp):
        halves = {s: control_halves(_read(corpus.folder, sorted(files[s])), ex.seed + i)
                  for i, s in enumerate(SPLITS)}
        a, b = control_halves(sorted(files["test"]), ex.seed + SPLITS.index("test"))
        ph = [corpus.photo[f] for f in a + b]
        return {tag: fit_and_measure(warden(ex, row), halves["train"], halves["test"],
                                     val=halves["val"], quiet=ex.quiet, photos=ph)
                for tag, row in ex.cfg["wardens"].items()}
    out["control"] = ex.stage("control", "control", {"wardens": ex.cfg["wardens"]}, [covers],
                              control, mode="async", owner=owners["control"])
    return _finished(ex, out)


def run_jpeg_experiment(cfg: dict, out, device="auto", quiet=False) -> dict:
    """The JPEG experiment, stage by stage, each cached and resumable (as run_experiment);
    results.json, report.md and report.html in out."""
    from .jpeg_report import ordering, pairs, write_documents
    from .report import _machine, _versions

    t0 = time.perf_counter()
    ex = Experiment(cfg, Path(out), Stages(out, quiet), device)
    past = past_invocations(ex.out)
    ex.stages.invocation = 1 + max((p["invocation"] for p in past), default=-1)
    corpus, corpus_done = make_corpus(ex)
    rows = rows_of(ex, 1 if corpus.mode == "gray" else 3)
    covers = carriers(ex, corpus, corpus_done, rows)
    stegos = make_stegos(ex, corpus, covers, rows)
    detect = train_wardens(ex, corpus, covers, stegos)
    ran, reused, wall, runs, stages = accounting(ex, corpus, past, t0)
    n = sum(len(v) for v in covers.result["files"].values())
    for name, v in stages.items():  # the wardens judged the covers kept, and their stegos
        if name.startswith("detect-") or name == "control":
            v["images"], v["seconds_per_image"] = 2 * n, round(v["seconds"] / (2 * n), 4)
    table2 = {k: d.result for k, d in detect.items() if k != "control"}
    meta = {k: {**r["meta"], "bpnzac_measured": stegos[k].result["bpnzac"]}
            for k, r in rows.items()}
    results = {"config": cfg, "corpus": corpus_done.result,
               "jpeg_experiment": {"quality": jpeg_quality(cfg["data"]), "rows": meta,
                                   "wardens": list(cfg["wardens"]),
                                   "covers": covers.result},
               "table2": table2, "control": detect["control"].result,
               "stages_ran": ran, "stages_reused": reused, "ranks": ex.ranks.world,
               "wall_seconds": round(wall, 1), "stages": stages, "invocations": runs,
               "wall_seconds_total": round(sum(x["wall_seconds"] for x in runs), 1),
               "busy_seconds": busy_seconds(stages, ex.stages.invocation, ex.ranks.world)}
    if ex.ranks.rank == 0:
        results["jpeg_experiment"]["ordering"] = ordering(table2, meta, list(cfg["wardens"]))
        results["comparisons"] = pairs(table2, cfg.get("compare", []), list(cfg["wardens"]))
        write_text_atomic(ex.out / "invocations.json", json.dumps(runs, indent=1))
        results = {**results, "versions": _versions(), "machine": _machine()}
        write_text_atomic(ex.out / "results.json", json.dumps(results, indent=1, default=str))
        write_documents(ex.out, results)
    ex.ranks.barrier()
    return results
