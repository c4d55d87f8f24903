"""Rounding-aware FGSM (fgsm-uint8) per image, on a finished experiment's attacked warden and
test stegos: ours, which steps only the images still called stego, beside the full-batch loop
it replaced (every image of a batch stepped until the whole batch flips or runs out of
steps). Both must return the same images and step counts.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/fgsm_speed.py RUN [--row GAN] [--images 96] [--steps 20]

RUN is an `advstego experiment` output folder (its stages/ holds the row's CNN and stegos).
"""

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from advstego.attacks.fgsm import fgsm_uint8
from advstego.data.corpus import Corpus
from advstego.experiments.pipeline import slug
from advstego.steganalysis.detector import load_detector
from advstego.tensors import straight_through


def full_batch(detector, arr, levels=2, steps=60, alpha=1.0, margin=1.0, batch=32):
    """The loop before: done images stay in the batch (their update masked to zero)."""
    out, used_all = [], []
    for i in range(0, len(arr), batch):
        x0 = torch.from_numpy(arr[i:i + batch].astype(np.float32))[:, None]
        delta = torch.zeros_like(x0, requires_grad=True)
        done = torch.zeros(len(x0), dtype=torch.bool)
        used = torch.zeros(len(x0), dtype=torch.long)
        best = x0.clone()
        for step in range(steps + 1):
            x = (x0 + delta).clamp(0, 255)
            q = straight_through(x, x.round())
            gap = (z := detector.logits(q / 255))[:, 1] - z[:, 0]
            flipped = (gap.detach() < -1e-3) & ~done
            best[flipped] = q.detach()[flipped]
            done |= flipped
            if step == steps or done.all():
                break
            used += (~done).long()
            (grad,) = torch.autograd.grad(torch.clamp(gap + margin, min=0).sum(), delta)
            with torch.no_grad():
                top = grad.flatten(1).abs().amax(1).clamp_min(1e-30)[:, None, None, None]
                delta -= alpha * grad / top * (~done).float()[:, None, None, None]
                delta.clamp_(-levels, levels)
        best[~done] = (x0 + delta.detach()).clamp(0, 255)[~done]
        out.append(best.round().clamp(0, 255).to(torch.uint8)[:, 0].numpy())
        used_all.append(used.numpy())
    return np.concatenate(out), np.concatenate(used_all)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run", type=Path)
    ap.add_argument("--row", default="GAN", help="the attacked row (Table 2's label)")
    ap.add_argument("--images", type=int, default=96, help="test stegos attacked (gray)")
    ap.add_argument("--steps", type=int, default=20, help="most steps (the offline preset's)")
    a = ap.parse_args()
    stages = a.run / "stages"
    det = load_detector(stages / f"detect-{slug(a.row)}" / "CNN.safetensors")
    corpus = Corpus(stages / "corpus" / "corpus")
    files = corpus.files("test")[:a.images]
    stegos = np.stack(corpus.read_all(stages / f"stegos-{slug(a.row)}", files))
    fgsm_uint8(det, stegos[:2], steps=a.steps)  # warm up
    t = time.perf_counter()
    ours, steps = fgsm_uint8(det, stegos, steps=a.steps)
    t_ours = (time.perf_counter() - t) / len(stegos)
    t = time.perf_counter()
    before, steps_before = full_batch(det, stegos, steps=a.steps)
    t_before = (time.perf_counter() - t) / len(stegos)
    same = np.array_equal(ours, before) and np.array_equal(steps, steps_before)
    print(f"fgsm-uint8 (L-inf <= 2, <= {a.steps} steps, batch 32) on {len(stegos)} test stegos of "
          f"{a.row}, {torch.get_num_threads()} thread(s)")
    print(f"  steps per image: mean {steps.mean():.1f}, at the limit {np.mean(steps == a.steps):.0%}")
    print(f"  full-batch loop {t_before:6.3f} s/image, ours {t_ours:6.3f} s/image "
          f"({t_before / t_ours:.1f}x); same images and steps: {same}")


if __name__ == "__main__":
    main()
