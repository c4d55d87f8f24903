"""The paper presets end to end on tiny LFW- and BOSSbase-layout folders (RGB and gray)."""

import json

import numpy as np
import pytest
from PIL import Image

from advstego.data.sources import sample_photos
from conftest import assert_clean_error

TRAIN = {"epochs": 1, "steps_per_epoch": 2, "width": 8, "blocks": 1, "crop": 64, "batch": 4}
STC = "STC-S-UNIWARD + WEBP 0.4 bpp"
ROWS = {"LSB-4": {"hider": "lsb", "bits": 4},
        STC: {"hider": "stc", "cost": "suniward", "codec": "webp", "payload": 0.4}}
# the smallest run that shows a preset's promise: its data layout, mode and lambdas, every
# hider's row, both wardens and an attack (the tiny run of test_experiment.py has the rest)
SMALL = {"data": {"size": 64}, "baselines": {}, "controls": {}, "transfer": {},
         "wardens": {"SRM": {"detector": "srmq1-fld", "L": 5, "d_sub": 200},
                     "CNN": {"detector": "xunet", "epochs": 1}},
         "attacks": {"FGSM eps=0.008": {"attack": "fgsm", "eps": 0.008}}}
RGB_ATTACKS = {"FGSM-uint8 L-inf<=2": {"attack": "fgsm-uint8", "levels": 2, "steps": 5},
               "OnePixel p=1": {"attack": "onepixel", "pixels": 1, "maxiter": 2, "popsize": 5,
                                "images": 1, "retrain": False}}


