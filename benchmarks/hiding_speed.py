"""Measure the hiding models' speed on this machine: hide + reveal latency per 256x256 gray
image for each shipped model, hide time over conseal's S-UNIWARD embedding time for the
same image (target <= 0.2), and training images/s of a preset (fp32 vs bf16 autocast).

    .venv/bin/python benchmarks/hiding_speed.py [--models v1,v2] [--preset offline-v2]
        [--steps 20 (0: no training)] [--repeats 10]
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from advstego.data.prepare import PrepareConfig, prepare
from advstego.data.sources import sample_photos
from advstego.hiding.model import HidingModel
from advstego.game.gan import make_config, train
from advstego.metrics import psnr


def photo(name):
    img = next(p for p in sample_photos() if p.name == name).load()
    if img.ndim == 3:
        from PIL import Image
        img = np.array(Image.fromarray(img).convert("L"))
    return np.ascontiguousarray(img[128:384, 128:384])


def training_rate(corpus, preset, steps, bf16):
    cfg = make_config(preset, epochs=1, steps_per_epoch=steps, val_pairs=2, amp_bf16=bf16,
                      checkpoint_every=0)
    with tempfile.TemporaryDirectory() as d:
        train(corpus, Path(d) / "warm", make_config(preset, epochs=1, steps_per_epoch=2,
              val_pairs=2, amp_bf16=bf16), device="cpu", quiet=True)
        t = time.perf_counter()
        train(corpus, Path(d) / "run", cfg, device="cpu", quiet=True)
        dt = time.perf_counter() - t
    return steps * cfg.batch / dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--models", default="v1,v2", help="shipped names or model files")
    ap.add_argument("--preset", default="offline-v2", help="training preset to time")
    a = ap.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")

    cover, secret = photo("skimage-camera"), photo("pywt-ascent")
    import conseal
    conseal.suniward.simulate_single_channel(cover, alpha=0.4, seed=0)
    t = time.perf_counter()
    for i in range(a.repeats):
        conseal.suniward.simulate_single_channel(cover, alpha=0.4, seed=i)
    suni_s = (time.perf_counter() - t) / a.repeats
    print(f"S-UNIWARD 0.4 bpp, 256x256 (conseal): {suni_s * 1000:7.1f} ms")
    for name, bf16 in ((n, b) for n in a.models.split(",") for b in (False, True)):
        model = HidingModel.load(name, bf16=bf16)
        model.reveal(model.hide(cover, secret))  # warm up
        t = time.perf_counter()
        for _ in range(a.repeats):
            stego = model.hide(cover, secret)
        hide_s = (time.perf_counter() - t) / a.repeats
        t = time.perf_counter()
        for _ in range(a.repeats):
            revealed = model.reveal(stego)
        reveal_s = (time.perf_counter() - t) / a.repeats
        tag = f"{name} {'bf16' if bf16 else 'fp32'}"
        print(f"{tag}: hide {hide_s * 1000:6.1f} ms, reveal {reveal_s * 1000:6.1f} ms, "
              f"hide + reveal {(hide_s + reveal_s) * 1000:6.1f} ms per 256x256 image; "
              f"hide / S-UNIWARD {hide_s / suni_s:.3f} (target <= 0.2); "
              f"PSNR stego {psnr(cover, stego):.2f} dB, secret {psnr(secret, revealed):.2f} dB")

    if not a.steps:
        return
    with tempfile.TemporaryDirectory() as d:
        corpus = Path(d) / "c"
        prepare(sample_photos(), PrepareConfig(size=128, mode="gray"), corpus, convert_rgb=True)
        for bf16 in (False, True):
            rate = training_rate(corpus, a.preset, a.steps, bf16)
            print(f"training, {a.preset} preset, "
                  f"{'bf16 autocast' if bf16 else 'fp32         '}: {rate:6.1f} images/s")


if __name__ == "__main__":
    main()
