"""Photo-sized work as a user meets it: `advstego` processes (imports included) on a 2560x1600
RGB photo: hide of a photo secret and of a 140 KB file, capacity (alone and with the secret),
reveal, and one 256x256 gray hide beside them.

    .venv/bin/python benchmarks/photo_speed.py [--repeat 3] [--write]

The photos are two Debian wallpapers from the corpus cache (`advstego data prepare --source
debian-photos` builds it), fitted down to 2560x1600; without the cache, the sample photos tiled and
upscaled, with a little noise. Printed: each command's fastest and median wall time and the
median CPU time of its process (user + system; on a shared machine the steadier figure).
--write saves the table to results/photo_speed.txt: run it on an idle machine.
"""

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parents[1]
SIZE = (2560, 1600)
# larger than 2560x1600: fitted down, their JPEG traces are gone (hide refuses a cover
# that still carries them)
PHOTOS = ("lomiri-wallpapers-20.04__Kleiber_by_Lukas_Baubkus.jpg",
          "lomiri-wallpapers-16.04__seeding_by_Clements_Engelhardt.jpg")
ADVSTEGO = Path(sys.executable).parent / "advstego"
KEY = ("--key", "photo-speed")


def photos():
    """(cover, secret) as 2560x1600 RGB arrays, and where they come from."""
    from advstego.files import cache_dir

    folder = cache_dir() / "debian-photos"
    if all((folder / f).is_file() for f in PHOTOS):
        fit = [ImageOps.fit(Image.open(folder / f).convert("RGB"), SIZE,
                            Image.Resampling.LANCZOS) for f in PHOTOS]
        return [np.asarray(i) for i in fit], f"Debian wallpapers {' and '.join(PHOTOS)}"
    return [_tiled(k) for k in (0, 1)], "sample photos (skimage) tiled, upscaled 2x, noise 1.5"


def _tiled(k: int) -> np.ndarray:
    import skimage.data

    names = ["astronaut", "coffee", "chelsea", "rocket"]
    tiles = [Image.fromarray(getattr(skimage.data, n)()).convert("RGB")
             for n in names[k:] + names[:k]]
    canvas = ImageOps.fit(tiles[-1], SIZE, Image.Resampling.LANCZOS)  # under the gaps
    x, y, row = 0, 0, 0
    while y < SIZE[1]:
        t = tiles[(x // 700 + y // 700) % len(tiles)]
        t = t.resize((t.width * 2, t.height * 2), Image.Resampling.LANCZOS)
        canvas.paste(t, (x, y))
        x, row = x + t.width, max(row, t.height)
        if x >= SIZE[0]:
            x, y, row = 0, y + row, 0
    noise = np.random.default_rng(k).normal(0, 1.5, (SIZE[1], SIZE[0], 3))
    return np.clip(np.asarray(canvas) + noise, 0, 255).round().astype(np.uint8)


def run(args) -> tuple[float, float]:
    """(wall, CPU) seconds of one `advstego ARGS` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run([str(ADVSTEGO), *map(str, args)], capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode:
        sys.exit(f"advstego {' '.join(map(str, args))} failed: {r.stderr[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _commit() -> str:
    def git(*a):
        return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout

    dirty = " (with uncommitted changes)" if git("status", "--porcelain", "--", "advstego") else ""
    return git("rev-parse", "--short", "HEAD").strip() + dirty


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--write", action="store_true", help="save results/photo_speed.txt")
    a = ap.parse_args()
    (cover, secret), source = photos()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        Image.fromarray(cover).save(d / "cover.png")
        Image.fromarray(secret).save(d / "secret.png")
        gray = np.asarray(Image.fromarray(cover).convert("L"))
        Image.fromarray(gray[672:928, 1152:1408]).save(d / "cover256.png")
        Image.fromarray(np.asarray(Image.fromarray(secret).convert("L"))[:128, :128]).save(
            d / "secret128.png")
        (d / "file.bin").write_bytes(np.random.default_rng(0).bytes(140 * 1024))
        run(["hide", "--cover", d / "cover256.png", "--secret", d / "secret128.png", *KEY,
             "-o", d / "warm.png"])  # compiles the STC coder where no run has yet
        steps = {
            "hide, photo secret": lambda i: ["hide", "--cover", d / "cover.png", "--secret",
                                             d / "secret.png", *KEY, "-o", d / f"st{i}.png"],
            "hide, 140 KB file": lambda i: ["hide", "--cover", d / "cover.png", "--file",
                                            d / "file.bin", *KEY, "-o", d / f"sf{i}.png"],
            "capacity": lambda i: ["capacity", "--cover", d / "cover.png"],
            "capacity, photo secret": lambda i: ["capacity", "--cover", d / "cover.png",
                                                 "--secret", d / "secret.png"],
            "reveal, photo secret": lambda i: ["reveal", d / "st0.png", *KEY, "-o",
                                               d / f"r{i}.png"],
            "reveal, 140 KB file": lambda i: ["reveal", d / "sf0.png", *KEY, "-o",
                                              d / f"f{i}.bin"],
            "hide 256x256 gray, 128x128 secret": lambda i: [
                "hide", "--cover", d / "cover256.png", "--secret", d / "secret128.png", *KEY,
                "-o", d / f"s256-{i}.png"],
        }
        rows = []
        for name, args in steps.items():
            runs = [run(args(i)) for i in range(a.repeat)]
            walls = [w for w, _ in runs]
            rows.append((name, min(walls), statistics.median(walls),
                         statistics.median(c for _, c in runs)))
            print(f"  {name}: {rows[-1][1]:.2f} s", file=sys.stderr, flush=True)
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor()) \
        if Path("/proc/cpuinfo").exists() else platform.processor()
    lines = [f"advstego at {_commit()}, {time.strftime('%Y-%m-%d')}: one process per command "
             f"on a {SIZE[0]}x{SIZE[1]} RGB cover, {a.repeat} runs each",
             f"photos: {source}; payload 0.4 bpp (default), a key given",
             f"machine: {os.cpu_count()} cores ({cpu}), load average {load:.1f} at the start",
             "",
             f"{'command':36s} {'wall min':>9s} {'wall median':>12s} {'CPU median':>11s}"]
    lines += [f"{n:36s} {lo:8.2f}s {med:11.2f}s {c:10.2f}s" for n, lo, med, c in rows]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if a.write:
        from advstego.files import write_bytes_atomic

        write_bytes_atomic(ROOT / "results" / "photo_speed.txt", text.encode())
        print("written: results/photo_speed.txt")


if __name__ == "__main__":
    main()
