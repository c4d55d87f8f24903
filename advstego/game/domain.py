"""What a game's images are, by its corpus: one class each, the rest of the game the same.

Pixels: a gray corpus of PNG covers; the hider and the wardens take uint8 images, the test
stegos are saved as PNG. Jpegs: a JPEG corpus (`data prepare --jpeg QF`); the hider takes
each cover's coefficients (jpeg_io.Jpeg) and a stego is its luminance's coefficients
(int16 (rows, cols, 8, 8): what min-max keeps and compares); the wardens read a stego as
a JpegImage (the CNN through its front end of unrounded decompressed pixels, DCTR+FLD
through its features); the test stegos are saved as JPEGs with their cover's tables, and
fidelity is measured on the pixels a decoder shows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data.corpus import Corpus
from ..errors import InputError
from ..hiding.evaluate import fidelity, pair_metrics, summarize
from ..images import read_image, write_image


class Pixels:
    """A gray pixel corpus: covers and stegos are uint8 images."""

    what = "8-bit PNG"

    def __init__(self, corpus: Corpus, files: dict):
        self.corpus, self.files = corpus, files
        self.covers = {s: corpus.read_all(corpus.folder, f) for s, f in files.items()}

    def hider_covers(self, split: str) -> list:
        """The covers as the hider takes them."""
        return self.covers[split]

    def elements(self, stego) -> np.ndarray:
        """A hider's stego as the game keeps it (an array)."""
        return np.asarray(stego)

    def images(self, stegos, split: str) -> list:
        """A split's stegos (elements) as the wardens read them."""
        return list(stegos)

    def save(self, folder: Path, stegos) -> list:
        """The test stegos written into folder and read back (what a receiver gets)."""
        names = [Path(f).name for f in self.files["test"]]
        for name, s in zip(names, stegos):
            write_image(folder / name, s)
        return [read_image(folder / name, "gray") for name in names]

    def fidelity(self, hider, secrets, stegos) -> dict:
        return fidelity(hider, self.covers["test"], secrets, stegos)

    def easy(self, split: str, payload: float, seed: int) -> list:
        """The wardens' curriculum stegos of a split: S-UNIWARD at payload bpp."""
        from ..embedding import simulate

        return [simulate(c, "suniward", payload, seed=seed + i)
                for i, c in enumerate(self.covers[split])]


class Jpegs(Pixels):
    """A gray JPEG corpus: the hider embeds in the luminance's coefficients."""

    what = "JPEG (the cover's tables, as read back)"

    def __init__(self, corpus: Corpus, files: dict):
        from ..data import jpeg_io

        self.corpus, self.files = corpus, files
        # the hider's covers, without jpeglib's object (they travel to worker processes)
        self.jpegs = {s: [_bare(jpeg_io.read(corpus.folder / x)) for x in f]
                      for s, f in files.items()}
        self.covers = {s: [_image(j, j.luma, str(j.path)) for j in v]
                       for s, v in self.jpegs.items()}

    def hider_covers(self, split: str) -> list:
        return self.jpegs[split]

    def elements(self, stego) -> np.ndarray:
        return np.asarray(stego.luma)

    def images(self, stegos, split: str) -> list:
        return [_image(j, y) for j, y in zip(self.jpegs[split], stegos)]

    def save(self, folder: Path, stegos) -> list:
        from ..data import jpeg_io

        out = []
        for f, y in zip(self.files["test"], stegos):  # the cover's file: its tables, markers
            path = folder / Path(f).name
            jpeg_io.write(jpeg_io.read(self.corpus.folder / f).with_luma(y), path)
            out.append(jpeg_io.read(path).luma)
        return out

    def fidelity(self, hider, secrets, stegos) -> dict:
        from ..embedding.dct_costs import pixels

        rows = []
        for j, secret, y in zip(self.jpegs["test"], secrets, stegos):
            shown = [pixels(c, j.tables[0]).astype(np.uint8)[:j.header.height, :j.header.width]
                     for c in (j.luma, y)]
            rows.append(pair_metrics(shown[0], hider.secret_view(secret), shown[1],
                                     hider.reveal(j.with_luma(y))))
        return summarize(rows)

    def easy(self, split: str, payload: float, seed: int) -> list:
        """J-UNIWARD (conseal's simulator) at payload bpnzac."""
        from ..data.jpeg import JpegImage
        from ..embedding.jpeg import simulate_jpeg

        out = []
        for i, f in enumerate(self.files[split]):
            s = simulate_jpeg(self.corpus.folder / f, "juniward", payload, seed + i)
            out.append(JpegImage(tuple(s.planes), tuple(s.tables), s.header.height,
                                 s.header.width))
        return out


def check_room(corpus: Corpus, hider) -> None:
    """A JPEG corpus's flattest cover (fewest non-zero AC coefficients) carries its secret
    with this hider, else the game is refused in one line before it starts: a 128x128 tile
    at quality 75 holds a few hundred bytes at 0.4 bpnzac, a flat one not even a header."""
    from ..data import jpeg_io
    from ..data.jpeg import nonzero_ac
    from ..data.prepare import ALICE

    files = [f for s in (ALICE, "train", "val", "test") for f in corpus.files(s)]
    n, f = min((nonzero_ac(jpeg_io.read(corpus.folder / f).luma), f) for f in files)
    try:
        hider.hide_info(jpeg_io.read(corpus.folder / f), corpus.read(corpus.partner[f]))
    except InputError as exc:
        raise InputError(f"{corpus.folder / f}: the corpus's flattest cover ({n} non-zero AC "
                         f"coefficients) cannot carry its secret ({exc}); raise --bpnzac, or "
                         "prepare larger or less flat covers (data prepare --size, --min-std)"
                         ) from None


def _bare(jpeg):
    """A Jpeg without jpeglib's object (picklable; jpeg_io.write needs a file's own)."""
    from ..data.jpeg_io import Jpeg

    return Jpeg(jpeg.path, jpeg.header, list(jpeg.planes), list(jpeg.tables), None)


def _image(jpeg, luma, path: str = ""):
    """What the wardens read of a gray JPEG with this luminance."""
    from ..data.jpeg import JpegImage

    return JpegImage((luma,), (jpeg.tables[0],), jpeg.header.height, jpeg.header.width, path)
