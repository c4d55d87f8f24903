"""The demo: the shipped models on sample photos (gray, then RGB), then the quick experiment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ..data.sources import sample_photos
from ..attacks.strategy import load_adversary
from ..hiding.evaluate import evaluate, table1_text
from ..hiding.registry import load_hider, the_hider_that
from ..images import read_image, write_image
from ..metrics import psnr
from .pipeline import corpus_folder, run_experiment
from .config import load_config
from .report import tables_text


def _gray(arr):
    return arr if arr.ndim == 2 else np.array(Image.fromarray(arr).convert("L"))


def run_demo(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    print("[demo] 1. the shipped deep hiders (gray, then RGB) and the classical STC hider hide "
          "one 256x256 photo in another, save the stego as PNG and reveal it")
    photos = {p.name: p for p in sample_photos()}
    rgb_cover = photos["skimage-astronaut"].load()[0:256, 128:384]
    rgb_secret = photos["matplotlib-grace_hopper"].load()[100:356, 150:406]
    cover = _gray(photos["skimage-camera"].load())[128:384, 128:384]
    secret = _gray(rgb_secret)
    deep, classical = the_hider_that("trainable"), the_hider_that("sealed")
    models = {mode: load_hider(deep, ch) for mode, ch in (("gray", 1), ("rgb", 3))}
    for tag, c, s, mode in (("", cover, secret, "gray"), ("rgb-", rgb_cover, rgb_secret, "rgb")):
        model = models[mode]
        write_image(out / f"{tag}cover.png", c)
        write_image(out / f"{tag}secret.png", s)
        write_image(out / f"{tag}stego.png", model.hide(c, s))
        stego = read_image(out / f"{tag}stego.png", mode)
        revealed = model.reveal(stego)
        write_image(out / f"{tag}revealed.png", revealed)
        print(f"  {out}/{tag}cover.png + {tag}secret.png -> {tag}stego.png "
              f"({psnr(c, stego):.2f} dB) -> {tag}revealed.png ({psnr(s, revealed):.2f} dB)")
    model = models["gray"]
    stc = load_hider(classical, payload=0.4)  # the classical hider: what the deep one has to beat
    stego, info = stc.hide_info(cover, secret)
    write_image(out / "stc-stego.png", stego)
    stego = read_image(out / "stc-stego.png", "gray")  # what the receiver gets
    revealed = stc.reveal(stego)
    write_image(out / "stc-revealed.png", revealed)
    print(f"  {out}/cover.png + secret.png -> stc-stego.png ({psnr(cover, stego):.2f} dB) -> "
          f"stc-revealed.png ({psnr(secret, revealed):.2f} dB): the secret as "
          f"{info['codec'].upper()}, embedded by STC with S-UNIWARD costs at 0.4 bpp")
    adv = load_hider(classical, payload=0.4, adversary=load_adversary())  # the shipped wardens
    stego_adv, info = adv.hide_info(cover, secret)
    write_image(out / "stc-adv-stego.png", stego_adv)
    stego_adv = read_image(out / "stc-adv-stego.png", "gray")
    same = np.array_equal(stc.reveal(stego_adv), revealed)
    a = info["adversarial"]
    print(f"  ... with adversarial costs against the shipped wardens: stc-adv-stego.png "
          f"({psnr(cover, stego_adv):.2f} dB; the pool's score {a['score_plain']:+.2f} -> "
          f"{a['score']:+.2f}, {'a cover' if a['fooled'] else 'still a stego'} to it; the "
          f"same secret back: {same})")

    print("[demo] 2. the quick experiment: sample corpus, GAN training, WOW / S-UNIWARD / LSB, "
          "SRM+FLD and CNN wardens, FGSM and One Pixel attacks, report")
    r = run_experiment(load_config("quick"), out / "experiment", device="cpu")
    print(tables_text(r))
    corpus = corpus_folder(out / "experiment")
    print("\n[demo] 3. the shipped model and LSB-4 on the same held-out pairs")
    print(table1_text([evaluate(model, corpus), evaluate(load_hider("lsb-4"), corpus)]))
    print(f"\n[demo] report: {out / 'experiment' / 'report.html'}")
