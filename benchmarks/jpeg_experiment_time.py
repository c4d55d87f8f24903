"""How long the jpeg preset (advstego experiment jpeg) takes, from its single stages timed at
small scale: its corpus stage run whole (it is cheap, and it counts the covers), then each row's
stego, DCTR and GFR features, an FLD ensemble fit and a Xu-Net training epoch timed on a few
of those covers, each scaled to the preset's counts (rows, covers, seeds, epochs).

    .venv/bin/python benchmarks/jpeg_experiment_time.py [--preset jpeg] [--sample 8]
        [--pairs 200] [--cores 2] [--out /tmp/jpeg-time]

One thread per process (OMP_NUM_THREADS=1 and torch's): the CPU seconds it prints add up
over cores; the wall estimate divides them over --cores (the preset runs under torchrun
with a rank per core). Per-image features are timed without their disk cache. An FLD fit
and a CNN epoch are timed on --pairs training pairs of covers and UERD stegos at the preset's
top payload (cheaper to make than J-UNIWARD's), their features made by --cores processes:
the fit at --pairs and at half of it, extrapolated linearly to the preset's training pairs
(its automatic search of L and d_sub makes this rough; a few dozen pairs say nothing, as
d_sub then outgrows them).
"""

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402


def timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t


def main():
    import torch

    from advstego.data import jpeg_io
    from advstego.data.corpus import Corpus
    from advstego.data.jpeg import JpegImage
    from advstego.data.prepare import PrepareConfig, prepare
    from advstego.data.sources import photos_for
    from advstego.embedding.jpeg import embed_jpeg
    from advstego.experiments.config import load_config
    from advstego.hiding.registry import load_hider
    from advstego.steganalysis import jpeg_features
    from advstego.steganalysis.detector import build_detector

    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="jpeg")
    ap.add_argument("--sample", type=int, default=8, help="covers a stego or feature is timed on")
    ap.add_argument("--pairs", type=int, default=200,
                    help="training pairs of the FLD and CNN timing")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--out", default="/tmp/jpeg-time")
    a = ap.parse_args()
    torch.set_num_threads(1)
    cfg = load_config(a.preset)
    out = Path(a.out)
    d = dict(cfg["data"])
    d["fractions"] = tuple(d["fractions"])
    _, t_corpus = timed(prepare, photos_for(d["source"]), PrepareConfig(**d, seed=cfg["seed"]),
                        out / "corpus", force=True, convert_rgb=True)
    corpus = Corpus(out / "corpus")
    hiders = {k: load_hider(r["hider"], 1, **{x: v for x, v in r.items() if x != "hider"})
              for k, r in cfg["hiders"].items()}

    def kept(f):
        cover = jpeg_io.read(corpus.folder / f)
        return all(h.capacity(cover)["bytes"] >= 1 for h in hiders.values())
    files = {s: [f for f in corpus.files(s) if kept(f)] for s in ("train", "val", "test")}
    n_all, n_train = sum(map(len, files.values())), len(files["train"])
    n_photos = len({corpus.photo[f] for f in files["test"]})
    print(f"corpus stage {t_corpus:.1f} s: {sum(len(corpus.files(s)) for s in files)} tiles, "
          f"{n_all} kept (train {n_train}, val {len(files['val'])}, test {len(files['test'])} "
          f"from {n_photos} photos)")
    pool = files["train"]
    sample = pool[:: max(1, len(pool) // a.sample)][:a.sample]
    rows = {**{k: ("hider", h) for k, h in hiders.items()},
            **{k: ("baseline", r) for k, r in cfg["baselines"].items()}}
    per_stego = {}
    for label, (kind, x) in rows.items():
        t = time.perf_counter()
        for i, f in enumerate(sample):
            if kind == "hider":
                cover = jpeg_io.read(corpus.folder / f)
                room = x.capacity(cover)["bytes"]
                stego, _ = x.hide_file(cover, np.random.default_rng(i).bytes(room), "")
                jpeg_io.write(stego, out / "stego.jpg")
            else:
                embed_jpeg(corpus.folder / f, out / "stego.jpg", x["method"], x["payload"], i)
        per_stego[label] = (time.perf_counter() - t) / len(sample)
        print(f"stego {label:16s} {per_stego[label]:.3f} s/image")
    # features and wardens on covers and UERD stegos of the training photos
    top = max(r["payload"] for r in cfg["baselines"].values())
    train = pool[:: max(1, len(pool) // a.pairs)][:a.pairs]
    (out / "stegos").mkdir(exist_ok=True)
    for i, f in enumerate(train):
        embed_jpeg(corpus.folder / f, out / "stegos" / Path(f).name, "uerd", top, i)
    covers = [JpegImage.read(corpus.folder / f) for f in train]
    stegos = [JpegImage.read(out / "stegos" / Path(f).name) for f in train]
    per_feature = {}
    for kind in jpeg_features.FEATURES:
        jpeg_features.features(kind, covers[:1], 1, cache=False)  # compiled, loaded
        _, t = timed(jpeg_features.features, kind, covers[:a.sample] + stegos[:a.sample], 1,
                     cache=False)
        per_feature[kind] = t / (2 * a.sample)
        print(f"{kind.upper()} features {per_feature[kind]:.3f} s/image")
    fld, cnn = {}, None
    for tag, row in cfg["wardens"].items():
        settings = {k: v for k, v in row.items() if k != "detector"}
        det = build_detector(row["detector"], **{**settings, "epochs": 1} if "epochs" in settings
                             else settings)
        if getattr(det, "extracts_features", False):  # FLD: features cached, fit timed
            jpeg_features.features(det.kind, covers + stegos, a.cores)
            times = []
            for m in (len(train) // 2, len(train)):
                fresh = build_detector(row["detector"], **settings)
                times.append(timed(fresh.fit, covers[:m], stegos[:m], quiet=True)[1])
            slope = (times[1] - times[0]) / (len(train) - len(train) // 2)
            fld[tag] = max(times[1], times[1] + slope * (n_train - len(train)))
            print(f"{tag} fit: {times[0]:.1f} s at {len(train) // 2} pairs, {times[1]:.1f} s at "
                  f"{len(train)}; {fld[tag]:.1f} s at {n_train} (extrapolated)")
        else:
            val = (covers[:8], stegos[:8])
            _, t = timed(det.fit, covers, stegos, quiet=True, val=val)
            cnn = (tag, t / len(train), settings.get("epochs", det.epochs))
            print(f"{tag}: {cnn[1]:.3f} s per training pair a epoch (its validation included)")
    # the preset's counts
    n_rows, seeds = len(rows), cfg.get("seeds", 1)
    parts = {"corpus": t_corpus,
             "stegos": n_all * sum(per_stego.values()),
             "features (covers once, then each row's stegos)":
                 n_all * (n_rows + 1) * sum(per_feature.values()),
             "FLD fits (each row and the control, each seed)":
                 (n_rows + 1) * seeds * sum(fld.values())}
    if cnn:
        parts["CNN training (each row and the control, each seed)"] = \
            (n_rows + 0.5) * seeds * cnn[2] * n_train * cnn[1]
    total = sum(parts.values())
    print(f"\npreset {a.preset}: {n_rows} rows, {n_all} covers ({n_train} training pairs), "
          f"{seeds} warden seed(s)")
    for k, v in parts.items():
        print(f"  {k:52s} {v:8.0f} CPU s")
    print(f"  {'total':52s} {total:8.0f} CPU s = {total / 3600:.1f} CPU hours; about "
          f"{total / a.cores / 3600:.1f} h on {a.cores} cores (torchrun --standalone "
          f"--nproc_per_node {a.cores}), intervals (under a second each) left out")


if __name__ == "__main__":
    main()
