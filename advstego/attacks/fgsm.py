"""White-box attacks on a CNN steganalyzer (anything with logits(x) -> (N, 2)).

fgsm: the paper's one step, x' = clip(x - eps * sign(grad CE(x, stego->cover))), then
rounded to uint8 - an eps under 0.5/255 rounds away to nothing, which is measured, not hidden.
fgsm_uint8: rounding-aware. Works on the 8-bit grid: each round moves the pixels with the
largest gradient by one grey level toward "cover", never more than `levels` grey levels
from the original stego, and stops for each image as soon as the detector calls it a cover.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..images import from_tensor, to_tensor


def _grad_to_cover(detector, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradient of the loss 'this is a cover' and P(stego), at x (float NCHW)."""
    x = x.clone().requires_grad_(True)
    logits = detector.logits(x)
    loss = F.cross_entropy(logits, torch.zeros(len(x), dtype=torch.long, device=x.device))
    (grad,) = torch.autograd.grad(loss, x)
    return grad, torch.softmax(logits.detach(), 1)[:, 1]


def _as_batch(stegos) -> np.ndarray:
    arr = np.stack([np.asarray(s) for s in stegos]) if isinstance(stegos, list) else np.asarray(stegos)
    return arr if arr.ndim == 3 else arr[None]


def fgsm(detector, stegos, eps: float, batch: int = 32) -> np.ndarray:
    """One FGSM step of size eps (on [0, 1]) toward 'cover', clipped, rounded to uint8."""
    detector.net.eval()
    arr = _as_batch(stegos)
    out = []
    for i in range(0, len(arr), batch):
        x = to_tensor(arr[i:i + batch])
        grad, _ = _grad_to_cover(detector, x)
        adv = x - eps * grad.sign()  # descend the loss of the label "cover"
        adv = torch.min(torch.max(adv, x - eps), x + eps).clamp(0, 1)
        out.append(from_tensor(adv))
    return np.concatenate(out)


def fgsm_uint8(detector, stegos, levels: int = 2, fraction: float = 0.05,
               max_rounds: int = 40, batch: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Rounding-aware FGSM on the 8-bit grid; returns (attacked uint8, rounds used per image).

    Each round changes by +-1 grey level the `fraction` of pixels with the largest
    |gradient| that still have room in the L-inf budget of `levels` grey levels.
    """
    detector.net.eval()
    arr = _as_batch(stegos)
    out, rounds = [], []
    for i in range(0, len(arr), batch):
        x0 = torch.from_numpy(arr[i:i + batch].astype(np.int16))
        x = x0.clone()
        used = torch.zeros(len(x), dtype=torch.long)
        active = torch.ones(len(x), dtype=torch.bool)
        for r in range(max_rounds + 1):
            grad, p = _grad_to_cover(detector, x[:, None].float() / 255)
            active &= p >= 0.5
            if r == max_rounds or not active.any():
                break
            step = -torch.sign(grad[:, 0])  # +1 / -1 grey level toward "cover"
            room = ((x + step - x0).abs() <= levels) & (x + step >= 0) & (x + step <= 255)
            score = grad[:, 0].abs() * room * (step != 0)
            k = max(1, int(fraction * score[0].numel()))
            flat = score.flatten(1)
            thresh = flat.topk(k, dim=1).values[:, -1:].clamp_min(1e-30)
            mask = (flat >= thresh).view_as(x) & room & active[:, None, None]
            x = x + (step * mask).to(torch.int16)
            used += active.long()
        out.append(x.clamp(0, 255).to(torch.uint8).numpy())
        rounds.append(used.numpy())
    return np.concatenate(out), np.concatenate(rounds)
