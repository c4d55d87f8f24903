"""How far to shrink JPEG photos before tiling: the smallest factor at which no JPEG lattice
survives, measured on the debian-photos source (the renders left out, data/debian.py).

    .venv/bin/python benchmarks/jpeg_traces.py [--tiles 4] [--size 128] [--write]
    .venv/bin/python benchmarks/jpeg_traces.py --corpus DIR [--tables SRC] [--pairs 300]

Each photo goes gray, is shrunk with Pillow's LANCZOS by each factor (1: the photo as it
is), and a few --size tiles of std ≥ 10 are drawn at seeded places. Each tile's lattice
statistic (data/traces.py) is measured against its photo's own quantization table and
against the IJG tables of qualities 50..99; a tile below traces.FLAGGED carries a lattice.
Then, at factor 1 and at the chosen factor, the content-blind lattice warden (two numbers a
tile, cross-fitted by photo) judges S-UNIWARD 0.4 bpp stegos of --warden-tiles tiles a
photo, with the statistic as data prepare measures it and with the table's zeros counted
too (the issue's warden, which also sees a tile's high-frequency energy).

--corpus: the same warden on --pairs images of a corpus `advstego data prepare` made (each
image and its S-UNIWARD stego), against the table of its photo's file in --tables (the
source folder; the IJG tables where there is none). --write saves the table to results/jpeg_traces.txt.
"""

from __future__ import annotations

import argparse
import time
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from advstego.data import traces
from advstego.data.sources import photos_for
from advstego.embedding.simulate import simulate

FACTORS = (1, 1.5, 2, 3, 4)


def shrink(gray: np.ndarray, f: float) -> np.ndarray:
    if f == 1:
        return gray
    h, w = gray.shape
    return np.array(Image.fromarray(gray).resize((round(w / f), round(h / f)),
                                                 Image.Resampling.LANCZOS))


def tiles(img: np.ndarray, n: int, size: int, rng) -> list[np.ndarray]:
    """Up to n tiles of std ≥ 10 at random places (64 tries a tile)."""
    h, w = img.shape
    out = []
    for _ in range(64 * n):
        if len(out) == n or h < size or w < size:
            break
        y, x = rng.integers(0, h - size + 1), rng.integers(0, w - size + 1)
        t = img[y:y + size, x:x + size]
        if t.std() >= 10:
            out.append(t)
    return out


