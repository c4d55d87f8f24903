"""Small JPEG corpora for the JPEG tests: the six sample photos of conftest's tiny corpus
as 64x64 tiles, compressed once at a quality (data prepare --jpeg)."""

from advstego.data.prepare import PrepareConfig, prepare
from advstego.data.sources import sample_photos

PHOTOS = ("skimage-camera", "skimage-astronaut", "skimage-coffee", "skimage-chelsea",
          "pywt-ascent", "sklearn-china")


def jpeg_corpus(folder, quality=75, mode="gray", size=64, max_tiles=6,
                fractions=(0.7, 0.15, 0.15), min_std=10.0):
    photos = [p for p in sample_photos() if p.name in PHOTOS]
    prepare(photos, PrepareConfig(size=size, mode=mode, max_tiles=max_tiles, jpeg=quality,
                                  fractions=fractions, min_std=min_std), folder,
            convert_rgb=True)
    return folder


def ijg_chroma(quality: int):
    """libjpeg's chrominance table at quality (ITU-T T.81 Annex K.2, scaled as the IJG
    code scales it), natural order."""
    import numpy as np

    base = np.array([17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
                     24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99]
                    + [99] * 32, float)
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    return np.clip(np.floor((base * scale + 50) / 100), 1, 255).reshape(8, 8)
