"""Our separable S-UNIWARD cost map is conseal's, up to float rounding, and gives the same stegos."""

import conseal
import numpy as np
import pytest

from advstego.data.sources import sample_photos
from advstego.embedding import costs
from advstego.embedding.simulate import simulate


def _images():
    rng = np.random.default_rng(5)
    photo = sample_photos()[0].load()
    photo = photo[..., 1] if photo.ndim == 3 else photo
    saturated = rng.integers(0, 256, (48, 70)).astype(np.uint8)
    saturated[:10], saturated[-7:, :20] = 0, 255
    return [np.ascontiguousarray(photo[:96, :130]), saturated,
            np.full((20, 17), 255, np.uint8), rng.integers(0, 256, (17, 33)).astype(np.uint8)]


@pytest.mark.parametrize("i", range(4))
def test_suniward_cost_map_is_conseals(i):
    x = _images()[i]
    ours, theirs = costs.suniward_adjusted(x), conseal.suniward.compute_cost_adjusted(x)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape == x.shape
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)
    assert (ours[0][x == 255] == costs.WET).all() and (ours[1][x == 0] == costs.WET).all()


def test_suniward_stegos_are_conseals():
    for x in _images()[:2]:
        ours = simulate(x, "suniward", 0.4, seed=11)
        theirs = conseal.suniward.simulate_single_channel(x, alpha=0.4, seed=11)
        assert np.array_equal(ours, theirs)
        assert (ours != x).any()


def test_other_methods_come_from_conseal():
    x = _images()[1]
    for a, b in zip(costs.cost_adjusted(x, "hill"), conseal.hill.compute_cost_adjusted(x)):
        assert np.array_equal(a, b)
