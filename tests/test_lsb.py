import math

import numpy as np
import pytest

from advstego.hiding.lsb import lsb_hide, lsb_reveal
from advstego.hiding.model import LsbHider, load_hider
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
