"""The JPEG hider (--method jpeg): its coding efficiency against conseal's J-UNIWARD simulator
and the time of a 256x256 and of a 12-megapixel JPEG hide.

    .venv/bin/python benchmarks/jpeg_hider.py [--repeat 3] [--photos 16] [--write]

Efficiency: each sample photo compressed once at quality 75 (Pillow: libjpeg's tables,
colour 4:2:0), a random file of the cover's whole capacity hidden at 0.4 bpnzac (the h its
size gets); the J-UNIWARD distortion of its changes (the head's included) over the expected
distortion of conseal's ternary simulator at the same message length, per photo and the
median; and the same for the 12-megapixel cover of the speed test (its own h). Speed:
`advstego hide` processes (imports included) on a 256x256 gray JPEG (a 64x64 secret image)
and on a 4000x3000 colour JPEG (a sample photo upsampled, quality 75; a 512x512 secret
image), fastest and median wall and median CPU (user + system: on a shared machine the
steadier figure), and the 12-megapixel hide's parts, timed in one process.
--write saves the table to results/jpeg_hider.txt: run it on an idle machine.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from photo_speed import KEY, ROOT, _commit, run  # noqa: E402  (one way to time a process)

BPNZAC = 0.4


def simulator_distortion(rp, rm, bits: int, n: int) -> float:
    """Expected J-UNIWARD distortion of conseal's payload-limited ternary simulator carrying
    `bits` (alpha relative to n non-zero AC coefficients, as conseal's simulators take it)."""
    import conseal

    wet = (np.where(np.isinf(rp), 1e13, rp), np.where(np.isinf(rm), 1e13, rm))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (pp, pm), _ = conseal.simulate._ternary.probability(wet, bits / n, n)
    return float(np.sum(pp * wet[0] + pm * wet[1]))


def ratio(path: Path, rng) -> tuple | None:
    """(width, height, h, our distortion / the simulator's) of a file of a JPEG's capacity
    at BPNZAC; None where nothing fits."""
    from advstego.data import jpeg_io
    from advstego.embedding.dct_costs import juniward_adjusted
    from advstego.hiding.jpeg import JpegHider, nzac

    cover = jpeg_io.read(path)
    hider = JpegHider(bpnzac=BPNZAC, key="efficiency")
    room = hider.capacity(cover, "f")["bytes"]
    if room < 1:
        return None
    _, info = hider.hide_file(cover, rng.bytes(room), "f")
    rp, rm = juniward_adjusted(cover.luma, cover.tables[0])
    sim = simulator_distortion(rp, rm, info["message_bits"], nzac(cover.luma))
    return cover.header.width, cover.header.height, hider.h, info["distortion"] / sim


def efficiency(folder: Path, count: int) -> list:
    from advstego.data.sources import sample_photos

    rng, rows = np.random.default_rng(0), []
    for photo in sample_photos()[:count]:
        path = folder / f"{photo.name}.jpg"
        Image.fromarray(photo.load()).save(path, quality=75)
        got = ratio(path, rng)
        if got is None:
            continue
        rows.append((photo.name, *got))
        print(f"  {photo.name}: {rows[-1][-1]:.3f}", file=sys.stderr, flush=True)
    return rows


def parts(cover_path: Path, secret) -> list:
    """The 12-megapixel hide's parts in one process: (name, wall, CPU) seconds, CPU the
    process's (time.process_time: all its threads)."""
    from advstego.data import jpeg_io
    from advstego.embedding.dct_costs import juniward_adjusted
    from advstego.hiding import stc
    from advstego.hiding.jpeg import JpegHider

    def now():
        return np.array([time.perf_counter(), time.process_time()])

    out, t = [], now()
    cover = jpeg_io.read(cover_path)
    out.append(("read (jpeglib)", *(now() - t)))
    t = now()
    juniward_adjusted(cover.luma, cover.tables[0])
    out.append(("J-UNIWARD costs", *(now() - t)))
    spent = {"change rates": np.zeros(2), "Viterbi passes": np.zeros(2)}
    rates, bits = stc.ternary_probabilities, stc.embed_bits

    def timed(fn, name):
        def call(*a, **k):
            t = now()
            try:
                return fn(*a, **k)
            finally:
                spent[name] += now() - t
        return call

    stc.ternary_probabilities = timed(rates, "change rates")
    stc.embed_bits = timed(bits, "Viterbi passes")
    try:
        t = now()
        hider = JpegHider(key="speed")
        stego, _ = hider.hide_info(cover, secret)
        whole = now() - t
    finally:
        stc.ternary_probabilities, stc.embed_bits = rates, bits
    out += [(f"STC: {k} (h = {hider.h})", *v) for k, v in spent.items()]
    out.append(("hide_info in all (costs, codec, key, order, STC)", *whole))
    with tempfile.TemporaryDirectory() as d:
        t = now()
        jpeg_io.write(stego, Path(d) / "s.jpg")
        out.append(("write (jpeglib, read back and compared)", *(now() - t)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--photos", type=int, default=16)
    ap.add_argument("--write", action="store_true", help="save results/jpeg_hider.txt")
    a = ap.parse_args()
    from advstego.data.sources import sample_photos

    load = os.getloadavg()[0]
    photos = {p.name: p for p in sample_photos()}
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        eff = efficiency(d, a.photos)
        astronaut = photos["skimage-astronaut"].load()
        gray = np.asarray(Image.fromarray(astronaut).convert("L"))
        Image.fromarray(gray[128:384, 128:384]).save(d / "c256.jpg", quality=75)
        Image.fromarray(photos["skimage-coffee"].load()[:64, :64]).save(d / "s64.png")
        Image.fromarray(astronaut).resize((4000, 3000), Image.Resampling.BICUBIC).save(
            d / "c12mp.jpg", quality=75)
        secret = photos["skimage-chelsea"].load()
        Image.fromarray(secret).resize((512, 512)).save(d / "s512.png")
        run(["hide", "--cover", d / "c256.jpg", "--secret", d / "s64.png", *KEY,
             "-o", d / "warm.jpg"])  # compiles the STC coder where no run has yet
        steps = {"hide 256x256 gray JPEG, 64x64 secret": (a.repeat, lambda i: [
                     "hide", "--cover", d / "c256.jpg", "--secret", d / "s64.png", *KEY,
                     "-o", d / f"s256-{i}.jpg"]),
                 "hide 4000x3000 colour JPEG, 512x512 secret": (1, lambda i: [
                     "hide", "--cover", d / "c12mp.jpg", "--secret", d / "s512.png", *KEY,
                     "-o", d / f"s12-{i}.jpg"])}
        rows = []
        for name, (repeat, args) in steps.items():
            runs = [run(args(i)) for i in range(repeat)]
            walls = [w for w, _ in runs]
            rows.append((name, repeat, min(walls), statistics.median(walls),
                         statistics.median(c for _, c in runs)))
            print(f"  {name}: {rows[-1][2]:.2f} s", file=sys.stderr, flush=True)
        split = parts(d / "c12mp.jpg", np.asarray(Image.open(d / "s512.png")))
        big = ratio(d / "c12mp.jpg", np.random.default_rng(1))
    ratios = [r[-1] for r in eff]
    lines = [f"advstego at {_commit()}, {time.strftime('%Y-%m-%d')}: the JPEG hider "
             "(--method jpeg, J-UNIWARD costs)",
             f"machine: {os.cpu_count()} cores, load average {load:.1f} at the start"
             + (" (shared: wall times are inflated; CPU is the steadier figure)"
                if load > 0.5 * (os.cpu_count() or 1) else ""),
             "",
             f"coding efficiency at {BPNZAC} bpnzac, sample photos at quality 75: our "
             "distortion / conseal's simulator's expected distortion at the same message "
             "length (target <= 1.15)"]
    lines += [f"  {n:28s} {w}x{h}  h={hh:<3d} {r:.3f}" for n, w, h, hh, r in eff]
    lines += [f"  median {statistics.median(ratios):.3f} over {len(ratios)} photos "
              f"(min {min(ratios):.3f}, max {max(ratios):.3f})",
              f"  the 12-megapixel cover below        {big[0]}x{big[1]}  h={big[2]:<3d} "
              f"{big[3]:.3f}", "",
              "speed: one advstego process each (targets: 256x256 <= 1 s, 12 MP <= 15 s)",
              f"  {'command':44s} {'runs':>4s} {'wall min':>9s} {'wall median':>12s} "
              f"{'CPU median':>11s}"]
    lines += [f"  {n:44s} {k:4d} {lo:8.2f}s {med:11.2f}s {c:10.2f}s" for n, k, lo, med, c in rows]
    lines += ["", "the 12-megapixel hide's parts, in one process (wall; CPU of all its threads):"]
    lines += [f"  {n:52s} {w:7.2f} s {c:7.2f} s" for n, w, c in split]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if a.write:
        from advstego.files import write_bytes_atomic

        write_bytes_atomic(ROOT / "results" / "jpeg_hider.txt", text.encode())
        print("written: results/jpeg_hider.txt")


if __name__ == "__main__":
    main()
