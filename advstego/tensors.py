"""Small tensor helpers shared by the hider, the detectors and the attacks."""

from __future__ import annotations

import math

import torch


def quantize(x: torch.Tensor) -> torch.Tensor:
    """Round an image on [0, 1] to the 8-bit grid (what a PNG keeps)."""
    return torch.round(x * 255) / 255


def straight_through(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """y in the forward pass, the gradient of x in the backward pass."""
    return x + (y - x).detach()


def cosine(step: int, total: int) -> float:
    """Cosine decay factor, 1 at step 0 to 0 at `total`."""
    return 0.5 * (1 + math.cos(math.pi * step / total))


def rot_flip(t: torch.Tensor, k: int) -> torch.Tensor:
    """One of the 8 rotations/flips of a (C, H, W) image; k in 0..7."""
    t = torch.rot90(t, k % 4, (1, 2))
    return t.flip(2) if k >= 4 else t
