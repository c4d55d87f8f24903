"""DCTR (and GFR) extraction time: ours vs sealwatch's on the same 256x256 gray JPEGs at
QF 75 (sample photos' tiles compressed once), from the file, and their ratio; one thread
each (BLAS too), ours timed after one warm-up image (numba's disk cache loaded).

    .venv/bin/python benchmarks/dctr_speed.py [--images 4] [--no-gfr] [--write]

--write saves the table to results/dctr_speed.txt: run it on an idle machine.
"""

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import sealwatch  # noqa: E402

from advstego.data.jpeg import JpegImage, write_jpeg  # noqa: E402
from advstego.data.sources import sample_photos  # noqa: E402
from advstego.steganalysis import jpeg_features  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def jpegs(folder: Path, n: int) -> list[Path]:
    out = []
    for p in sample_photos():
        x = p.load()
        if x.ndim == 3:
            x = (x @ np.array([0.299, 0.587, 0.114])).round().astype(np.uint8)
        if min(x.shape) < 256:
            continue
        f = folder / f"{p.name}.jpg"
        write_jpeg(f, np.ascontiguousarray(x[:256, :256]), 75)
        out.append(f)
        if len(out) == n:
            break
    return out


def timed(fn, files) -> tuple[float, list]:
    t = time.perf_counter()
    out = [fn(f) for f in files]
    return (time.perf_counter() - t) / len(files), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=4)
    ap.add_argument("--no-gfr", action="store_true", help="DCTR only")
    ap.add_argument("--write", action="store_true", help="save results/dctr_speed.txt")
    a = ap.parse_args()
    lines = []
    with tempfile.TemporaryDirectory() as d:
        files = jpegs(Path(d), a.images)
        lines.append(f"{len(files)} gray JPEGs of 256x256 at QF 75, from the file, one thread "
                     f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        kinds = {"DCTR 8,000-D": (
            "dctr", lambda f: np.concatenate(list(sealwatch.dctr.extract_from_file(
                str(f), qf=75).values())))}
        if not a.no_gfr:
            kinds["GFR 17,000-D"] = (
                "gfr", lambda f: sealwatch.gfr.extract_from_file(str(f), qf=75).ravel())
        for label, (kind, ref_fn) in kinds.items():
            t_sw, ref = timed(ref_fn, files)
            ours_fn = lambda f, k=kind: jpeg_features.extract(k, JpegImage.read(f))  # noqa: E731
            ours_fn(files[0])  # numba's compiled kernel loaded (or compiled) once
            t_ours, ours = timed(ours_fn, files)
            same = all(np.array_equal(r, o) for r, o in zip(ref, ours))
            lines += [label, f"  sealwatch: {t_sw:7.3f} s/image",
                      f"  advstego : {t_ours:7.3f} s/image",
                      f"  speed-up : {t_sw / t_ours:7.1f}x   (features identical: {same})"]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if a.write:
        from advstego.files import write_text_atomic

        write_text_atomic(ROOT / "results" / "dctr_speed.txt",
                          "benchmarks/dctr_speed.py"
                          + (f" --images {a.images}" if a.images != 4 else "")
                          + (" --no-gfr" if a.no_gfr else "") + "\n" + text)


if __name__ == "__main__":
    main()
