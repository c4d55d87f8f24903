"""The demo: the shipped model on two sample photos, then the quick experiment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ..data.sources import sample_photos
from ..hiding.evaluate import evaluate, table1_text
from ..hiding.model import HidingModel, LsbHider
from ..images import read_image, write_image
from ..metrics import psnr
from .pipeline import run_experiment
from .presets import load_config
from .report import tables_text


def _gray(arr):
    return arr if arr.ndim == 2 else np.array(Image.fromarray(arr).convert("L"))


def run_demo(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    print("[demo] 1. the shipped gray model hides one photo in another (256x256), "
          "saves the stego as PNG and reveals it")
    photos = {p.name: p for p in sample_photos()}
    cover = _gray(photos["skimage-camera"].load())[128:384, 128:384]
    secret = _gray(photos["matplotlib-grace_hopper"].load())[100:356, 150:406]
    model = HidingModel.load("builtin")
    write_image(out / "cover.png", cover)
    write_image(out / "secret.png", secret)
    write_image(out / "stego.png", model.hide(cover, secret))
    stego = read_image(out / "stego.png", "gray")
    revealed = model.reveal(stego)
    write_image(out / "revealed.png", revealed)
    print(f"  {out}/cover.png + secret.png -> stego.png ({psnr(cover, stego):.2f} dB) -> "
          f"revealed.png ({psnr(secret, revealed):.2f} dB)")

    print("[demo] 2. the quick experiment: sample corpus, GAN training, WOW / S-UNIWARD / LSB, "
          "SRM+FLD and CNN wardens, FGSM and One Pixel attacks, report")
    r = run_experiment(load_config("quick"), out / "experiment", device="cpu")
    print(tables_text(r))
    corpus = out / "experiment" / "stages" / "corpus" / "corpus"
    print("\n[demo] 3. the shipped model and LSB-4 on the same held-out pairs")
    print(table1_text([evaluate(model, corpus), evaluate(LsbHider(4), corpus)]))
    print(f"\n[demo] report: {out / 'experiment' / 'report.html'}")
