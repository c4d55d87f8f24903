"""A prepared corpus as the experiments read it: images by split, each with its partner."""

from __future__ import annotations

from pathlib import Path

from ..data.prepare import load_manifest
from ..images import read_image


class Corpus:
    """The prepared images by split, each with the partner that is hidden in it."""

    def __init__(self, folder):
        self.folder = Path(folder)
        m = load_manifest(folder)
        self.mode = m["mode"]  # gray | rgb
        self.split = {e["file"]: e["split"] for e in m["images"]}
        self.partner = {}
        for pairs in m["pairs"].values():
            for c, s in pairs:
                self.partner[c], self.partner[s] = s, c
        files = [e["file"] for e in m["images"]]
        for i, f in enumerate(files):  # an unpaired image hides its neighbour
            self.partner.setdefault(f, files[(i + 1) % len(files)])

    def files(self, split):
        return [f for f, s in self.split.items() if s == split]

    def read(self, f):
        return read_image(self.folder / f, self.mode)

    def read_all(self, folder, files):
        """The images of files in folder (stegos of this corpus: its mode)."""
        return [read_image(Path(folder) / f, self.mode) for f in files]
