import math

import numpy as np
import pytest

from advstego.errors import InputError
from advstego.hiding.lsb import lsb_hide, lsb_reveal
from advstego.hiding.lsb import LsbHider
from advstego.hiding.registry import load_hider
from advstego.metrics import psnr


@pytest.mark.parametrize("k", range(1, 8))
def test_round_trip_of_k_msbs(k):
    every = np.arange(256, dtype=np.uint8)
    cover, secret = np.meshgrid(every, every)  # every (cover, secret) pair of values
    stego = lsb_hide(cover, secret, k)
    high = np.uint8((0xFF << (8 - k)) & 0xFF)
    assert np.array_equal(stego >> k, cover >> k)            # cover's high bits kept
    revealed = lsb_reveal(stego, k)
    assert np.array_equal(revealed & high, secret & high)    # secret's k MSBs exact
    assert np.array_equal(revealed & ~high, np.full_like(revealed, 1 << (7 - k)))  # half step
    assert np.abs(revealed.astype(int) - secret).max() <= 1 << (7 - k)


def test_psnr_by_hand_on_a_small_image():
    cover = np.array([[0, 15], [240, 255]], np.uint8)
    secret = np.array([[255, 0], [128, 127]], np.uint8)
    stego = lsb_hide(cover, secret, 4)
    assert stego.tolist() == [[15, 0], [248, 247]]
    # cover errors 15, 15, 8, 8 -> MSE = (225+225+64+64)/4 = 144.5 grey levels^2
    assert psnr(cover, stego) == pytest.approx(10 * math.log10(255 ** 2 / 144.5))
    revealed = lsb_reveal(stego, 4)
    assert revealed.tolist() == [[248, 8], [136, 120]]
    # secret errors 7, 8, 8, 7 -> MSE = 56.5
    assert psnr(secret, revealed) == pytest.approx(10 * math.log10(255 ** 2 / 56.5))


def test_hider_interface_single_and_batched(rng):
    h = load_hider("lsb-3")
    assert isinstance(h, LsbHider) and h.bits == 3
    covers = rng.integers(0, 256, (4, 16, 16), dtype=np.uint8)
    secrets = rng.integers(0, 256, (4, 16, 16), dtype=np.uint8)
    batch = h.hide(covers, secrets)
    assert batch.shape == covers.shape
    assert np.array_equal(h.hide(covers[1], secrets[1]), batch[1])
    assert np.array_equal(h.reveal(batch)[2], h.reveal(batch[2]))
    rgb = LsbHider(2, channels=3)
    c = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    assert rgb.hide(c, c).shape == (8, 8, 3)


def test_a_smaller_secret_in_the_same_cover(rng):
    """secret_size: LSB-k spreads a pixel's bits over its f x f block (exact when f*f*k >= 8),
    a network gets the secret enlarged and returns the block means; reveal is the small one."""
    from advstego.hiding.model import HidingModel
    from advstego.hiding.small import SmallSecret, shrink

    cover = rng.integers(0, 256, (64, 64), dtype=np.uint8)
    secret = rng.integers(0, 256, (64, 64), dtype=np.uint8)
    small = shrink(secret[None], 32)[0]
    assert small[0, 0] == int(np.rint(secret[:2, :2].mean()))
    two = SmallSecret(LsbHider(2), 32)  # 4 pixels x 2 bits = all 8 bits
    stego = two.hide(cover, secret)
    assert np.array_equal(two.reveal(stego), small) and np.array_equal(two.secret_view(secret), small)
    assert np.abs(stego.astype(int) - cover).max() <= 3
    one = SmallSecret(LsbHider(1), 32)  # 4 bits a secret pixel: LSB-4's precision, a quarter of the changes
    err = one.reveal(one.hide(cover, secret)).astype(int) - small
    assert np.abs(err).max() <= 8 and not np.array_equal(err, 0 * err)
    assert np.abs(one.hide(cover, secret).astype(int) - cover).max() <= 1
    net = SmallSecret(HidingModel.load("v2", channels=1), 32)
    out = net.reveal(net.hide(cover, secret))
    assert out.shape == (32, 32) and out.dtype == np.uint8
    with pytest.raises(InputError, match="multiple"):
        SmallSecret(LsbHider(2), 24).hide(cover, secret)
