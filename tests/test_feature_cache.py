"""The SRM feature cache: keyed by the pixels and the feature version, safe to share."""

import multiprocessing as mp

import numpy as np
import pytest

from advstego.steganalysis import features, srm
from conftest import textured


@pytest.fixture
def counted(monkeypatch, tmp_path):
    """The cache in tmp_path, and a list that grows by one per extraction."""
    monkeypatch.setenv("ADVSTEGO_CACHE", str(tmp_path))
    calls = []
    real = srm.features

    def count(x, q1=False):
        calls.append(1)
        return real(x, q1)
    monkeypatch.setattr(srm, "features", count)
    return calls


def test_a_hit_a_miss_after_a_pixel_change_and_a_version_change(counted, rng, monkeypatch):
    imgs = [textured(rng, 32, 32) for _ in range(3)]
    first = features.srm_features(imgs, q1=True, workers=1)
    assert len(counted) == 3
    again = features.srm_features(imgs, q1=True, workers=1)  # a hit: nothing computed
    assert len(counted) == 3 and np.array_equal(first, again)
    changed = [i.copy() for i in imgs]
    changed[1][5, 7] ^= 1  # one pixel, one bit
    features.srm_features(changed, q1=True, workers=1)
    assert len(counted) == 4  # only the changed image is computed again
    monkeypatch.setattr(features, "VERSION", features.VERSION + 1)
    features.srm_features(imgs, q1=True, workers=1)
    assert len(counted) == 7  # a new feature version: every entry is new


def _write(args):
    cache, seed = args
    import os
    os.environ["ADVSTEGO_CACHE"] = cache
    from advstego.steganalysis.features import srm_features
    from conftest import textured as tex
    rng = np.random.default_rng(0)
    return srm_features([tex(rng, 32, 32) for _ in range(4)], q1=True, workers=1)


@pytest.mark.slow
def test_concurrent_writers_leave_whole_entries(tmp_path, monkeypatch):
    monkeypatch.setenv("ADVSTEGO_CACHE", str(tmp_path))
    with mp.get_context("spawn").Pool(3) as pool:  # three processes write the same entries
        out = pool.map(_write, [(str(tmp_path), s) for s in range(3)])
    assert all(np.array_equal(out[0], o) for o in out)
    files = list((tmp_path / "features" / "srmq1").iterdir())
    assert sorted(f.suffix for f in files) == [".npy"] * 4  # no temporary file left behind
    rng = np.random.default_rng(0)
    ref = features.srm_features([textured(rng, 32, 32) for _ in range(4)], q1=True,
                                workers=1, cache=False)
    assert np.array_equal(out[0], ref)  # what the cache served is what extraction gives
