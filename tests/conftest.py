import contextlib
import io
import os
import subprocess
import sys
import traceback
from pathlib import Path

import numpy as np
import pytest


def run_cli(*args, cwd=None):
    """`advstego ARGS` run in this process through cli.main(argv), answered as a subprocess
    would be (returncode, stdout, stderr): an uncaught exception is exit 1 with its traceback.
    The import cost is paid once per test session instead of once per call."""
    from advstego.cli import main

    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except Exception:  # what a subprocess would show as a crash
                traceback.print_exc()
                code = 1
    finally:
        os.chdir(here)
    return subprocess.CompletedProcess(["advstego", *map(str, args)], code, out.getvalue(),
                                       err.getvalue())


def run_process(*args, cwd=None):
    """`python -m advstego ARGS` in a subprocess: for what only a real process shows."""
    return subprocess.run([sys.executable, "-m", "advstego", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def cli():
    return run_cli


def assert_clean_error(r, *words):
    """Exit 2, one line on stderr naming what is wrong, no traceback."""
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = [l for l in r.stderr.splitlines()
             if l.strip() and "warning" not in l and "compiling" not in l]
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


def six_photo_tiles(tmp_path_factory, name, size, max_tiles, fractions=(0.7, 0.15, 0.15)):
    """Six sample photos as size x size gray tiles, split by photo."""
    from advstego.data.prepare import PrepareConfig, prepare
    from advstego.data.sources import sample_photos

    out = tmp_path_factory.mktemp("corpus") / name
    photos = [p for p in sample_photos() if p.name in (
        "skimage-camera", "skimage-astronaut", "skimage-coffee", "skimage-chelsea",
        "pywt-ascent", "sklearn-china")]
    prepare(photos, PrepareConfig(size=size, mode="gray", max_tiles=max_tiles,
                                  fractions=fractions), out, convert_rgb=True)
    return out


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory):
    """Sample photos as 64x64 gray tiles, split by photo (6 photos, a few tiles each)."""
    return six_photo_tiles(tmp_path_factory, "tiny", size=64, max_tiles=6)


TINY = dict(width=8, blocks=1, disc_width=2, crop=32, batch=4, epochs=2, steps_per_epoch=3,
            val_pairs=4)


@pytest.fixture(scope="session")
def corpus128(tmp_path_factory):
    """The tiny corpus's six photos as 128x128 tiles: STC at 0.4 bpp needs the room."""
    return six_photo_tiles(tmp_path_factory, "c128", size=128, max_tiles=2)


@pytest.fixture(scope="session")
def sample64(tmp_path_factory):
    """All sample photos as 64x64 gray tiles (at most 16 a photo), split by photo."""
    from advstego.data.prepare import PrepareConfig, prepare
    from advstego.data.sources import sample_photos

    out = tmp_path_factory.mktemp("corpus") / "sample64"
    prepare(sample_photos(), PrepareConfig(size=64, mode="gray", max_tiles=16), out,
            convert_rgb=True)
    return out


@pytest.fixture(scope="session")
def xunet_file(tmp_path_factory):
    """A Xu-Net warden's file (one epoch on synthetic 32x32 covers), trained once a session;
    a test that may change it copies it first."""
    from advstego.data.synthetic import synthetic_covers
    from advstego.steganalysis.cnn import CnnDetector

    where = tmp_path_factory.mktemp("warden") / "xunet.safetensors"
    c = synthetic_covers(8, size=32, seed=1)
    CnnDetector("xunet", epochs=1).fit(c[:4], c[4:], quiet=True).save(where)
    return where


@pytest.fixture
def detector_file(tmp_path, xunet_file):
    """The session's trained Xu-Net, copied: these tests check it is never written over."""
    import shutil

    return Path(shutil.copy(xunet_file, tmp_path / "det.safetensors"))


@pytest.fixture
def pair(tmp_path, rng):
    """A 64x64 gray cover and secret, as files cover.png and secret.png."""
    from advstego.images import write_image

    cover = write_image(tmp_path / "cover.png", textured(rng, 64, 64))
    secret = write_image(tmp_path / "secret.png", textured(rng, 64, 64))
    return cover, secret


class Mean:
    """A differentiable 'warden' whose stego margin is sign * (mean grey level - level)."""

    name = "mean"
    differentiable = True

    def __init__(self, sign=1.0, level=0.0):
        import torch

        self.sign, self.level = sign, level
        self.net = torch.nn.Identity()

    def logits(self, x):
        import torch

        m = self.sign * (x.mean((1, 2, 3)) - self.level)
        return torch.stack([torch.zeros_like(m), m], 1)
