"""k-bit LSB substitution: the textbook way to hide a whole image in an image.

hide:   stego = cover with its k low bits replaced by the secret's k high bits
reveal: secret = those k bits shifted back up, plus half a step
"""

from __future__ import annotations

import numpy as np


def _check(bits: int):
    if not 1 <= bits <= 7:
        raise ValueError(f"LSB bits must be 1..7, not {bits}")


def lsb_hide(cover: np.ndarray, secret: np.ndarray, bits: int) -> np.ndarray:
    _check(bits)
    low = np.uint8((1 << bits) - 1)
    return (cover & ~low) | (secret >> np.uint8(8 - bits))


def lsb_reveal(stego: np.ndarray, bits: int) -> np.ndarray:
    _check(bits)
    low = np.uint8((1 << bits) - 1)
    half = np.uint8(1 << (7 - bits))
    return ((stego & low) << np.uint8(8 - bits)) | half
