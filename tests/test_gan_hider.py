"""The GAN hider: its nets (block and U-Net, keyed carrier, per channel), rounding-aware
training, the model file, the built-in model and the command line."""

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from advstego.errors import InputError
from advstego.game.gan import HidePair, make_config
from advstego.hiding.evaluate import ResidualSpectrum
from advstego.hiding.model import HidingModel
from advstego.hiding.registry import load_hider
from advstego.hiding.nets import (Decoder, Encoder, UNetDecoder, UNetEncoder, carrier,
                                  hiding_nets, set_key)
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


@pytest.mark.parametrize("keyed", [False, True])
@pytest.mark.parametrize("channels,h,w", [(1, 64, 64), (1, 37, 50), (3, 33, 29)])
def test_unet_shapes_and_zero_start(channels, h, w, keyed):
    torch.manual_seed(0)
    enc = UNetEncoder(channels, channels, 8, 3, keyed)
    dec = UNetDecoder(channels, channels, 8, 3, keyed)
    cover, secret = torch.rand(2, channels, h, w), torch.rand(2, channels, h, w)
    stego = enc(cover, secret)
    assert stego.shape == cover.shape
    assert torch.equal(stego, cover)  # the residual starts at 0
    with torch.no_grad():
        enc.net.out.weight.normal_(0, 10.0)  # any weights: the residual stays bounded
        r = enc(cover, secret) - cover
    assert 0 < r.abs().max() <= enc.max_change + 1e-6
    revealed = dec(stego)
    assert revealed.shape == secret.shape and 0 <= revealed.min() and revealed.max() <= 1


def test_unet_first_conv_stays_fp32_under_bf16():
    """bf16 keeps 8 significant bits: 8-bit grey levels near 1.0 would be off by up to half a
    level, as large as the residual the decoder must read. The first conv runs in fp32."""
    levels = torch.arange(256) / 255
    assert (levels.bfloat16().float() - levels).abs().max() * 255 > 0.4
    torch.manual_seed(0)
    dec = UNetDecoder(1, 1, 8, 2)
    seen = []
    dec.net.first.register_forward_hook(lambda m, i, o: seen.append((i[0].dtype, o.dtype)))
    x = torch.rand(1, 1, 16, 16)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        dec(x)
    assert seen == [(torch.float32, torch.float32)]


def test_training_is_rounding_aware():
    """HidePair hands the decoder 8-bit stegos, and gradients still reach the encoder."""
    torch.manual_seed(0)
    pair = HidePair(*hiding_nets("ukey", 1, 1, 8, 2), "ste")
    with torch.no_grad():
        pair.encoder.net.out.weight.normal_(0, 0.1)
    cover, secret = torch.rand(2, 1, 32, 32), torch.rand(2, 1, 32, 32)
    stego, revealed = pair(cover, secret)
    assert torch.allclose(stego * 255, (stego * 255).round(), atol=1e-4)
    ((revealed - secret) ** 2).mean().backward()
    assert pair.encoder.net.first.weight.grad.abs().sum() > 0


def test_carrier_is_keyed_white_and_changes_the_code():
    x = torch.zeros(1, 1, 64, 64)
    k1, k1b, k2 = carrier(x, 1), carrier(x, 1), carrier(x, 2)
    assert torch.equal(k1, k1b) and not torch.equal(k1, k2)
    assert set(k1.unique().tolist()) == {-1.0, 1.0}
    assert abs(float(k1.mean())) < 0.05 and abs(float((k1 * k2).mean())) < 0.05
    torch.manual_seed(0)
    enc = UNetEncoder(1, 1, 8, 2, keyed=True)
    with torch.no_grad():
        enc.net.out.weight.normal_(0, 0.1)
        cover, secret = torch.rand(1, 1, 32, 32), torch.rand(1, 1, 32, 32)
        set_key(1, enc)
        a = enc(cover, secret)
        set_key(2, enc)
        assert not torch.equal(a, enc(cover, secret))


def test_per_channel_runs_the_gray_net_on_each_channel_with_its_own_key():
    from advstego.hiding.nets import PerChannel
    torch.manual_seed(0)
    enc = UNetEncoder(1, 1, 8, 2, keyed=True)
    with torch.no_grad():
        enc.net.out.weight.normal_(0, 0.1)
    rgb = PerChannel(enc)
    set_key(7, rgb)
    cover, secret = torch.rand(2, 3, 24, 24), torch.rand(2, 3, 24, 24)
    with torch.no_grad():
        out = rgb(cover, secret)
        for c in range(3):
            set_key(7 + c, enc)
            assert torch.equal(out[:, c:c + 1], enc(cover[:, c:c + 1], secret[:, c:c + 1]))


def test_unknown_arch_is_refused():
    with pytest.raises(InputError, match="arch .transformer. must be one of block, unet, ukey"):
        make_config("quick", arch="transformer")


def test_grid_peak_ratio_sees_a_2x2_pattern():
    rng = np.random.default_rng(0)
    white, blocky = ResidualSpectrum(), ResidualSpectrum()
    for _ in range(4):
        cover = rng.integers(50, 200, (64, 64)).astype(np.uint8)
        white.add(cover, (cover + rng.integers(-2, 3, (64, 64))).astype(np.uint8))
        # pixel shuffle writes each position of a 2x2 block from its own channel: a bias
        # per position is a 2x2-periodic component
        r = rng.integers(-2, 3, (64, 64)) + np.tile([[1, -1], [0, 1]], (32, 32))
        blocky.add(cover, (cover + r).astype(np.uint8))
    assert white.grid_peak_ratio() < 3
    assert blocky.grid_peak_ratio() > 50
