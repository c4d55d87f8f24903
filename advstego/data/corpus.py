"""The one reader of a prepared corpus (`advstego data prepare`): images by split, the
cover/secret pairs, and each image's partner (the secret hidden in it)."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..images import read_image
from .prepare import load_manifest


class Corpus:
    """A prepared corpus: files by split, pairs, partners; images read in its mode."""

    def __init__(self, folder):
        self.folder = Path(folder)
        m = load_manifest(folder)
        self.mode = m["mode"]  # gray | rgb
        self.split = {e["file"]: e["split"] for e in m["images"]}
        self.photo = {e["file"]: e.get("photo", e["file"]) for e in m["images"]}
        self._pairs = {s: [tuple(p) for p in ps] for s, ps in m["pairs"].items()}
        self.partner = {}
        for pairs in self._pairs.values():
            for c, s in pairs:
                self.partner[c], self.partner[s] = s, c
        files = [e["file"] for e in m["images"]]
        for i, f in enumerate(files):  # an unpaired image hides its neighbour
            self.partner.setdefault(f, files[(i + 1) % len(files)])

    def files(self, split: str) -> list[str]:
        """The files of a split (train | val | test), in manifest order."""
        return [f for f, s in self.split.items() if s == split]

    def pairs(self, split: str) -> list[tuple[str, str]]:
        """The split's disjoint (cover, secret) pairs."""
        return list(self._pairs.get(split, []))

    def read(self, f, mode: str | None = None):
        return read_image(self.folder / f, mode or self.mode)

    def read_all(self, folder, files, mode: str | None = None) -> list:
        """The images of files in folder (this corpus or its stegos: its mode)."""
        return [read_image(Path(folder) / f, mode or self.mode) for f in files]

    def need(self, split: str):
        """The split's files, refused in one line when it is empty."""
        files = self.files(split)
        if not files:
            raise InputError(f"{self.folder}: the {split} split is empty")
        return files
