"""JPEG embedding simulators: conseal's J-UNIWARD, UERD and nsF5 on a JPEG's quantized DCT
coefficients, read and written with jpeglib (data/jpeg_io.py: a JPEG it cannot take is
refused in one line); payload in bits per non-zero AC coefficient (bpnzac). The stego is the
cover's JPEG with its coefficients changed: the same tables, sampling, markers and mode.

Colour JPEGs: each component (Y, Cb, Cr) at the payload of its own non-zero AC
coefficients, with its own seed, as the pixel simulators embed each RGB channel; a
component with none is left as it is. J-UNIWARD's costs read the decompressed component:
libjpeg's decompression of the luminance where it covers whole blocks, else (and for the
chroma) the coefficients decompressed, rounded and clipped.

With an adversary (embed --wardens of a JPEG game), a gray JPEG's luminance is embedded
through its JpegSimulatorJob (embedding/simulate.py, adversarial_jpeg): J-UNIWARD or UERD
costs as conseal computes them (luma_costs), modulated or optimised by the adversary, and
conseal's simulator (luma_changes).
"""

from __future__ import annotations

import numpy as np

from ..data import jpeg_io
from ..data.jpeg import decompress, nonzero_ac
from ..errors import InputError


def _pixels(jpeg: jpeg_io.Jpeg, c: int) -> np.ndarray:
    """Component c decompressed to whole blocks (J-UNIWARD's x0)."""
    import jpeglib

    y = jpeg.planes[c]
    h, w = jpeg.header.height, jpeg.header.width
    if c == 0 and h == y.shape[0] * 8 and w == y.shape[1] * 8:
        return jpeglib.read_spatial(jpeg.path, out_color_space=jpeglib.JCS_GRAYSCALE
                                    ).spatial[..., 0].astype(np.float64)
    return np.clip(np.round(decompress(y, jpeg.tables[c])), 0, 255)


def _juniward(jpeg, c, alpha, seed):
    import conseal

    return conseal.juniward.simulate_single_channel(
        _pixels(jpeg, c), jpeg.planes[c], jpeg.tables[c], alpha, seed=seed)


def _uerd(jpeg, c, alpha, seed):
    import conseal

    return conseal.uerd.simulate_single_channel(jpeg.planes[c], jpeg.tables[c], alpha,
                                                seed=seed)


def _nsf5(jpeg, c, alpha, seed):
    import conseal

    return conseal.nsF5.simulate_single_channel(jpeg.planes[c], alpha, seed=seed)


JPEG_METHODS = {"juniward": _juniward, "uerd": _uerd, "nsf5": _nsf5}
ADVERSARIAL = ("juniward", "uerd")  # the methods with costs an adversary can modulate


def luma_costs(jpeg: jpeg_io.Jpeg, method: str) -> tuple[np.ndarray, np.ndarray]:
    """conseal's (ρ+1, ρ−1) of the luminance, as its simulator of the method computes them."""
    import conseal

    y, qt = jpeg.planes[0], jpeg.tables[0]
    if method == "juniward":
        return conseal.juniward.compute_cost_adjusted(_pixels(jpeg, 0), y, qt)
    if method == "uerd":
        return conseal.uerd.compute_cost_adjusted(y, qt)
    raise InputError(f"--method {method}: adversarial costs take {' or '.join(ADVERSARIAL)} "
                     "(nsF5 has no costs to modulate)")


def luma_changes(method: str, costs, payload: float, nzac: int, seed: int) -> np.ndarray:
    """The ±1 changes conseal's simulator of the method makes with these costs at payload
    bpnzac (its layout and seed: the plain costs give its own stego)."""
    import conseal

    if method != "juniward":  # UERD simulates in the coefficients' own layout
        return conseal.simulate.ternary(costs, payload, nzac, seed=seed)
    to2d, to4d = conseal.tools.dct.jpeglib_to_jpegio, conseal.tools.dct.jpegio_to_jpeglib
    return to4d(conseal.simulate.ternary((to2d(costs[0]), to2d(costs[1])), payload, nzac,
                                         generator=None, seed=seed))


def simulate_jpeg(path, method: str, payload: float, seed: int = 0) -> jpeg_io.Jpeg:
    """The JPEG file at path (jpeg_io.Jpeg) with each component's coefficients replaced by
    the method's stego at payload bpnzac."""
    if method not in JPEG_METHODS:
        raise InputError(f"unknown JPEG method {method!r}; known: {', '.join(JPEG_METHODS)}")
    jpeg = jpeg_io.read(path)
    fn = JPEG_METHODS[method]
    planes = list(jpeg.planes)
    for c, y in enumerate(jpeg.planes):
        if nonzero_ac(y) == 0:  # nothing to embed in (a flat chroma)
            continue
        stego = np.asarray(fn(jpeg, c, payload, seed + 7919 * c))
        if stego.shape != y.shape:
            raise InputError(f"{path}: {method} returned coefficients of another shape")
        planes[c] = stego.astype(np.int16)
    return jpeg_io.Jpeg(jpeg.path, jpeg.header, planes, jpeg.tables, jpeg.dct)


def embed_jpeg(src, dst, method: str, payload: float, seed: int = 0) -> None:
    """The stego of the JPEG src written (atomically, read back) to dst: a JPEG with src's
    tables, sampling, markers and mode (jpeg_io.write)."""
    jpeg_io.write(simulate_jpeg(src, method, payload, seed), dst)
