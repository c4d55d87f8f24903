"""A larger offline corpus: photos from Debian wallpaper packages, built into a cache.

`apt-get download` + `dpkg-deb -x` need no root and install nothing. Identical
photos are deduplicated by content; plasma ships each wallpaper at many sizes,
of which the largest is kept.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

from ..errors import InputError

# Desktop background and wallpaper packages only: photos from educational or game data
# packages (e.g. gcompris, palapeli-data) and npm data packages are reserved for independent
# evaluation. Checked and left out (drawings and renders, not photos): gnome-backgrounds,
# lomiri-wallpapers, ukui-wallpapers, sway-backgrounds. docs/data.md lists what each gives.
PACKAGES = {
    "lomiri-wallpapers-16.04": ["usr/share/backgrounds"],
    "lomiri-wallpapers-20.04": ["usr/share/backgrounds"],
    "mate-backgrounds": ["usr/share/backgrounds/mate/nature"],
    "plasma-workspace-wallpapers": ["usr/share/wallpapers"],
}
PHOTO_EXT = {".jpg", ".jpeg", ".png"}
# Renders and digital art, not photographs (looked at one by one; docs/data.md): kept in
# the cache, left out of the corpus. Smooth gradients and flat fills make stegos trivially
# visible, or not at all, whatever the hider does.
NOT_PHOTOS = {
    "plasma-workspace-wallpapers": (
        "Altai", "Autumn", "Canopee", "Cascade", "Cluster", "Elarun", "Flow", "FlyingKonqui",
        "Honeywave", "IceCold", "Kay", "Kokkini", "MilkyWay", "Opal", "PastelHills",
        "SafeLanding", "Shell", "Volna"),
    "lomiri-wallpapers-20.04": ("Fossa_by_Jasper_Roks", "Infinite-Sea_by_Aury88",
                                "Painting-Colors_by__herobrine7gamer"),
    "lomiri-wallpapers-16.04": ("analogpattern_by_Peter_Nerlich", "umang_by_Abhishek_Mudgal"),
}


def is_photo(path) -> bool:
    """False for a cached file that NOT_PHOTOS names (PACKAGE__STEM.ext)."""
    package, _, stem = Path(path).stem.partition("__")
    return stem not in NOT_PHOTOS.get(package, ())
DONE = ".complete-v3"  # bump when the collection rules change


def _candidates(tree: Path, package: str) -> list[Path]:
    found = []
    for sub in PACKAGES[package]:
        base = tree / sub
        if base.is_dir():
            found += [p for p in base.rglob("*") if p.is_file() and p.suffix.lower() in PHOTO_EXT]
    found = [p for p in found if _is_opaque_photo(p)]
    if package == "plasma-workspace-wallpapers":
        # usr/share/wallpapers/NAME/contents/images/WxH.jpg: keep the largest per NAME
        best: dict[str, tuple[int, Path]] = {}
        for p in found:
            if p.parent.name != "images":
                continue
            name = p.parents[2].name
            with Image.open(p) as im:
                area = im.size[0] * im.size[1]
            if name not in best or area > best[name][0]:
                best[name] = (area, p)
        return sorted((name, p) for name, (_, p) in best.items())
    return sorted((p.stem, p) for p in found)


def _is_opaque_photo(path: Path) -> bool:
    with Image.open(path) as im:
        if "A" not in im.getbands() and "transparency" not in im.info:
            return True
        return im.convert("RGBA").getchannel("A").getextrema()[0] == 255


def collect(tree: Path, package: str, out: Path, seen: set[str]) -> int:
    """Copy the package's photos from an extracted tree into out, skipping duplicates."""
    n = 0
    for stem, p in _candidates(tree, package):
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        shutil.copyfile(p, out / f"{package}__{stem}{p.suffix.lower()}")
        n += 1
    return n


def debian_photos(dest: Path, packages=tuple(PACKAGES)) -> Path:
    """Build (once) and return the folder of deduplicated photos."""
    dest = Path(dest)
    if (dest / DONE).exists():
        return dest
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise InputError("debian-photos needs apt-get and dpkg-deb (a Debian machine)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".debian-photos.", dir=dest.parent))
    try:
        out = work / "photos"
        out.mkdir()
        seen: set[str] = set()
        for pkg in packages:
            print(f"debian-photos: fetching {pkg}", file=sys.stderr)
            dl = work / pkg
            dl.mkdir()
            r = subprocess.run(["apt-get", "download", pkg], cwd=dl, capture_output=True, text=True)
            debs = list(dl.glob("*.deb"))
            if r.returncode != 0 or not debs:
                msg = (r.stderr.strip().splitlines() or ["no .deb"])[-1]
                raise InputError(f"debian-photos: apt-get download {pkg} failed: {msg} "
                                 "(try: apt-get update)")
            subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(dl / "tree")], check=True)
            n = collect(dl / "tree", pkg, out, seen)
            print(f"debian-photos: {pkg}: {n} photos", file=sys.stderr)
            shutil.rmtree(dl)
        (out / DONE).write_text("ok\n")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(out, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest
