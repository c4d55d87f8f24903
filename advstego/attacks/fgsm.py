"""White-box attacks on a CNN steganalyzer (anything with logits(x) -> (N, 2)).

fgsm: the paper's one step, x' = clip(x - eps * sign(grad CE(x, stego->cover))), then
rounded to uint8 - an eps under 0.5/255 rounds away to nothing, which is measured, not hidden.
fgsm_uint8: rounding-aware, iterative FGSM (PGD) whose every step is judged on the rounded
8-bit image, never more than `levels` grey levels from the original stego; it stops for each
image as soon as the detector calls it a cover.
"""

from __future__ import annotations

import numpy as np

from ..images import from_tensor, to_tensor
from ..options import Option
from .base import Attack, AttackResult
from .registry import ATTACKS


def _grad_to_cover(detector, x):
    """Gradient of the loss 'this is a cover' and P(stego), at x (float NCHW)."""
    import torch
    import torch.nn.functional as F

    x = x.clone().requires_grad_(True)
    logits = detector.logits(x)
    loss = F.cross_entropy(logits, torch.zeros(len(x), dtype=torch.long, device=x.device))
    (grad,) = torch.autograd.grad(loss, x)
    return grad, torch.softmax(logits.detach(), 1)[:, 1]


def _as_batch(stegos) -> np.ndarray:
    """uint8 (N, H, W) gray or (N, H, W, 3) RGB from a list, a batch or one image."""
    if isinstance(stegos, list):
        return np.stack([np.asarray(s) for s in stegos])
    arr = np.asarray(stegos)
    one = arr.ndim == 2 or (arr.ndim == 3 and arr.shape[-1] == 3)
    return arr[None] if one else arr


def fgsm(detector, stegos, eps: float, batch: int = 32) -> np.ndarray:
    """One FGSM step of size eps (on [0, 1]) toward 'cover', clipped, rounded to uint8."""
    import torch

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


def fgsm_uint8(detector, stegos, levels: int = 2, steps: int = 60, alpha: float = 1.0,
               margin: float = 1.0, batch: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Rounding-aware FGSM (PGD on the 8-bit grid); returns (attacked uint8, steps per image).

    A perturbation within +-levels grey levels descends the gradient scaled so that the
    pixel with the largest |gradient| moves alpha grey levels per step (pixels change only
    where the sum crosses half a level: sparse where the gradient is, unlike a sign step,
    whose +-0.5 ties would round every pixel to even); the detector always judges the
    rounded image (straight-through rounding), the loss is the hinge
    max(0, z_stego - z_cover + margin), and each image stops at the first step where its
    rounded image is called a cover.
    """
    import torch

    from ..tensors import straight_through

    detector.net.eval()
    arr = _as_batch(stegos)
    out, used_all = [], []
    for i in range(0, len(arr), batch):
        x0 = torch.from_numpy(arr[i:i + batch].astype(np.float32))
        x0 = x0[:, None] if x0.ndim == 3 else x0.permute(0, 3, 1, 2).contiguous()  # NCHW
        delta = torch.zeros_like(x0)
        done = torch.zeros(len(x0), dtype=torch.bool)
        used = torch.zeros(len(x0), dtype=torch.long)
        best = x0.clone()
        live = torch.arange(len(x0))  # the images still called stego: only they are computed
        for step in range(steps + 1):
            d = delta[live].requires_grad_(True)
            x = (x0[live] + d).clamp(0, 255)
            q = straight_through(x, x.round())  # the 8-bit image, gradients pass through
            z = detector.logits(q / 255)
            gap = z[:, 1] - z[:, 0]
            flipped = gap.detach() < -1e-3
            best[live[flipped]] = q.detach()[flipped]
            done[live[flipped]] = True
            keep = ~flipped
            if step == steps or not keep.any():
                break
            used[live[keep]] += 1
            (grad,) = torch.autograd.grad(torch.clamp(gap[keep] + margin, min=0).sum(), d)
            with torch.no_grad():
                grad = grad[keep]
                top = grad.flatten(1).abs().amax(1).clamp_min(1e-30)[:, None, None, None]
                live = live[keep]
                delta[live] = (delta[live] - alpha * grad / top).clamp(-levels, levels)
        best[~done] = (x0 + delta).clamp(0, 255)[~done]
        best = best.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()
        out.append(best[..., 0] if best.shape[3] == 1 else best)
        used_all.append(used.numpy())
    return np.concatenate(out), np.concatenate(used_all)


@ATTACKS.register("fgsm")
class Fgsm(Attack):
    """The paper's one FGSM step, rounded to uint8."""
    name = "fgsm"
    needs_gradients = True
    options = {"eps": Option(float, 0.003, 0.0, "step on [0, 1]")}

    def run(self, detector, stegos, settings):
        return AttackResult(list(fgsm(detector, stegos, settings["eps"])), [0] * len(stegos))


@ATTACKS.register("fgsm-uint8")
class FgsmUint8(Attack):
    """Rounding-aware FGSM: PGD on the 8-bit grid until the detector flips."""
    name = "fgsm-uint8"
    version = 2  # 2: steps by the max-scaled gradient (1: sign steps)
    needs_gradients = True
    options = {"levels": Option(int, 2, 1, "L-inf budget in grey levels"),
               "steps": Option(int, 60, 1, "most PGD steps per image")}

    def run(self, detector, stegos, settings):
        adv, steps = fgsm_uint8(detector, stegos, settings["levels"], settings["steps"])
        return AttackResult(list(adv), [int(r) + 1 for r in steps],
                            [{"steps": int(r)} for r in steps])
