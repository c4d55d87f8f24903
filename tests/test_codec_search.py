"""The secret's codec search (hiding/codec.py, `--codec auto`): never a worse encoding than
trying everything, in a few encodings."""

import numpy as np
import pytest
from PIL import Image

from advstego.hiding import codec
from conftest import textured


def _sizes(secret, budget):
    """The images the search starts from (and the secret it compares them to)."""
    full = codec._start(secret, budget)
    ref = secret if full.size == (secret.shape[1], secret.shape[0]) else np.asarray(full)
    for s in codec.SCALES:
        yield ref, full if s == 1 else full.resize(
            (max(1, round(full.width * s)), max(1, round(full.height * s))),
            Image.Resampling.LANCZOS)


def _every_encoding(secret, budget) -> float:
    """The search's criterion the slow way: every codec at every size, each at the highest
    quality within budget (every quality tried from the top down); the best PSNR of those."""
    mode, best = "L" if secret.ndim == 2 else "RGB", -1.0
    for ref, img in _sizes(secret, budget):
        for c, (_, _, lo, hi) in codec.CODECS.items():
            for q in range(hi, lo - 1, -1):
                data = codec._encode(img.copy(), c, q)
                if len(data) <= budget:
                    back = codec.decompress(data, mode, ref.shape[:2], c)
                    best = max(best, codec.psnr(ref, back))
                    break
    return best


# (shape, budget, seed): the halving search of before picked worse in each (JPEG XL's bytes
# at these sizes dip and rise with quality), 22.45 dB not 22.07, 23.45 not 23.40, 24.20 not 23.93
SECRETS = {"gray 48, 150 B": ((48, 48), 150, 1), "gray 48, 300 B": ((48, 48), 300, 0),
           "rgb 32x48, 1200 B": ((32, 48, 3), 1200, 1)}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if b < 1000 else n
                                  for n, (_, b, _) in SECRETS.items()])  # slow: 2-3 s each
def test_the_search_picks_no_worse_than_every_quality_of_every_codec(name):
    shape, budget, seed = SECRETS[name]
    secret = textured(np.random.default_rng(seed), *shape)
    data, info = codec.best(secret, budget)
    assert len(data) <= budget and info["psnr"] >= _every_encoding(secret, budget) - 1e-9


def _counted(monkeypatch):
    sizes = []
    encode = codec._encode
    monkeypatch.setattr(codec, "_encode", lambda img, c, q: sizes.append((c, img.size)) or
                        encode(img, c, q))
    return sizes


def test_a_photo_sized_search_takes_few_encodings_of_the_secret(monkeypatch, rng):
    """A codec's quality within budget in about 3 encodings of the whole secret (halving
    took 7 or 8), the rest on its thumbnail; the same pick as without the thumbnail."""
    secret = textured(rng, 128, 160, 3)
    plain = codec.best(secret, 9000)
    monkeypatch.setattr(codec, "GUIDE_FROM", 0)
    sizes = _counted(monkeypatch)
    assert codec.best(secret, 9000) == plain
    whole = [c for c, size in sizes if size == (160, 128)]
    assert len(whole) <= 4 * len(codec.CODECS) and len(sizes) > len(whole)


def test_a_smaller_size_that_cannot_win_is_not_encoded(monkeypatch, rng):
    """Noise scaled down and back already decodes worse than the full size's best: no codec
    tries it; a smooth secret at a tight budget still tries the smaller sizes."""
    sizes = _counted(monkeypatch)
    codec.best(textured(rng, 64, 64), 3000)
    assert sizes and {s for _, s in sizes} == {(64, 64)}
    sizes.clear()
    y, x = np.mgrid[0:64, 0:64]
    codec.best((128 + 100 * np.sin(x / 9) * np.cos(y / 11)).astype(np.uint8), 120)
    assert (48, 48) in {s for _, s in sizes}
