"""Wall time of whole `advstego` commands, imports included (what a user who scripts many
calls waits for): --help, and LSB / STC hide and reveal of one 256² gray photo.

    .venv/bin/python benchmarks/cli_speed.py [--repeat 5]

Prints the median of --repeat runs of each command and the heavy packages it imported.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

HEAVY = ("torch", "numba", "sealwatch", "conseal")


def _run(args):
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "advstego", *map(str, args)],
                       capture_output=True, text=True)
    wall = time.perf_counter() - t
    if r.returncode:
        sys.exit(f"advstego {' '.join(map(str, args))} failed: {r.stderr[-500:]}")
    mods = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in r.stderr.splitlines()
            if line.startswith("import time:") and "|" in line}
    return wall, sorted(mods & set(HEAVY))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    from advstego.data.sources import sample_photos

    photos = {p.name: p for p in sample_photos()}
    cover = photos["skimage-camera"].load()[128:384, 128:384]
    secret = np.array(Image.fromarray(photos["skimage-astronaut"].load()).convert("L"))[:256, :256]
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        Image.fromarray(cover).save(d / "cover.png")
        Image.fromarray(secret).save(d / "secret.png")
        cmds = {"--help": ["--help"]}
        for m in ("lsb", "stc"):
            cmds[f"hide --method {m}"] = ["hide", "--method", m, "--cover", d / "cover.png",
                                          "--secret", d / "secret.png", "-o", d / f"{m}.png"]
            cmds[f"reveal --method {m}"] = ["reveal", "--method", m, d / f"{m}.png", "-o",
                                            d / f"{m}-r.png"]
        print(f"median wall seconds of {a.repeat} runs (python -X importtime -m advstego ...), "
              "one 256x256 gray image")
        for name, args in cmds.items():
            runs = [_run(args) for _ in range(a.repeat)]
            wall = statistics.median(w for w, _ in runs)
            print(f"  advstego {name:22s} {wall:6.2f} s   imports: {', '.join(runs[0][1]) or '-'}")


if __name__ == "__main__":
    main()
