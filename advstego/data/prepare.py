"""BOSSbase-style preparation: crops or tiles, flat tiles dropped, split by photo, paired.

The output folder holds images/*.png (uint8) and manifest.json, which every
later stage reads. It is built in a temporary folder and renamed into place.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from ..progress import progress

from .. import __version__
from ..errors import InputError
from ..images import MODES, image_mode, write_image
from ..files import read_json, renamed, temp_folder
from ..options import Option, convert, convert_fields, field_option
from ..paths import (LOCK, contains, inside, lock, missing_top, output_folder,
                     remove_if_unused, unlock)
from . import traces
from .jpeg import CHROMA, LIBRARY, write_jpeg
from .sources import Photo, image_files

MANIFEST = "manifest.json"
SPLITS = ("train", "val", "test")
ALICE = "alice"  # a fourth part: the photos of the wardens an adversary attacks
ALL_SPLITS = (ALICE, *SPLITS)
# Photos that were JPEGs are shrunk by this much (antialiased) before tiling: the smallest
# factor at which no JPEG lattice survives on debian-photos (benchmarks/jpeg_traces.py,
# results/jpeg_traces.txt). The tiles of TRACE_PHOTOS photos at most (evenly spread),
# TRACE_TILES a photo, are measured.
DOWNSAMPLE = 1.5
TRACE_PHOTOS = 200
TRACE_TILES = 2


def split_names(fractions) -> tuple:
    """train, val, test for three fractions; alice, train, val, test for four."""
    return SPLITS if len(fractions) == 3 else ALL_SPLITS


@dataclass
class PrepareConfig:
    source: str = "sample"
    size: int = 256
    mode: str = "gray"          # gray | rgb
    crop: str = "tiles"         # tiles | center
    resize: int = 0             # resize the short side to this first (0: no)
    min_std: float = 10.0       # drop tiles whose pixel std is below this
    max_tiles: int = 0          # per photo, 0: all
    fractions: tuple = (0.7, 0.15, 0.15)
    seed: int = 0
    downsample: float = 0.0     # shrink photos first; 0: DOWNSAMPLE for those that were JPEGs
    allow_traces: bool = False  # keep a corpus whose tiles still sit on a JPEG lattice
    jpeg: int = 0               # JPEG covers at this quality (data/jpeg.py); 0: PNG


def _option(name, text, minimum=None, choices=None, maximum=None) -> Option:
    return field_option(PrepareConfig, name, text, minimum, choices=choices, maximum=maximum)


# field -> Option: the checks of `data prepare`'s flags, of prepare() and of an experiment's
# data section
OPTIONS = {"size": _option("size", "side of the square images (pixels)", 8, maximum=8192),
           "mode": _option("mode", "gray | rgb", choices=MODES),
           "crop": _option("crop", "tiles: every tile of a photo; center: its center crop",
                           choices=("tiles", "center")),
           "resize": _option("resize", "resize the short side first (0: no)", 0),
           "min_std": _option("min_std", "drop flatter tiles (their pixels' std below this)", 0),
           "max_tiles": _option("max_tiles", "per photo (0: all)", 0),
           "seed": _option("seed", "the split's seed"),
           "downsample": _option("downsample", "shrink the photos by this factor before tiling, "
                                 f"antialiased (1: not at all; 0: by {DOWNSAMPLE} those that "
                                 "were JPEGs, whose lattice would survive in the tiles)", 0),
           "allow_traces": _option("allow_traces", "keep a corpus whose tiles still carry a "
                                   "JPEG lattice (detectable without a model)"),
           "jpeg": _option("jpeg", "JPEG covers at this quality, 1-100 (libjpeg's tables; "
                           "colour 4:4:4), each compressed once from its trace-free tile; "
                           "0: PNG", 0, maximum=100)}
FRACTION = Option(float, None, 0, "a part's share of the photos", maximum=1)


def _to_mode(img: np.ndarray, mode: str, photo: Photo, convert_rgb: bool) -> np.ndarray:
    have = image_mode(img)
    if have == mode:
        return img
    where = photo.path or photo.name
    if mode == "gray" and (convert_rgb or not photo.path):
        return np.array(Image.fromarray(img).convert("L"))
    if mode == "rgb" and (convert_rgb or not photo.path):
        return None  # a gray photo has no RGB version: skip it
    raise InputError(f"{where}: image is {have}, but the corpus was asked as {mode} "
                     "(mixed gray and RGB corpus; --convert converts RGB photos to gray in a "
                     "gray corpus and skips gray photos in an RGB one)")


def _resize_short(img: np.ndarray, short: int) -> np.ndarray:
    h, w = img.shape[:2]
    return _shrink(img, min(h, w) / short)


def _shrink(img: np.ndarray, factor: float) -> np.ndarray:
    """img made factor times smaller (Pillow's LANCZOS: antialiased); 1: as it is."""
    if factor == 1:
        return img
    h, w = img.shape[:2]
    size = (max(1, round(w / factor)), max(1, round(h / factor)))
    return np.array(Image.fromarray(img).resize(size, Image.Resampling.LANCZOS))


def _factor(cfg: PrepareConfig, table) -> float:
    """How much a photo is shrunk: --resize overrides; else --downsample, whose 0 means
    DOWNSAMPLE for a photo that was a JPEG (its table known) and 1 for the others."""
    if cfg.resize:
        return 1
    if cfg.downsample == 0:
        return DOWNSAMPLE if table is not None else 1
    return cfg.downsample


def crops(img: np.ndarray, cfg: PrepareConfig, where: str):
    """Yield (y, x, crop) for the central crop or the non-overlapping tiles."""
    h, w = img.shape[:2]
    n = cfg.size
    if h < n or w < n:
        raise InputError(f"{where}: image is {w}x{h}, smaller than the {n}x{n} crop")
    if cfg.crop == "center":
        y, x = (h - n) // 2, (w - n) // 2
        yield y, x, img[y:y + n, x:x + n]
        return
    oy, ox = (h % n) // 2, (w % n) // 2  # centre the tile grid
    for y in range(oy, h - n + 1, n):
        for x in range(ox, w - n + 1, n):
            yield y, x, img[y:y + n, x:x + n]


def assign_splits(groups: list[str], fractions, seed: int) -> dict[str, str]:
    """Seeded split of whole groups (photos); each split gets one when there are enough.
    Rounding goes to the training part."""
    names = split_names(fractions)
    groups = sorted(set(groups))
    rng = random.Random(seed)
    rng.shuffle(groups)
    n = len(groups)
    counts = [int(round(f * n)) for f in fractions]
    if n >= len(names):
        for i in range(len(names)):
            if fractions[i] > 0 and counts[i] == 0:
                counts[i] = 1
    t = names.index("train")
    counts[t] = max(0, n - sum(counts) + counts[t])
    out, i = {}, 0
    for split, c in zip(names, counts):
        for g in groups[i:i + c]:
            out[g] = split
        i += c
    return out


def make_pairs(files: list[str], seed: int) -> list[list[str]]:
    """Disjoint (cover, secret) pairs: shuffle, then pair neighbours."""
    files = sorted(files)
    random.Random(seed).shuffle(files)
    return [[files[i], files[i + 1]] for i in range(0, len(files) - 1, 2)]


def prepare(photos: list[Photo], cfg: PrepareConfig, out, force: bool = False,
            convert_rgb: bool = False) -> dict:
    out = Path(out)
    convert_fields("data prepare", cfg, OPTIONS)
    if 0 < cfg.downsample < 1:
        raise InputError(f"--downsample {cfg.downsample}: a factor of at least 1 (1: none; 0: "
                         f"{DOWNSAMPLE} for the photos that were JPEGs)")
    if cfg.jpeg and cfg.size % 8:
        raise InputError(f"--jpeg {cfg.jpeg}: --size {cfg.size} is not a multiple of 8 (JPEG "
                         "covers are whole 8x8 blocks)")
    if not photos:
        raise InputError("no photos to prepare")
    fr = cfg.fractions
    if not isinstance(fr, (list, tuple)) or len(fr) not in (3, 4) or \
            abs(sum(convert("data prepare", "fractions", FRACTION, f) for f in fr) - 1) > 1e-6:
        raise InputError(f"fractions {fr!r}: three fractions (train, val, test) or four "
                         "(alice, train, val, test) summing to 1")
    output_folder(out)
    for p in photos:
        if p.path and contains(out, p.path):
            raise InputError(f"{out}: the photos are read from inside this folder; "
                             "choose another --out")
    made = missing_top(out)
    out.mkdir(parents=True, exist_ok=True)
    key = lock(out)  # a second prepare into out is refused while this one runs
    work, ok = None, False
    try:
        _check_replaceable(out, force)
        work = temp_folder(out)
        entries, survey, shrunk = [], traces.Survey(), 0
        skipped = dict.fromkeys(("flat_tiles", "wrong_mode_photos", "unreadable_photos",
                                 "small_photos"), 0)
        first = {}  # a skipped kind of photo -> the first one's reason
        every = -(-len(photos) // TRACE_PHOTOS)
        (work / "images").mkdir()
        for i, photo in enumerate(progress(photos, desc="prepare", unit="photo")):
            try:
                img = photo.load()
            except InputError as exc:  # undecodable, truncated, too large: skipped, counted
                skipped["unreadable_photos"] += 1
                first.setdefault("unreadable_photos", str(exc))
                continue
            img = _to_mode(img, cfg.mode, photo, convert_rgb)
            if img is None:
                skipped["wrong_mode_photos"] += 1
                continue
            table = photo.table()
            factor = _factor(cfg, table)
            img = _resize_short(img, cfg.resize) if cfg.resize else _shrink(img, factor)
            shrunk += factor != 1
            h, w = img.shape[:2]
            if min(h, w) < cfg.size:
                skipped["small_photos"] += 1
                first.setdefault("small_photos", f"{photo.path or photo.name}: {w}x{h}"
                                 f"{f' once shrunk by {factor}' if factor != 1 else ''}, "
                                 f"smaller than the {cfg.size}x{cfg.size} crop")
                continue
            kept = []
            for y, x, tile in crops(img, cfg, photo.path or photo.name):
                if tile.std() < cfg.min_std:
                    skipped["flat_tiles"] += 1
                    continue
                name = f"{photo.name}__{y}_{x}.{'jpg' if cfg.jpeg else 'png'}"
                if cfg.jpeg:  # compressed once, from the tile that carries no lattice
                    write_jpeg(work / "images" / name, tile, cfg.jpeg)
                else:
                    write_image(work / "images" / name, np.ascontiguousarray(tile))
                entries.append({"file": f"images/{name}", "photo": photo.group})
                kept.append(tile)
                if cfg.max_tiles and len(kept) >= cfg.max_tiles:
                    break
            if i % every == 0:
                for k in sorted({0, len(kept) // 2})[:TRACE_TILES] if kept else ():
                    survey.add(kept[k], table)
        if not entries:
            raise InputError("no image survived preparation (" + "; ".join(
                _skipped_text(k, v, cfg) + (f": {first[k]}" if k in first else "")
                for k, v in skipped.items() if v) + ")")
        if skipped["unreadable_photos"]:
            n = skipped["unreadable_photos"]
            warnings.warn(f"{n} photo{'s' if n > 1 else ''} could not be read and "
                          f"{'were' if n > 1 else 'was'} skipped ({first['unreadable_photos']})")
        found = survey.summary()
        if survey.keeps_traces():
            if not cfg.allow_traces:
                raise InputError(f"{out}: the tiles keep JPEG compression traces, detectable "
                                 f"without a model: {traces.describe(found)}; shrink the photos "
                                 f"first (--downsample {DOWNSAMPLE} or more) or pass "
                                 "--allow-traces")
            warnings.warn(f"{out}: the tiles keep JPEG compression traces (--allow-traces): "
                          f"{traces.describe(found)}")
        split_of = assign_splits([e["photo"] for e in entries], cfg.fractions, cfg.seed)
        for e in entries:
            e["split"] = split_of[e["photo"]]
        pairs = {s: make_pairs([e["file"] for e in entries if e["split"] == s], cfg.seed + i)
                 for i, s in enumerate(SPLITS)}
        if len(cfg.fractions) == 4:  # after the others: their pairs stay as they were
            pairs[ALICE] = make_pairs([e["file"] for e in entries if e["split"] == ALICE],
                                      cfg.seed + len(SPLITS))
        manifest = {
            "advstego": __version__,
            "stage": "data prepare",
            "config": {**asdict(cfg), "fractions": list(cfg.fractions)},
            "size": cfg.size,
            "mode": cfg.mode,
            "skipped": skipped,
            "downsampled": {"photos": shrunk, "factor": None if cfg.resize else
                            cfg.downsample or DOWNSAMPLE},
            "traces": found,
            "jpeg": {"quality": cfg.jpeg, "chroma": CHROMA if cfg.mode == "rgb" else None,
                     "library": LIBRARY} if cfg.jpeg else None,
            "images": entries,
            "pairs": pairs,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1))
        lock(work)  # the new corpus takes out's place locked
        old = temp_folder(out, "old.")
        os.replace(out, old / "x")
        os.replace(work, out)
        shutil.rmtree(old, ignore_errors=True)
        ok = True
    except (OSError, InputError) as exc:
        raise renamed(exc, work, out) if work else exc
    finally:
        if work:
            shutil.rmtree(work, ignore_errors=True)
            unlock(str(work.resolve()))
        (out / LOCK).unlink(missing_ok=True)  # the corpus keeps no lock file
        unlock(key)
        if not ok and made:
            remove_if_unused(out, made)
    return manifest


def _skipped_text(kind: str, n: int, cfg: PrepareConfig) -> str:
    what = {"flat_tiles": f"tile{'s' * (n > 1)} flatter than std {cfg.min_std}",
            "wrong_mode_photos": f"photo{'s' * (n > 1)} not {cfg.mode}",
            "unreadable_photos": f"photo{'s' * (n > 1)} unreadable",
            "small_photos": f"photo{'s' * (n > 1)} smaller than the crop"}[kind]
    return f"{n} {what}"


def _check_replaceable(out: Path, force: bool) -> None:
    """An empty out, or with force a corpus advstego made holding nothing else: --force
    never deletes the user's own files."""
    have = [p for p in out.iterdir() if p.name != LOCK]
    if not have:
        return
    m = _our_manifest(out)
    if m is None:
        raise InputError(f"{out}: not empty and not a corpus advstego made "
                         f"({_few(have, out)}); choose another --out")
    if not force:
        raise InputError(f"{out}: holds a corpus already; use --force to replace it")
    ours = {MANIFEST, LOCK, "images"} | {e["file"] for e in m["images"]
                                         if isinstance(e, dict) and isinstance(e.get("file"), str)}
    other = [p for p in out.rglob("*") if str(p.relative_to(out)) not in ours]
    if other:
        raise InputError(f"{out}: --force would delete files advstego did not write there "
                         f"({_few(other, out)}); move them, or choose another --out")


def _few(paths, root, n=3) -> str:
    names = sorted(str(p.relative_to(root)) for p in paths)
    return ", ".join(names[:n]) + (f" and {len(names) - n} more" if len(names) > n else "")


def _our_manifest(folder: Path) -> dict | None:
    try:
        m = read_json(folder / MANIFEST, "manifest", 1 << 30)
    except InputError:
        return None
    ok = isinstance(m, dict) and "advstego" in m and m.get("stage") == "data prepare" \
        and isinstance(m.get("images"), list)
    return m if ok else None


def load_manifest(folder) -> dict:
    folder = Path(folder)
    path = folder / MANIFEST
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder")
    if not path.is_file():
        raise InputError(f"{folder}: not a prepared corpus (no {MANIFEST}; "
                         "run advstego data prepare)")
    try:  # too large, too deep or not JSON: corrupt too
        m = read_json(path, "manifest", 1 << 30)
        m["images"], m["pairs"]
    except (InputError, KeyError, TypeError):
        raise InputError(f"{path}: corrupt manifest") from None
    return check_manifest(m, folder)


def check_manifest(m, folder: Path) -> dict:
    """A corpus may come from anyone: every file it names stays inside it, every entry has
    a known split, every pair names two of its images."""
    where = folder / MANIFEST
    if not isinstance(m, dict) or not isinstance(m.get("images"), list) \
            or not isinstance(m.get("pairs"), dict):
        raise InputError(f"{where}: corrupt manifest")
    if m.get("mode", "gray") not in MODES:
        raise InputError(f"{where}: unknown mode {m.get('mode')!r}")
    files = set()
    for e in m["images"]:
        if not isinstance(e, dict) or "file" not in e:
            raise InputError(f"{where}: an image entry without a file")
        inside(e["file"], folder, "file")
        if e.get("split") not in ALL_SPLITS:
            raise InputError(f"{where}: {e['file']!r} has no split (alice, train, val or test)")
        e.setdefault("photo", e["file"])
        files.add(e["file"])
    for split, pairs in m["pairs"].items():
        if split not in ALL_SPLITS or not isinstance(pairs, list) or not all(
                isinstance(p, list) and len(p) == 2 and p[0] in files and p[1] in files
                for p in pairs):
            raise InputError(f"{where}: bad pairs for split {split!r}")
    return m


def summary(folder) -> dict:
    m = load_manifest(folder)
    out = {"size": m["size"], "mode": m["mode"], "images": len(m["images"]), "splits": {}}
    for s in [x for x in ALL_SPLITS if x != ALICE or x in m["pairs"]]:
        imgs = [e for e in m["images"] if e["split"] == s]
        out["splits"][s] = {"images": len(imgs), "photos": len({e["photo"] for e in imgs}),
                            "pairs": len(m["pairs"].get(s, []))}
    out["skipped"] = m.get("skipped", {})
    shrunk = m.get("downsampled")
    out["downsampled"] = shrunk if isinstance(shrunk, dict) and _numbers(
        shrunk, ("photos", "factor"), ("factor",)) else None
    t = m.get("traces")  # a manifest may come from anyone: its survey is checked
    ok = isinstance(t, dict) and _numbers(t, ("measured", "no_evidence", "flagged", "median",
                                              "threshold"), ("median",))
    out["traces"] = t if ok else _measure(folder, m)
    out["jpeg"] = jpeg_of(m)
    return out


def jpeg_quality(settings: dict) -> int:
    """The JPEG quality prepare's settings ask for, as a dict (an experiment's data
    section); 0: PNG covers."""
    return int(settings.get("jpeg") or 0)


def jpeg_of(m: dict) -> dict | None:
    """A corpus's JPEG settings ({"quality", "chroma", "library"}), checked; None: PNG."""
    j = m.get("jpeg")
    ok = isinstance(j, dict) and isinstance(j.get("quality"), int) \
        and not isinstance(j["quality"], bool) and 1 <= j["quality"] <= 100
    return {"quality": j["quality"], "chroma": j.get("chroma") if j.get("chroma") == CHROMA
            else None, "library": str(j.get("library", ""))} if ok else None


def _numbers(d: dict, keys, may_be_none=()) -> bool:
    return all((k in may_be_none and d.get(k) is None) or (
        isinstance(d.get(k), (int, float)) and not isinstance(d.get(k), bool)
        and np.isfinite(d[k])) for k in keys)


def _measure(folder: Path, m: dict, n: int = 32) -> dict:
    """The lattice survey of up to n of a corpus's images (evenly spread) against the IJG
    tables: for a corpus made before data prepare measured its own."""
    from ..images import read_image

    survey = traces.Survey()
    files = [e["file"] for e in m["images"]]
    for f in files[::max(1, len(files) // n)][:n]:
        try:
            survey.add(read_image(Path(folder) / f))
        except InputError:
            continue
    return {**survey.summary(), "measured_by": "data info (IJG tables)"}


def list_images(folder) -> list[Path]:
    """Image files of a prepared corpus (manifest order) or of any folder (sorted, recursive)."""
    folder = Path(folder)
    if (folder / "manifest.json").is_file():
        return [folder / e["file"] for e in load_manifest(folder)["images"]]
    return image_files(folder)
