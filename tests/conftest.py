import subprocess
import sys

import numpy as np
import pytest


def run_cli(*args, cwd=None):
    """Run `python -m advstego ARGS` in a subprocess; returns CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "advstego", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def cli():
    return run_cli


def assert_clean_error(r, *words):
    """Exit 2, one line on stderr naming what is wrong, no traceback."""
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = [l for l in r.stderr.splitlines() if l.strip() and "warning" not in l]
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def textured(rng, h, w, c=None):
    """A smooth-plus-noise image with plenty of texture (std well above 10)."""
    shape = (h, w) if c is None else (h, w, c)
    y, x = np.mgrid[0:h, 0:w]
    base = 128 + 60 * np.sin(x / 7.0) * np.cos(y / 5.0)
    if c is not None:
        base = base[..., None]
    return np.clip(base + rng.normal(0, 20, shape), 0, 255).astype(np.uint8)


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory):
    """Sample photos as 64x64 gray tiles, split by photo (6 photos, a few tiles each)."""
    from advstego.data.prepare import PrepareConfig, prepare
    from advstego.data.sources import sample_photos

    out = tmp_path_factory.mktemp("corpus") / "tiny"
    photos = [p for p in sample_photos() if p.name in (
        "skimage-camera", "skimage-astronaut", "skimage-coffee", "skimage-chelsea",
        "pywt-ascent", "sklearn-china")]
    prepare(photos, PrepareConfig(size=64, mode="gray", max_tiles=6), out, convert_rgb=True)
    return out


TINY = dict(width=8, blocks=1, disc_width=2, crop=32, batch=4, epochs=2, steps_per_epoch=3,
            val_pairs=4)


@pytest.fixture(scope="session")
def sample64(tmp_path_factory):
    """All sample photos as 64x64 gray tiles (at most 16 a photo), split by photo."""
    from advstego.data.prepare import PrepareConfig, prepare
    from advstego.data.sources import sample_photos

    out = tmp_path_factory.mktemp("corpus") / "sample64"
    prepare(sample_photos(), PrepareConfig(size=64, mode="gray", max_tiles=16), out,
            convert_rgb=True)
    return out
