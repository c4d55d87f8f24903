"""JPEG embedding simulators: conseal's J-UNIWARD, UERD and nsF5 on a JPEG's quantized DCT
coefficients, read and written with jpeglib; payload in bits per non-zero AC coefficient
(bpnzac). The stego is the cover's JPEG with its coefficients changed: the same tables,
sampling and markers, rewritten by libjpeg.

Colour JPEGs: each component (Y, Cb, Cr) at the payload of its own non-zero AC
coefficients, with its own seed, as the pixel simulators embed each RGB channel; a
component with none is left as it is. J-UNIWARD's costs read the decompressed component:
libjpeg's decompression of the luminance where it covers whole blocks, else (and for the
chroma) the coefficients decompressed, rounded and clipped.
"""

from __future__ import annotations

import numpy as np

from ..data.jpeg import NAMES, decompress, nonzero_ac, read_dct
from ..errors import InputError
from ..files import atomic_path


def _pixels(path, jpeg, c: int) -> np.ndarray:
    """Component c decompressed to whole blocks (J-UNIWARD's x0)."""
    import jpeglib

    y = getattr(jpeg, NAMES[c])
    if c == 0 and jpeg.height == y.shape[0] * 8 and jpeg.width == y.shape[1] * 8:
        return jpeglib.read_spatial(str(path), out_color_space=jpeglib.JCS_GRAYSCALE
                                    ).spatial[..., 0].astype(np.float64)
    return np.clip(np.round(decompress(y, jpeg.get_component_qt(c))), 0, 255)


def _juniward(path, jpeg, c, alpha, seed):
    import conseal

    return conseal.juniward.simulate_single_channel(
        _pixels(path, jpeg, c), getattr(jpeg, NAMES[c]), jpeg.get_component_qt(c), alpha,
        seed=seed)


def _uerd(path, jpeg, c, alpha, seed):
    import conseal

    return conseal.uerd.simulate_single_channel(
        getattr(jpeg, NAMES[c]), jpeg.get_component_qt(c), alpha, seed=seed)


def _nsf5(path, jpeg, c, alpha, seed):
    import conseal

    return conseal.nsF5.simulate_single_channel(getattr(jpeg, NAMES[c]), alpha, seed=seed)


JPEG_METHODS = {"juniward": _juniward, "uerd": _uerd, "nsf5": _nsf5}


def simulate_jpeg(path, method: str, payload: float, seed: int = 0):
    """jpeglib's DCTJPEG of the JPEG file at path with each component's coefficients
    replaced by the method's stego at payload bpnzac."""
    if method not in JPEG_METHODS:
        raise InputError(f"unknown JPEG method {method!r}; known: {', '.join(JPEG_METHODS)}")
    jpeg = read_dct(path)
    fn = JPEG_METHODS[method]
    for c in range(1 if jpeg.num_components == 1 else 3):
        y = getattr(jpeg, NAMES[c])
        if nonzero_ac(y) == 0:  # nothing to embed in (a flat chroma)
            continue
        stego = np.asarray(fn(path, jpeg, c, payload, seed + 7919 * c))
        if stego.shape != y.shape:
            raise InputError(f"{path}: {method} returned coefficients of another shape")
        setattr(jpeg, NAMES[c], stego.astype(y.dtype))
    return jpeg


def embed_jpeg(src, dst, method: str, payload: float, seed: int = 0) -> None:
    """The stego of the JPEG src written (atomically) to dst, a JPEG with src's tables."""
    jpeg = simulate_jpeg(src, method, payload, seed)
    with atomic_path(dst) as tmp:
        jpeg.write_dct(str(tmp))
