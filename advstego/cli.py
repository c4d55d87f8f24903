"""Command line: parses arguments, calls the package, maps errors to exit codes."""

from __future__ import annotations

import argparse
import json
import sys
import warnings

from .errors import InputError


def _warn_one_line(message, category, filename, lineno, file=None, line=None):
    print(f"advstego: warning: {message}", file=sys.stderr)


# ---- data ---------------------------------------------------------------

def cmd_data_prepare(a):
    from .data.prepare import PrepareConfig, prepare, summary
    from .data.sources import photos_for

    source = a.source
    if source in ("bossbase", "lfw"):
        if not a.root:
            raise InputError(f"--source {source} needs --root FOLDER")
        source = f"{source}:{a.root}"
    fractions = tuple(float(f) for f in a.split.split(","))
    if len(fractions) != 3 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-6:
        raise InputError(f"--split {a.split!r}: give three fractions summing to 1, e.g. 0.7,0.15,0.15")
    cfg = PrepareConfig(source=source, size=a.size, mode="gray" if a.gray else "rgb",
                        crop=a.crop, resize=a.resize, min_std=a.min_std,
                        max_tiles=a.max_tiles, fractions=fractions, seed=a.seed)
    photos = photos_for(source)
    if a.limit:
        photos = photos[: a.limit]
    curated = a.source in ("sample", "debian-photos")
    prepare(photos, cfg, a.out, force=a.force, convert_rgb=a.convert or curated)
    _print_summary(a.out, summary(a.out))


def _print_summary(folder, s):
    print(f"{folder}: {s['images']} images, {s['size']}x{s['size']} {s['mode']}")
    for split, v in s["splits"].items():
        print(f"  {split:5s}: {v['images']:5d} images from {v['photos']:4d} photos, "
              f"{v['pairs']:5d} cover/secret pairs")
    if any(s["skipped"].values()):
        print("  skipped: " + ", ".join(f"{k} {v}" for k, v in s["skipped"].items()))


def cmd_data_info(a):
    from .data.prepare import summary

    s = summary(a.folder)
    if a.json:
        print(json.dumps(s, indent=1))
    else:
        _print_summary(a.folder, s)


# ---- demo ---------------------------------------------------------------

def cmd_demo(a):
    from pathlib import Path

    from .data.prepare import PrepareConfig, prepare, summary
    from .data.sources import sample_photos

    out = Path(a.out)
    corpus = out / "corpus"
    print(f"[demo] preparing the sample corpus (128x128 gray tiles) in {corpus}")
    prepare(sample_photos(), PrepareConfig(source="sample", size=128, mode="gray"), corpus,
            force=True, convert_rgb=True)
    _print_summary(corpus, summary(corpus))


# ---- parser -------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="advstego", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="photo corpora").add_subparsers(dest="data_cmd", required=True)
    pr = data.add_parser("prepare", help="crop, split by photo and pair a corpus")
    pr.add_argument("--source", required=True,
                    help="sample | debian-photos | bossbase | lfw | FOLDER")
    pr.add_argument("--root", help="the BOSSbase or LFW folder")
    pr.add_argument("--size", type=int, default=256)
    pr.add_argument("--gray", action="store_true", help="gray corpus (default RGB)")
    pr.add_argument("--convert", action="store_true",
                    help="convert RGB files to gray instead of refusing a mixed folder")
    pr.add_argument("--crop", choices=("tiles", "center"), default="tiles")
    pr.add_argument("--resize", type=int, default=0, help="resize the short side first")
    pr.add_argument("--min-std", type=float, default=10.0, help="drop flatter tiles")
    pr.add_argument("--max-tiles", type=int, default=0, help="per photo (0: all)")
    pr.add_argument("--limit", type=int, default=0, help="use the first N photos only")
    pr.add_argument("--split", default="0.7,0.15,0.15", help="train,val,test fractions")
    pr.add_argument("--seed", type=int, default=0)
    pr.add_argument("--out", required=True)
    pr.add_argument("--force", action="store_true", help="replace a non-empty --out")
    pr.set_defaults(func=cmd_data_prepare)
    inf = data.add_parser("info", help="counts, sizes, modes and splits of a prepared corpus")
    inf.add_argument("folder")
    inf.add_argument("--json", action="store_true")
    inf.set_defaults(func=cmd_data_info)
    demo = sub.add_parser("demo", help="run the end-to-end demo on the sample photos")
    demo.add_argument("--out", default="demo-out")
    demo.set_defaults(func=cmd_demo)
    return p


def main(argv=None) -> int:
    warnings.showwarning = _warn_one_line
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except InputError as exc:
        print(f"advstego: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("advstego: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
