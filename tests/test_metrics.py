import math

import numpy as np
import pytest

from advstego.metrics import detection_errors, mse, mse255, pe_min, psnr, ssim


def test_mse_and_psnr_by_hand():
    a = np.zeros((2, 2), np.uint8)
    b = np.array([[0, 255], [0, 0]], np.uint8)
    # one pixel of four differs by 1.0 on [0, 1]
    assert mse(a, b) == pytest.approx(0.25)
    assert mse255(a, b) == pytest.approx(255 ** 2 / 4)
    assert psnr(a, b) == pytest.approx(10 * math.log10(1 / 0.25))
    c = np.array([[10, 12], [10, 10]], np.uint8)
    d = np.array([[10, 10], [10, 10]], np.uint8)
    # MSE = 4/4 = 1 grey level^2 -> PSNR = 10 log10(255^2) = 48.13 dB
    assert mse255(c, d) == pytest.approx(1.0)
    assert psnr(c, d) == pytest.approx(48.1308, abs=1e-4)
    assert psnr(d, d) == math.inf
    assert mse(np.full(3, 0.5), np.full(3, 0.25)) == pytest.approx(0.0625)


def test_ssim_identity_and_drop(rng):
    x = rng.integers(0, 256, (32, 32), dtype=np.uint8)
    assert ssim(x, x) == pytest.approx(1.0)
    noisy = np.clip(x + rng.normal(0, 40, x.shape), 0, 255).astype(np.uint8)
    assert ssim(x, noisy) < 0.9
    rgb = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    assert ssim(rgb, rgb) == pytest.approx(1.0)


def test_detection_errors_by_hand():
    labels = [0, 0, 0, 0, 1, 1, 1, 1]
    pred = [0, 1, 0, 0, 1, 0, 0, 1]
    e = detection_errors(labels, pred)
    assert e["P_FA"] == pytest.approx(1 / 4)
    assert e["P_MD"] == pytest.approx(2 / 4)
    assert e["PE"] == pytest.approx(3 / 8)
    assert e["w_vn"] == pytest.approx(3 / 8)
    # unbalanced: PE weighs classes equally, w/Vn counts samples
    e = detection_errors([0, 0, 0, 1], [0, 0, 0, 0])
    assert e["P_MD"] == 1.0 and e["P_FA"] == 0.0
    assert e["PE"] == 0.5 and e["w_vn"] == 0.25


def test_pe_min_by_hand():
    labels = [0, 0, 1, 1]
    assert pe_min(labels, [0.1, 0.2, 0.8, 0.9]) == 0.0
    assert pe_min(labels, [0.9, 0.8, 0.2, 0.1]) == 0.5
    # best cut at 0.5: covers {0.1, 0.6}, stegos {0.7, 0.4} -> one error each side... or
    # cut above 0.6: FA 0, MD 1/2 -> 0.25
    assert pe_min(labels, [0.1, 0.6, 0.7, 0.4]) == pytest.approx(0.25)
    # ties cannot be split
    assert pe_min(labels, [0.5, 0.5, 0.5, 0.5]) == 0.5


def test_psnr_from_mean_mse():
    from advstego.metrics import psnr_from_mse
    assert psnr_from_mse(0.01) == pytest.approx(20.0)
    assert psnr_from_mse(0.0) == math.inf


def test_percentile_matches_numpy_and_keeps_exact_pairs_infinite(rng):
    import warnings

    from advstego.metrics import percentile

    for n in (1, 2, 7, 50):
        v = rng.normal(30, 5, n)
        for q in (0, 10, 50, 90, 100):
            assert percentile(v, q) == pytest.approx(np.percentile(v, q))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy warns 'invalid value' and returns nan here
        assert percentile([np.inf] * 5, 10) == np.inf
        assert percentile([20.0, np.inf, np.inf, np.inf], 10) == pytest.approx(20.0 + np.inf * 0.3)
