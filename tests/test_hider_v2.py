"""Hider v2: the U-Net architecture, rounding-aware training, shipped gray and RGB models."""

import numpy as np
import pytest
import torch

from advstego.errors import InputError
from advstego.hiding.evaluate import ResidualSpectrum
from advstego.hiding.nets import UNetDecoder, UNetEncoder, carrier, hiding_nets, set_key
from advstego.game.gan import HidePair, make_config
from conftest import textured


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


def test_wardens_take_rgb(rng):
    from advstego.steganalysis.cnn import CnnDetector
    from advstego.steganalysis.features import srm_features

    img = textured(rng, 32, 32, 3)
    f = srm_features([img], cache=False)
    planes = srm_features([np.ascontiguousarray(img[..., c]) for c in range(3)], cache=False)
    assert f.shape == (1, 3 * planes.shape[1])
    assert np.array_equal(f[0], planes.ravel())
    covers = [textured(rng, 32, 32, 3) for _ in range(4)]
    stegos = [np.clip(c.astype(int) + rng.integers(-1, 2, c.shape), 0, 255).astype(np.uint8)
              for c in covers]
    det = CnnDetector("xunet", epochs=1, batch=2).fit(covers, stegos, quiet=True)
    assert det.channels == 3 and det.prob_stego(covers).shape == (4,)
    gray = [c[..., 0] for c in covers]
    with pytest.raises(InputError, match="trained on 3-channel images"):
        det.prob_stego(gray)
    with pytest.raises(InputError, match="trained on 3-channel images"):
        det.fit(gray, gray, quiet=True)


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
