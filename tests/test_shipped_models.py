"""The shipped hiding models: v2 by default (gray, and per channel for RGB), v1 by name."""

import numpy as np
import pytest

from advstego.errors import InputError
from advstego.hiding.evaluate import ResidualSpectrum, evaluate
from advstego.hiding.model import HidingModel
from advstego.hiding.registry import load_hider
from advstego.images import read_image, write_image
from advstego.metrics import psnr


def test_shipped_models_load_by_name_and_mode():
    gray, rgb, v1 = (HidingModel.load("builtin"), HidingModel.load("builtin", channels=3),
                     HidingModel.load("v1"))
    assert (gray.arch, gray.cover_channels) == ("ukey", 1)
    assert (rgb.arch, rgb.cover_channels, rgb.secret_channels) == ("ukey", 3, 3)
    assert rgb.config["per_channel"] and gray.config["name"] == "v2-gray"
    assert (v1.arch, v1.cover_channels) == ("block", 1)
    with pytest.raises(InputError, match="no shipped v1 model for RGB"):
        HidingModel.load("v1", channels=3)
    # v2 after the offline min-max game, with the game's settings and its round's measurements
    hard = HidingModel.load("hardened")
    assert hard.config["name"] == "hardened-gray" and hard.config["hardened"]["from"] == "v2"
    assert hard.config["hardened"]["round"] >= 1 and "pe_fresh_xunet" in hard.config["hardened"]["measured"]


def _crop(photo, size=128, gray=False):
    from advstego.data.sources import sample_photos
    img = next(p for p in sample_photos() if p.name == photo).load()
    img = np.ascontiguousarray(img[100:100 + size, 100:100 + size])
    return img.mean(-1).round().astype(np.uint8) if gray and img.ndim == 3 else img


@pytest.mark.slow
def test_shipped_gray_v2_has_no_grid_and_needs_its_key():
    cover, secret = _crop("skimage-astronaut", gray=True), _crop("skimage-coffee", gray=True)
    out = {}
    for name in ("v1", "v2"):
        m = load_hider(name)
        stego = m.hide(cover, secret)
        spec = ResidualSpectrum()
        spec.add(cover, stego)
        out[name] = psnr(cover, stego), psnr(secret, m.reveal(stego)), spec.grid_peak_ratio()
    assert out["v2"][2] < 5 and out["v1"][2] > 10  # v1 2x2 fingerprint (one 128² image), gone in v2
    assert out["v2"][0] > 30 and out["v2"][1] > 22
    # the receiver needs the key: another key reveals far less of the secret
    m = load_hider("v2")
    stego = m.hide(cover, secret)
    assert psnr(secret, m.with_key("not the key").reveal(stego)) < out["v2"][1] - 6


def test_rgb_hide_reveal_round_trip_cli(cli, tmp_path):
    cover, secret = _crop("skimage-astronaut"), _crop("skimage-chelsea")
    write_image(tmp_path / "c.png", cover), write_image(tmp_path / "s.png", secret)
    r = cli("hide", "--cover", tmp_path / "c.png", "--secret", tmp_path / "s.png",
            "-o", tmp_path / "st.png")
    assert r.returncode == 0, r.stderr
    r = cli("reveal", tmp_path / "st.png", "-o", tmp_path / "rev.png")
    assert r.returncode == 0, r.stderr
    stego, rev = read_image(tmp_path / "st.png", "rgb"), read_image(tmp_path / "rev.png", "rgb")
    assert stego.shape == cover.shape == rev.shape
    assert psnr(cover, stego) > 30 and psnr(secret, rev) > 24
    # each channel has its own carrier: the residuals of the channels are not one pattern
    r = stego.astype(float) - cover
    assert abs(np.corrcoef(r[..., 0].ravel(), r[..., 1].ravel())[0, 1]) < 0.5


@pytest.mark.slow
def test_evaluate_reports_float_stegos_and_grid(tiny_corpus):
    s = evaluate(load_hider("v2"), tiny_corpus, "test", limit=2)
    assert {"stego_psnr_float", "secret_psnr_float", "secret_psnr_p10", "grid_peak_ratio"} <= set(s)
    # rounding a float stego to 8 bits costs fidelity, never much
    assert abs(s["stego_psnr_float"] - s["stego_psnr"]) < 3
    s = evaluate(load_hider("lsb-4"), tiny_corpus, "test", limit=2)
    assert "stego_psnr_float" not in s