def _photos(n, size=80):
    """n small RGB photos cut from the packaged samples."""
    out = []
    for p in sample_photos():
        img = p.load()
        img = np.stack([img] * 3, -1) if img.ndim == 2 else img
        h, w = img.shape[:2]
        for y, x in ((0, 0), (h // 2, w // 2)):
            out.append(np.asarray(Image.fromarray(img[y:y + h // 2, x:x + w // 2]).resize((size, size))))
    return out[:n]


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["paper-lfw", "paper-bossbase"])
def test_paper_preset_end_to_end(tmp_path, cli, preset):
    root = tmp_path / "data"
    if preset == "paper-lfw":  # lfw/Name/Name_0001.jpg, 6 people, 2 photos each
        for i, img in enumerate(_photos(12, size=100)):  # JPEGs: 67 px once shrunk
            name = f"Person_{i // 2}"
            (root / "lfw" / name).mkdir(parents=True, exist_ok=True)
            Image.fromarray(img).save(root / "lfw" / name / f"{name}_{i % 2 + 1:04d}.jpg",
                                      quality=95)
    else:  # BOSSbase: N.pgm, gray
        root.mkdir()
        for i, img in enumerate(_photos(12)):
            Image.fromarray(img).convert("L").save(root / f"{i + 1}.pgm")
    cfg = tmp_path / "cfg.json"
    train = {"preset": preset, **TRAIN}  # the paper's training preset, made tiny
    rgb = preset == "paper-lfw"
    attacks = RGB_ATTACKS if rgb else SMALL["attacks"]  # the colour attacks on the RGB preset
    cfg.write_text(json.dumps({"preset": preset, **SMALL, "attacks": attacks,
                               "hiders": {"GAN": {"hider": "gan", "train": train}, **ROWS}}))
    out = tmp_path / "run"
    r = cli("experiment", cfg, "--root", root, "--out", out, "--device", "cpu")
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((out / "results.json").read_text())
    corpus = json.loads((out / "stages" / "corpus" / "corpus" / "manifest.json").read_text())
    assert corpus["mode"] == ("rgb" if rgb else "gray")
    # the paper's lambdas reach the GAN from the training preset
    gan = json.loads((out / "stages" / "train-GAN" / "run" / "config.json").read_text())
    assert gan["train"]["lambdas"] == ([0.5, 1.0, 1.0] if rgb else [0.8, 1.0, 1.0])
    assert gan["model"]["cover_channels"] == (3 if rgb else 1)
    assert set(res["table1"]) == {"GAN", "LSB-4", STC}
    assert res["table1"]["LSB-4"]["secret_psnr"] > 30  # the colour secret comes back
    assert set(res["table3"]) == set(attacks)
    assert all(set(v) == {"SRM", "CNN"} for v in res["table2"].values())  # no transfer warden
    stage = "attack-OnePixel_p_1" if rgb else "attack-FGSM_eps_0.008"
    stego = np.asarray(Image.open(next((out / "stages" / stage).rglob("*.png"))))
    assert stego.ndim == (3 if rgb else 2)
    assert (out / "report.html").stat().st_size > 0


@pytest.mark.slow
def test_gan_row_can_be_a_shipped_model(tmp_path, cli):
    """A model row: the experiment measures a shipped hider as is (the offline preset's v2)."""
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"preset": "quick", **SMALL, "data": {"max_tiles": 2},
                               "hiders": {"GAN": {"hider": "gan", "model": "v2"},
                                          "v1": {"hider": "gan", "model": "v1"},
                                          "LSB-1": {"hider": "lsb", "bits": 1}},
                               "harden": {}, "secret_size": {"size": 32, "rows": ["GAN"]}}))
    out = tmp_path / "run"
    r = cli("experiment", cfg, "--out", out, "--device", "cpu")
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((out / "results.json").read_text())
    assert res["trained"] == {}  # nothing trained
    assert not any((out / "stages").glob("train-*"))
    assert res["table1"]["GAN"]["stego_psnr"] > 30 and res["table1"]["GAN"]["secret_psnr"] > 18
    # more hiders join every table and the frontier (Table 4)
    assert {"v1", "LSB-1"} <= set(res["table1"]) and {"v1", "LSB-1"} <= set(res["table2"])
    assert "| v1 |" in (out / "report.md").read_text()
    # a quarter-size secret through the same network: the block means reveal it better
    small = res["table1"]["GAN + secret 32x32"]
    assert small["secret_psnr"] > res["table1"]["GAN"]["secret_psnr"] and "hardening" not in res
    cfg.write_text(json.dumps({"preset": "quick", "hiders": {
        "GAN": {"hider": "gan", "model": "no-such-model"}}, "secret_size": {}}))
    assert_clean_error(cli("experiment", cfg, "--out", tmp_path / "bad", "--device", "cpu"),
                       "no-such-model")
    cfg.write_text(json.dumps({"preset": "quick", "secret_size": {"size": 32, "rows": ["LSB-9"]}}))
    assert_clean_error(cli("experiment", cfg, "--out", tmp_path / "bad", "--device", "cpu"),
                       "LSB-9")
    assert not (tmp_path / "bad" / "stages" / "corpus").exists()  # refused before any work


def test_the_lfw_preset_makes_256_tiles_of_250_faces_without_their_lattice(tmp_path):
    """LFW's faces are 250x250 JPEGs: a 256 crop of them cannot be; the preset resizes them
    to 256, which also erases their JPEG lattice (the corpus's survey says so)."""
    from advstego.data.prepare import PrepareConfig, prepare
    from advstego.data.sources import photos_for
    from advstego.experiments.config import load_config

    for i, img in enumerate(_photos(4, size=250)):
        name = f"Person_{i // 2}"
        (tmp_path / "lfw" / name).mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(tmp_path / "lfw" / name / f"{name}_{i % 2 + 1:04d}.jpg",
                                  quality=90)
    d = load_config("paper-lfw", root=str(tmp_path))["data"]
    kw = {k: tuple(v) if k == "fractions" else v for k, v in d.items() if k != "root"}
    kw["source"] = f"lfw:{tmp_path}"
    m = prepare(photos_for(kw["source"]), PrepareConfig(**kw), tmp_path / "corpus")
    assert len(m["images"]) == 4 and m["size"] == 256
    assert m["traces"]["flagged"] == 0 and m["traces"]["measured"] > 0
