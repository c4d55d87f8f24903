"""JPEG covers: written once from trace-free tiles, read as quantized DCT coefficients.

jpeglib (a conseal dependency) reads and writes the coefficients with libjpeg 6b, whose
tables at a quality are the IJG ones (traces.ijg_table; Pillow writes the same). Colour
covers are written 4:4:4 (no chroma subsampling, as ALASKA2's): each component's
coefficients cover every pixel, so the simulators embed each one as they do a gray cover.

A JpegImage is what the JPEG wardens read: each component's coefficients and table, and
the pixels decompressed without rounding, as sealwatch decompresses them (bit for bit:
tests/test_jpeg_wardens.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
import numpy as np

from ..errors import InputError
from .traces import ijg_table

CHROMA = "4:4:4"  # colour covers: no chroma subsampling
LIBRARY = "libjpeg 6b (jpeglib)"


def write_jpeg(path, tile: np.ndarray, quality: int) -> None:
    """tile (gray (H, W) or RGB (H, W, 3) uint8) compressed once at quality, baseline, with
    libjpeg's tables at that quality; colour 4:4:4."""
    import jpeglib

    tile = np.ascontiguousarray(tile, dtype=np.uint8)
    im = jpeglib.from_spatial(tile[..., None] if tile.ndim == 2 else tile)
    if tile.ndim == 3:
        im.samp_factor = ((1, 1), (1, 1), (1, 1))
    im.write_spatial(str(path), qt=int(quality))


@cache
def _qualities() -> dict:
    return {ijg_table(q).astype(np.uint16).tobytes(): q for q in range(100, 0, -1)}


def quality_of(table: np.ndarray) -> int | None:
    """The IJG quality whose luminance table this (8, 8) one is, else None (a camera's or an
    editor's own table). Several qualities share a table (all ones from 98 up at most):
    the highest is named."""
    return _qualities().get(np.asarray(table, np.uint16).reshape(64).tobytes())


def decompress(y: np.ndarray, qt: np.ndarray) -> np.ndarray:
    """(H8, W8) float64 pixels of (bh, bw, 8, 8) quantized coefficients and their (8, 8)
    table, without rounding or clipping: sealwatch.tools.jpeg.decompress, the same
    operations in the same order (so the same bits)."""
    y = y * qt[None, None, :, :]
    d = _dct_mat()
    x = d.T[None, None, :, :] @ y @ d[None, None, :, :]
    bh, bw = x.shape[:2]
    x = x.transpose((0, 2, 1, 3)).reshape((bh * 8, bw * 8))
    x += 128
    return x


def decompress_tensor(y, qt):
    """decompress on a torch tensor (..., bh, bw, 8, 8) of coefficients, in its dtype and
    differentiable (linear: d pixels / d coef is q times the DCT basis): (..., H8, W8)."""
    import torch

    d = torch.tensor(_dct_mat(), dtype=y.dtype)
    x = d.T @ (y * torch.tensor(np.asarray(qt, np.float64), dtype=y.dtype)) @ d
    *lead, bh, bw, _, _ = x.shape
    return x.transpose(-3, -2).reshape(*lead, bh * 8, bw * 8) + 128


@cache
def _dct_mat() -> np.ndarray:
    """The 8x8 DCT-II matrix as sealwatch.tools.dct.compute_dct_mat builds it."""
    col, row = np.meshgrid(range(8), range(8))
    d = 0.5 * np.cos(np.pi * (2 * col + 1) * row / (2 * 8))
    d[0, :] = d[0, :] / np.sqrt(2)
    d.setflags(write=False)
    return d


@dataclass(eq=False)
class JpegImage:
    """One JPEG file's quantized coefficients: components (Y[, Cb, Cr]) of (bh, bw, 8, 8)
    int16 and their (8, 8) tables; height and width in pixels."""
    components: tuple
    tables: tuple
    height: int
    width: int
    path: str = ""

    @classmethod
    def read(cls, path) -> "JpegImage":
        """A JPEG file's coefficients (jpeg_io.read: a file it cannot take is refused in one
        line)."""
        from .jpeg_io import read

        jpeg = read(path)
        return cls(tuple(jpeg.planes), tuple(np.asarray(t) for t in jpeg.tables),
                   int(jpeg.header.height), int(jpeg.header.width), str(path))

    @property
    def channels(self) -> int:
        return len(self.components)

    @property
    def shape(self) -> tuple:
        return (self.height, self.width) + ((3,) if self.channels == 3 else ())

    @property
    def quality(self) -> int | None:
        """The IJG quality of its luminance table (None: not one of libjpeg's)."""
        return quality_of(self.tables[0])

    def luminance(self) -> np.ndarray:
        """Y decompressed without rounding, cropped to the image (sealwatch's
        decompress_from_file)."""
        return decompress(self.components[0], self.tables[0])[:self.height, :self.width]

    def pixels(self) -> np.ndarray:
        """float64 (H, W), or (H, W, 3) of Y, Cb, Cr: each component decompressed without
        rounding (a CNN's input). Colour needs unsubsampled chroma (4:4:4)."""
        if self.channels == 1:
            return self.luminance()
        if any(c.shape != self.components[0].shape for c in self.components):
            raise InputError(f"{self.path or 'a JPEG'}: its chroma is subsampled; a colour JPEG "
                             f"warden reads {CHROMA} JPEGs (data prepare --jpeg writes them)")
        return np.stack([decompress(c, t)[:self.height, :self.width]
                         for c, t in zip(self.components, self.tables)], axis=2)

    def same_as(self, other: "JpegImage") -> bool:
        """The same coefficients and tables."""
        return self.channels == other.channels and all(
            np.array_equal(a, b) for a, b in zip(self.components + self.tables,
                                                 other.components + other.tables))


def nonzero_ac(y: np.ndarray) -> int:
    """Non-zero AC coefficients of (bh, bw, 8, 8) coefficients (the unit of bpnzac)."""
    return int(np.count_nonzero(y)) - int(np.count_nonzero(y[:, :, 0, 0]))