def judge_corpus(a):
    from advstego.data.corpus import Corpus

    c = Corpus(a.corpus)
    files = [f for s in ("alice", "train", "val", "test") for f in c.files(s)]
    files = files[::max(1, len(files) // a.pairs)][:a.pairs]
    tables = {}
    if a.tables:
        for p in Path(a.tables).iterdir():
            tables[p.stem] = traces.jpeg_table(p)
    for zeros in (False, True):
        cov, steg, grp = [], [], []
        for i, f in enumerate(files):
            img = c.read(f, "gray")
            table = tables.get(c.photo[f])
            cov.append(traces.features(img, table, zeros))
            steg.append(traces.features(simulate(img, "suniward", a.payload, seed=i), table, zeros))
            grp.append(c.photo[f])
        w = traces.warden_pe(np.array(cov), np.array(steg), grp)
        print(f"{a.corpus}: lattice warden{' (zeros counted)' if zeros else ''}: PE "
              f"{w['pe']:.3f} (best threshold on the distance alone {w['pe_threshold']:.3f}), "
              f"{w['pairs']} S-UNIWARD {a.payload} pairs from {len(set(grp))} photos "
              f"({sum(t is not None for t in map(tables.get, grp))} with their own table), "
              f"median distance cover {w['median_cover']:.3f} stego {w['median_stego']:.3f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tiles", type=int, default=4, help="tiles a photo and factor")
    ap.add_argument("--warden-tiles", type=int, default=8, help="tiles a photo for the warden")
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--payload", type=float, default=0.4)
    ap.add_argument("--factors", default=",".join(map(str, FACTORS)))
    ap.add_argument("--corpus", help="judge a prepared corpus instead")
    ap.add_argument("--tables", help="the corpus's source folder (its JPEG tables)")
    ap.add_argument("--pairs", type=int, default=300)
    ap.add_argument("--write", action="store_true", help="save results/jpeg_traces.txt")
    a = ap.parse_args()
    factors = [float(f) if "." in f else int(f) for f in a.factors.split(",")]
    t0 = time.perf_counter()
    if a.corpus:
        return judge_corpus(a)
    photos = photos_for("debian-photos")
    rows, lines = {f: [] for f in factors}, []
    grays = {}
    for p in photos:
        table = p.table()
        gray = np.array(Image.fromarray(p.load()).convert("L"))
        grays[p.name] = (gray, table)
        for f in factors:
            rng = np.random.default_rng([zlib.crc32(p.name.encode()), int(f * 10)])
            for t in tiles(shrink(gray, f), a.tiles, a.size, rng):
                own = traces.lattice(t, table) if table is not None else None
                ijg = traces.lattice(t)
                rows[f].append((p.name, own.distance if own else np.nan, ijg.distance))

    def flagged(v):
        return int(np.sum(np.asarray(v) < traces.FLAGGED))

    lines.append(f"JPEG lattice statistic of {a.size}² gray tiles of debian-photos "
                 f"({len(photos)} photos, renders left out), {a.tiles} tiles a photo and factor; "
                 f"flagged: below {traces.FLAGGED} (no lattice: about {traces.NO_LATTICE})")
    lines.append(f"{'factor':>6} {'tiles':>5} {'no evidence':>11} {'median own':>10} "
                 f"{'flagged own':>11} {'photos':>6} {'median IJG':>10} {'flagged IJG':>11}")
    chosen = None
    for f in factors:
        r = rows[f]
        own = np.array([x[1] for x in r])
        ijg = np.array([x[2] for x in r])
        bad = {x[0] for x in r if x[1] < traces.FLAGGED or x[2] < traces.FLAGGED}
        lines.append(f"{f:>6} {len(r):>5} {int(np.isnan(own).sum()):>11} "
                     f"{np.nanmedian(own):>10.3f} {flagged(own):>11} {len(bad):>6} "
                     f"{np.nanmedian(ijg):>10.3f} {flagged(ijg):>11}")
        if chosen is None and not bad:
            chosen = f
    lines.append(f"smallest factor with no lattice left: {chosen}")
    lines.append("no evidence: too few coefficients with Q ≥ 2 (quality-100 JPEGs, flat tiles)")

    def warden(f, zeros):
        cov, steg, grp = [], [], []
        for i, p in enumerate(photos):
            gray, table = grays[p.name]
            rng = np.random.default_rng([i, 7])
            for j, t in enumerate(tiles(shrink(gray, f), a.warden_tiles, a.size, rng)):
                s = simulate(t, "suniward", a.payload, seed=1000 * i + j)
                cov.append(traces.features(t, table, zeros))
                steg.append(traces.features(s, table, zeros))
                grp.append(p.name)
        return traces.warden_pe(np.array(cov), np.array(steg), grp)

    for f in sorted({1, chosen or factors[-1]}):
        for zeros in (False, True):
            w = warden(f, zeros)
            lines.append(
                f"lattice warden{' (zeros counted)' if zeros else ''}, factor {f}: PE "
                f"{w['pe']:.3f} (cross-fitted by photo; best threshold on the distance alone "
                f"{w['pe_threshold']:.3f}), {w['pairs']} S-UNIWARD {a.payload} pairs, median "
                f"distance cover {w['median_cover']:.3f} stego {w['median_stego']:.3f}")
    lines.append(f"{time.perf_counter() - t0:.0f} s")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if a.write:
        out = Path(__file__).resolve().parents[1] / "results" / "jpeg_traces.txt"
        out.write_text("benchmarks/jpeg_traces.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(a).items()
            if k not in ("write", "corpus", "tables", "pairs"))
            + "\n" + text)


if __name__ == "__main__":
    main()
