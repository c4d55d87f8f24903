import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from advstego.errors import InputError
from advstego.hiding.model import HidingModel
from advstego.hiding.registry import load_hider
from advstego.hiding.nets import Decoder, Encoder
from advstego.steganalysis.nets import XuNetLike
from advstego.images import read_image, write_image
from conftest import assert_clean_error, textured

CFG = {"cover_channels": 1, "secret_channels": 1, "width": 8, "blocks": 1}


@pytest.mark.parametrize("c,s", [(1, 1), (3, 3), (3, 1)])
def test_nets_shapes_any_size(c, s):
    enc, dec, disc = Encoder(c, s, 8, 1), Decoder(c, s, 8, 1), XuNetLike(c, 2)
    for h, w in ((32, 32), (33, 47)):
        cover, secret = torch.rand(2, c, h, w), torch.rand(2, s, h, w)
        stego = enc(cover, secret)
        assert stego.shape == cover.shape
        assert torch.equal(stego, cover)  # zero-initialised residual: starts as the cover
        assert dec(stego).shape == secret.shape
        assert disc(stego).shape == (2, 2)


def test_model_hides_uint8_and_round_trips_through_file(tmp_path, rng):
    torch.manual_seed(0)
    m = HidingModel(CFG)
    torch.nn.init.normal_(m.encoder.net.tail.weight, std=0.5)
    cover, secret = textured(rng, 32, 32), textured(rng, 32, 32)
    stego = m.hide(cover, secret)
    assert stego.dtype == np.uint8 and stego.shape == (32, 32)
    assert not np.array_equal(stego, cover)
    batch = m.hide(np.stack([cover, secret]), np.stack([secret, cover]))
    assert np.array_equal(batch[0], stego)
    path = m.save(tmp_path / "m.safetensors")
    m2 = HidingModel.load(path)
    assert np.array_equal(m2.hide(cover, secret), stego)
    assert np.array_equal(m2.reveal(stego), m.reveal(stego))


def test_bad_model_files(tmp_path):
    with pytest.raises(InputError, match="no such model"):
        HidingModel.load(tmp_path / "missing.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"\x00" * 100)
    with pytest.raises(InputError, match="not a valid advstego model"):
        HidingModel.load(tmp_path / "junk.safetensors")
    torch.save({"a": torch.zeros(1)}, tmp_path / "pickle.pt")  # never unpickled
    with pytest.raises(InputError, match="not a valid advstego model"):
        HidingModel.load(tmp_path / "pickle.pt")
    save_file({"x": torch.zeros(1)}, tmp_path / "plain.safetensors")
    with pytest.raises(InputError, match="no metadata"):
        HidingModel.load(tmp_path / "plain.safetensors")
    good = HidingModel(CFG).save(tmp_path / "good.safetensors")
    data = good.read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[: len(data) - 50])
    with pytest.raises(InputError):
        HidingModel.load(tmp_path / "cut.safetensors")
    wide = HidingModel({**CFG, "width": 16}).save(tmp_path / "wide.safetensors")
    # weights of another shape under this config
    from advstego import weights
    t, meta = weights.load(wide)
    weights.save(tmp_path / "mismatch.safetensors", t, {**meta, "config": CFG})
    with pytest.raises(InputError, match="do not fit"):
        HidingModel.load(tmp_path / "mismatch.safetensors")


def test_builtin_model_hides_and_reveals(rng):
    m = load_hider("builtin")
    cover = read_image(_sample("skimage-camera"), "gray")[:128, :128]
    secret = read_image(_sample("pywt-ascent"), "gray")[:128, :128]
    stego = m.hide(cover, secret)
    from advstego.metrics import psnr
    assert psnr(cover, stego) > 25
    assert psnr(secret, m.reveal(stego)) > 20


def _sample(name, _cache={}):
    import tempfile
    from pathlib import Path

    from advstego.data.sources import sample_photos
    if name not in _cache:
        photo = next(p for p in sample_photos() if p.name == name)
        path = Path(tempfile.mkdtemp()) / f"{name}.png"
        write_image(path, photo.load())
        _cache[name] = path
    return _cache[name]


def test_cli_hide_reveal_and_bad_input(tmp_path, cli, rng):
    cover = write_image(tmp_path / "cover.png", textured(rng, 64, 64))
    secret = write_image(tmp_path / "secret.png", textured(rng, 64, 64))
    gan = ["--method", "gan"]
    r = cli("hide", "--cover", cover, "--secret", secret, "-o", tmp_path / "stego.png", *gan)
    assert r.returncode == 0, r.stderr
    r = cli("reveal", tmp_path / "stego.png", "-o", tmp_path / "rev.png", *gan)
    assert r.returncode == 0, r.stderr
    assert "cannot verify the key" in r.stderr
    assert read_image(tmp_path / "rev.png").shape == (64, 64)
    method = ["--method", "lsb", "--bits", "3"]
    r = cli("hide", "--cover", cover, "--secret", secret, "-o", tmp_path / "l.png", *method)
    assert r.returncode == 0, r.stderr
    r = cli("reveal", tmp_path / "l.png", "-o", tmp_path / "lr.png", *method)
    lr = read_image(tmp_path / "lr.png")
    assert np.array_equal(lr >> 5, read_image(secret) >> 5)
    big = write_image(tmp_path / "big.png", textured(rng, 80, 80))
    r = cli("hide", "--cover", cover, "--secret", big, "-o", tmp_path / "x.png", *gan)
    assert_clean_error(r, "smaller than the secret")
    r = cli("hide", "--cover", cover, "--secret", big, "-o", tmp_path / "x.png", "--resize-secret",
            *gan)
    assert r.returncode == 0 and "notice" in r.stderr
    (tmp_path / "x.png").unlink()
    r = cli("hide", "--cover", tmp_path / "none.png", "--secret", secret, "-o", tmp_path / "x.png")
    assert_clean_error(r, "none.png", "no such file")
    (tmp_path / "text.png").write_text("not a picture")
    r = cli("hide", "--cover", tmp_path / "text.png", "--secret", secret, "-o", tmp_path / "x.png")
    assert_clean_error(r, "text.png", "not an image")
    r = cli("hide", "--cover", cover, "--secret", secret, "-o", tmp_path / "x.jpg")
    assert_clean_error(r, "lossy")
    r = cli("hide", "--cover", cover, "--secret", secret, "-o", tmp_path / "no" / "x.png")
    assert_clean_error(r, "does not exist")
    (tmp_path / "bad.safetensors").write_bytes(b"garbage")
    r = cli("reveal", tmp_path / "stego.png", "-o", tmp_path / "x.png",
            "--model", tmp_path / "bad.safetensors", *gan)
    assert_clean_error(r, "bad.safetensors", "not a valid advstego model")
    r = cli("reveal", tmp_path / "stego.png", "-o", tmp_path / "x.png", "--method", "lsb",
            "--bits", "9")
    assert_clean_error(r, "--bits", "at most 7")  # its Option maximum
    rgb = write_image(tmp_path / "rgb.png", textured(rng, 64, 64, 3))
    r = cli("hide", "--cover", cover, "--secret", rgb, "-o", tmp_path / "x.png", *gan)
    assert_clean_error(r, "rgb.png", "rgb, but gray")
    assert not (tmp_path / "x.png").exists()
