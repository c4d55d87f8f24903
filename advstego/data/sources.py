"""Where photos come from: packaged samples, any folder, BOSSbase, LFW, Debian packages.

Every source yields Photo objects: a stable name, a group (the source photo or
person: tiles of one group never cross a split) and a loader returning uint8.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import InputError
from ..files import cache_dir
from ..images import is_image_path, read_image
from .traces import ijg_table, jpeg_table


@dataclass(frozen=True)
class Photo:
    name: str            # unique, file-name safe
    group: str           # split unit: source photo (or LFW person)
    load: Callable[[], np.ndarray]  # uint8, gray (H, W) or RGB (H, W, 3)
    path: str = ""       # file it came from, for messages ('' for in-memory samples)
    # the luminance quantization table of the JPEG file it was decoded from (None: not a JPEG)
    table: Callable[[], np.ndarray | None] = lambda: None


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


# Natural photos shipped inside installed packages (docs/data.md lists them).
# pywt's camera is skimage's camera again: left out so one photo is not in two splits.
def _sample_loaders():
    def skimage(name):
        def load():
            import skimage.data as d
            img = getattr(d, name)()
            return img[0] if isinstance(img, tuple) else img
        return load

    def pywt_(name):
        def load():
            import pywt.data
            return np.clip(np.round(getattr(pywt.data, name)()), 0, 255).astype(np.uint8)
        return load

    def sklearn(index):
        def load():
            from sklearn.datasets import load_sample_images
            return load_sample_images().images[index]
        return load

    def grace_hopper():
        from matplotlib import cbook
        with cbook.get_sample_data("grace_hopper.jpg") as fh:
            from PIL import Image
            return np.array(Image.open(fh).convert("RGB"))

    def sklearn_table(index):
        def table():
            from sklearn.datasets import load_sample_images
            return jpeg_table(load_sample_images().filenames[index])
        return table

    def grace_hopper_table():
        from matplotlib import cbook
        return jpeg_table(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))

    loaders = {f"skimage-{n}": skimage(n) for n in (
        "camera", "moon", "brick", "grass", "gravel", "coins",
        "astronaut", "coffee", "chelsea", "rocket", "stereo_motorcycle")}
    loaders.update({f"pywt-{n}": pywt_(n) for n in ("ascent", "aero")})
    loaders["sklearn-china"] = sklearn(0)
    loaders["sklearn-flower"] = sklearn(1)
    loaders["matplotlib-grace_hopper"] = grace_hopper
    # the three shipped as JPEG files: their tables
    tables = {"sklearn-china": sklearn_table(0), "sklearn-flower": sklearn_table(1),
              "matplotlib-grace_hopper": grace_hopper_table}
    # PNGs that were JPEGs: the lattice check (data/traces.py) finds them on the IJG table
    # of this quality
    tables.update({f"skimage-{n}": (lambda q=q: ijg_table(q)) for n, q in (
        ("grass", 90), ("coins", 85), ("chelsea", 98), ("rocket", 96))})
    return loaders, tables


SAMPLE_PACKAGES = ("skimage", "pywt", "sklearn", "matplotlib")  # the deep extra installs them


def sample_photos() -> list[Photo]:
    import importlib.util

    for name in SAMPLE_PACKAGES:  # missing: refused before any photo is read
        if importlib.util.find_spec(name) is None:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    photos = []
    loaders, tables = _sample_loaders()
    for name, load in loaders.items():
        photos.append(Photo(name=name, group=name, load=_as_uint8(load, name),
                            table=tables.get(name, Photo.table)))
    return photos


def _as_uint8(load, name):
    def wrapped():
        img = np.asarray(load())
        if img.dtype != np.uint8:
            raise InputError(f"sample photo {name}: unexpected dtype {img.dtype}")
        if img.ndim == 3 and img.shape[2] == 4:
            img = img[..., :3]
        return img
    return wrapped


def _file_photo(path: Path, root: Path, group: str | None = None) -> Photo:
    rel = path.relative_to(root).with_suffix("")
    name = _safe("__".join(rel.parts))
    return Photo(name=name, group=group or name, load=lambda: read_image(path), path=str(path),
                 table=lambda: jpeg_table(path))


def image_files(root, pattern: str = "*") -> list[Path]:
    """Image files under root, recursively and sorted; a missing or empty folder is an error."""
    root = Path(root)
    if not root.exists():
        raise InputError(f"{root}: no such folder")
    if not root.is_dir():
        raise InputError(f"{root}: not a folder")
    files = sorted(p for p in root.rglob(pattern) if p.is_file() and is_image_path(p))
    if not files:
        raise InputError(f"{root}: no image files found (empty folder?)")
    return files


def folder_photos(root) -> list[Photo]:
    """Every image file under root, recursively; one file is one photo."""
    root = Path(root)
    return [_file_photo(p, root) for p in image_files(root)]


def bossbase_photos(root) -> list[Photo]:
    """BOSSbase 1.01: a folder of 512x512 gray PGMs named 1.pgm ... 10000.pgm."""
    root = Path(root)
    files = image_files(root, "*.pgm")
    files.sort(key=lambda p: (len(p.stem), p.stem))
    return [Photo(name=f"boss-{p.stem}", group=f"boss-{p.stem}",
                  load=(lambda p=p: read_image(p, "gray")), path=str(p),
                  table=lambda p=p: jpeg_table(p)) for p in files]


def _lfw_root(root: Path) -> Path:
    for sub in ("lfw", "lfw-deepfunneled", "lfw_funneled", "lfw_home/lfw_funneled",
                "lfw_home/lfw", "lfw_home/lfw-deepfunneled"):
        if (root / sub).is_dir():
            return root / sub
    return root


def lfw_photos(root) -> list[Photo]:
    """LFW: Name/Name_0001.jpg; the group is the person, so no face crosses a split."""
    root = Path(root)
    base = _lfw_root(root)
    files = image_files(base)
    photos = []
    for p in files:
        person = p.parent.name if p.parent != base else p.stem.rsplit("_", 1)[0]
        photos.append(_file_photo(p, base, group=f"lfw-{person}"))
    return photos


def unique_names(photos: list[Photo]) -> list[Photo]:
    """Photos whose names collide once made file-name safe (`a b.png` and `a_b.png`, `x.png`
    and `x.bmp`) each get a short hash of their path: one name, one photo."""
    from collections import Counter
    from dataclasses import replace
    import hashlib

    count = Counter(p.name for p in photos)
    out = []
    for p in photos:
        if count[p.name] > 1:
            tag = hashlib.sha1(p.path.encode("utf-8", "surrogateescape")).hexdigest()[:8]
            name = f"{p.name}-{tag}"
            p = replace(p, name=name, group=name if p.group == p.name else p.group)
        out.append(p)
    return out


def fingerprint(photos: list[Photo]) -> str:
    """A hash of the photos' names, file sizes and modification times: a changed, added or
    removed photo changes it (in-memory samples: their names)."""
    import hashlib
    import os

    h = hashlib.sha1()
    for p in photos:
        st = os.stat(p.path) if p.path else None
        h.update(f"{p.name}\0{st.st_size if st else ''}\0{st.st_mtime_ns if st else ''}\n"
                 .encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def photos_for(source: str) -> list[Photo]:
    """Resolve --source: sample | debian-photos | photos | bossbase:DIR | lfw:DIR | DIR
    (photos: debian-photos and the sample photos together)."""
    return unique_names(_photos_for(source))


def _photos_for(source: str) -> list[Photo]:
    if source == "sample":
        return sample_photos()
    if source == "debian-photos":
        from .debian import debian_photos, is_photo
        return [p for p in folder_photos(debian_photos(cache_dir() / "debian-photos"))
                if is_photo(p.path)]
    if source == "photos":
        return _photos_for("debian-photos") + sample_photos()
    kind, _, rest = source.partition(":")
    if kind == "bossbase" and rest:
        return bossbase_photos(rest)
    if kind == "lfw" and rest:
        return lfw_photos(rest)
    if kind in ("bossbase", "lfw"):
        raise InputError(f"--source {kind} needs a folder: --source {kind}:PATH")
    return folder_photos(source)
